package sensing

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/internal/testenv"
)

func stored(t testing.TB, d *db.DB, devices ...Device) int64 {
	t.Helper()
	var total int64
	for _, dev := range devices {
		var n int64
		if err := d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM sensing_readings r JOIN sensing_series s ON s.id = r.series_id WHERE s.device_id = ?", dev.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

func sims(devs ...Device) []SimDevice {
	var out []SimDevice
	for _, d := range devs {
		out = append(out, SimDevice{d.ID, d.Secret, d.Type})
	}
	return out
}

// The embedded broker: simulated sensors publish, every acknowledged reading is
// stored, a threshold alert fires once and clears, and devices cannot connect
// with a wrong secret or publish as another device.
func TestEmbeddedBrokerEndToEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		field, barn := f.site(t, "field"), f.site(t, "barn")
		soil, weather, hot := f.device(t, field, "soil", "s1"), f.device(t, field, "weather", "w1"), f.device(t, barn, "barn", "b1")
		b, err := f.s.StartBroker("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		st, err := Simulate(ctx, SimConfig{Broker: b.Addr(), Devices: sims(soil, weather), Duration: 700 * time.Millisecond, Rows: 5, Inflight: 2, Rate: 10000,
			Start: f.clock.Now().Add(-5 * 24 * time.Hour), Step: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if st.Readings == 0 || st.Refused != 0 {
			t.Fatalf("simulation: %+v", st)
		}
		// Every acknowledged reading is stored; a publish cut off by the end of
		// the run may be stored without its acknowledgement having been counted.
		if n := stored(t, d, soil, weather); n < st.Readings || n > st.Readings+2*2*5*3 {
			t.Fatalf("acknowledged %d readings, stored %d", st.Readings, n)
		}

		c := connect(t, b.Addr(), hot.ID, hot.Secret)
		now := f.clock.Now()
		for i, v := range []float64{26, 31, 30.5, 29, 31.5, 27.5, 29} {
			resp, err := c.Publish(ctx, &paho.Publish{Topic: Topic(hot.ID), QoS: 1, Payload: single(hot.ID, now.Add(time.Duration(i-10)*time.Minute), "barn_temp", v)})
			if err != nil || resp.ReasonCode != 0 {
				t.Fatalf("publish: %v %+v", err, resp)
			}
		}
		got := drain(f.alert)
		if len(got) != 2 || got[0].Transition != "raised" || got[0].RaisedValue != 31 || got[1].Transition != "cleared" || got[1].ClearedValue != 27.5 {
			t.Fatalf("want one raise and one clear: %+v", got)
		}
		// A malformed payload is refused with reason 0x99 and stored nowhere.
		resp, err := c.Publish(ctx, &paho.Publish{Topic: Topic(hot.ID), QoS: 1, Payload: []byte(`{"device":`)})
		if err == nil && resp.ReasonCode != 0x99 {
			t.Fatalf("malformed payload: reason 0x%02x", resp.ReasonCode)
		}
		// Another device's topic is not this device's to write.
		c2 := connect(t, b.Addr(), hot.ID, hot.Secret)
		resp, err = c2.Publish(ctx, &paho.Publish{Topic: Topic(soil.ID), QoS: 1, Payload: single(soil.ID, now, "soil_moisture", 10)})
		if err == nil && resp.ReasonCode < 0x80 {
			t.Fatalf("published to another device's topic: 0x%02x", resp.ReasonCode)
		}
		if _, err := simConnect(ctx, b.Addr(), SimDevice{ID: hot.ID, Secret: "wrong"}); err == nil {
			t.Fatal("connected with a wrong secret")
		}
	})
}

func connect(t *testing.T, addr, id, secret string) *paho.Client {
	t.Helper()
	c, err := simConnect(ctx, addr, SimDevice{ID: id, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Disconnect(&paho.Disconnect{}) })
	return c
}

// A real Mosquitto started by the test: Fishpond subscribes with paho, checks
// each message's device-key and stores the readings.
func TestMosquittoEndToEnd(t *testing.T) {
	bin := testenv.LookPath(t, "mosquitto", "/usr/sbin/mosquitto")
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		field := f.site(t, "field")
		soil := f.device(t, field, "soil", "s1")
		addr := startMosquitto(t, bin)
		ext, err := f.s.ConnectExternal(ctx, ExternalConfig{URL: "mqtt://" + addr, ClientID: "fishpond-test-" + strconv.Itoa(os.Getpid())})
		if err != nil {
			t.Fatal(err)
		}
		defer ext.Close()
		st, err := Simulate(ctx, SimConfig{Broker: addr, Devices: sims(soil), Duration: 500 * time.Millisecond, Rows: 5, External: true, Rate: 5000,
			Start: f.clock.Now().Add(-5 * 24 * time.Hour), Step: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if st.Readings == 0 {
			t.Fatalf("simulation: %+v", st)
		}
		// A message with a wrong device-key is dropped.
		intruder, err := Simulate(ctx, SimConfig{Broker: addr, Devices: []SimDevice{{soil.ID, "wrong", "soil"}}, Duration: 100 * time.Millisecond, Rows: 1, External: true,
			Start: f.clock.Now().Add(-6 * 24 * time.Hour), Step: time.Second})
		if err != nil || intruder.Messages == 0 {
			t.Fatalf("intruder: %v %+v", err, intruder)
		}
		deadline := time.Now().Add(20 * time.Second)
		for stored(t, d, soil) < st.Readings && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		if n := stored(t, d, soil); n < st.Readings || n > st.Readings+5*2 {
			t.Fatalf("published %d readings through Mosquitto, stored %d", st.Readings, n)
		}
		var intruded int64
		d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM sensing_readings WHERE at_ms < ?", f.clock.Now().Add(-5*24*time.Hour-time.Minute).UnixMilli()).Scan(&intruded)
		if intruded != 0 {
			t.Fatalf("%d readings with a wrong device-key were stored", intruded)
		}
	})
}

// startMosquitto runs mosquitto on a free loopback port with a throw-away config.
func startMosquitto(t *testing.T, bin string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "mosquitto.conf")
	os.WriteFile(conf, fmt.Appendf(nil, "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 1000\nmax_queued_messages 100000\n", port), 0o644)
	cctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(cctx, bin, "-c", conf)
	logf, _ := os.Create(filepath.Join(dir, "mosquitto.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "mosquitto.log"))
	t.Fatalf("mosquitto did not start:\n%s", b)
	return ""
}
