package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fishpond"
	"fishpond/sensing"
)

func init() {
	commands["simulate"] = command{"publish simulated sensor readings over MQTT (simulate sensors --devices N --rate R)", runSimulate}
	commands["sensing"] = command{"farm sensors: apply the retention settings now (sensing prune)", runSensing}
}

// mqttOptions are serve's MQTT flags. The zero value (demo) starts the embedded
// broker on :1883 and carries on without it if the port is taken.
type mqttOptions struct {
	addr               string
	external           string
	user, password     string
	addrGiven, enabled bool
}

func (m *mqttOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&m.addr, "mqtt-addr", envOr("FISHPOND_MQTT_ADDR", ":1883"), "embedded MQTT broker's listen address for devices, or 'off' (env FISHPOND_MQTT_ADDR)")
	fs.StringVar(&m.external, "mqtt-external", os.Getenv("FISHPOND_MQTT_EXTERNAL"), "read devices from an external broker instead (mqtt://host:1883; env FISHPOND_MQTT_EXTERNAL)")
	fs.StringVar(&m.user, "mqtt-user", os.Getenv("FISHPOND_MQTT_USER"), "username on the external broker (env FISHPOND_MQTT_USER)")
	fs.StringVar(&m.password, "mqtt-password", os.Getenv("FISHPOND_MQTT_PASSWORD"), "password on the external broker (env FISHPOND_MQTT_PASSWORD)")
	m.enabled = true
	m.addrGiven = os.Getenv("FISHPOND_MQTT_ADDR") != "" || flagGiven(os.Args, "mqtt-addr")
}

func flagGiven(args []string, name string) bool {
	for _, a := range args {
		if a == "-"+name || a == "--"+name || len(a) > len(name)+2 && (a[:len(name)+3] == "--"+name+"=" || a[:len(name)+2] == "-"+name+"=") {
			return true
		}
	}
	return false
}

// startSensing starts the MQTT side (embedded broker or external subscription),
// the webhook sender and the hourly retention sweep; the returned function stops
// them (the broker first, so no reading arrives after the service closes).
func startSensing(ctx context.Context, a *app, m mqttOptions) (func(), error) {
	if !m.enabled { // demo: no MQTT flags, but the environment still counts
		m.addr = envOr("FISHPOND_MQTT_ADDR", ":1883")
		m.addrGiven = os.Getenv("FISHPOND_MQTT_ADDR") != ""
		m.external = os.Getenv("FISHPOND_MQTT_EXTERNAL")
		m.user, m.password = os.Getenv("FISHPOND_MQTT_USER"), os.Getenv("FISHPOND_MQTT_PASSWORD")
	}
	ctx, cancel := context.WithCancel(ctx)
	var closers []func()
	stop := func() {
		cancel()
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	switch {
	case m.external != "":
		ext, err := a.Sensing.ConnectExternal(ctx, sensing.ExternalConfig{URL: m.external, Username: m.user, Password: m.password})
		if err != nil {
			cancel()
			return nil, fmt.Errorf("external MQTT broker: %w", err)
		}
		closers = append(closers, func() { ext.Close() })
		a.Log.Info("sensing: reading devices from the external broker", "url", m.external)
	case m.addr != "off":
		b, err := a.Sensing.StartBroker(m.addr)
		if err != nil {
			if m.addrGiven {
				cancel()
				return nil, fmt.Errorf("MQTT broker on %s: %w", m.addr, err)
			}
			a.Log.Warn("sensing: embedded MQTT broker not started (HTTP ingest still works); set --mqtt-addr", "addr", m.addr, "err", err)
		} else {
			closers = append(closers, func() { b.Close() })
			a.Log.Info("sensing: MQTT broker for devices", "addr", b.Addr())
		}
	}
	go a.Sensing.RunWebhooks(ctx, nil)
	go func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if n, err := a.Sensing.Prune(ctx); err != nil && ctx.Err() == nil {
				a.Log.Error("sensing: retention", "err", err)
			} else if n > 0 {
				a.Log.Info("sensing: retention pruned rows", "rows", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return stop, nil
}

func runSensing(ctx context.Context, args []string) error {
	usage := "usage: fishpond sensing prune [--db URL]"
	if done, err := subcommand(args, usage, "prune"); done {
		return err
	}
	var c commonFlags
	fs := newFlags("sensing prune", "[--db URL]", "Delete readings and rollups past their retention (the server also does this hourly).")
	c.register(fs)
	a, err := c.parseOpen(ctx, fs, args[1:])
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.Sensing.Prune(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("pruned %d rows\n", n)
	return nil
}

// simCreds is where the simulator keeps its devices' secrets between runs (the
// database keeps only their hashes).
type simCreds struct {
	SiteID  string              `json:"site_id"`
	Devices []sensing.SimDevice `json:"devices"`
}

func runSimulate(ctx context.Context, args []string) error {
	usage := "usage: fishpond simulate sensors --devices N --rate R [--broker host:1883] [--duration 1m] [--db URL]"
	if done, err := subcommand(args, usage, "sensors"); done {
		return err
	}
	var c commonFlags
	fs := newFlags("simulate sensors", "--devices N --rate R", "Register N simulated devices (soil, weather, barn and hive sensors, on sites named\n模拟… owned by the first cooperative, or --site) and publish realistic readings\nover MQTT at R readings per second in all (0: as fast as the broker acknowledges).\nSecrets are kept in DATA_DIR/sensing-sim.json so a second run reuses the devices.")
	c.register(fs)
	n := fs.Int("devices", 20, "number of simulated devices")
	rate := fs.Float64("rate", 100, "readings per second over all devices (0: as fast as possible)")
	broker := fs.String("broker", "127.0.0.1:1883", "MQTT broker (host:port): serve's embedded broker, or an external one")
	external := fs.Bool("external", false, "the broker is external: send each device's secret as the device-key user property")
	duration := fs.Duration("duration", time.Minute, "how long to publish (0: until Ctrl-C)")
	rows := fs.Int("rows", 10, "rows per message (compact batch form)")
	inflight := fs.Int("inflight", 1, "unacknowledged messages per device")
	live := fs.Bool("live", true, "stamp readings with the current time (false: backfill from 5 days ago, 10 s apart)")
	site := fs.String("site", "", "put new devices on this site (default: simulated sites of the first cooperative)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *n < 1 || *n > 100000 || *rate < 0 || *rows < 1 {
		fmt.Fprintln(os.Stderr, usage)
		return errUsage
	}
	a, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	devs, err := simDevices(ctx, a, *n, *site)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "simulating %d devices at %g readings/s into %s…\n", len(devs), *rate, *broker)
	st, err := sensing.Simulate(ctx, sensing.SimConfig{Broker: *broker, Devices: devs, Rate: *rate, Duration: *duration, Rows: *rows,
		Inflight: *inflight, External: *external, Live: *live})
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	out, _ := json.Marshal(map[string]any{"devices": len(devs), "messages": st.Messages, "readings": st.Readings, "refused": st.Refused,
		"seconds": st.Elapsed.Seconds(), "readings_per_second": float64(st.Readings) / st.Elapsed.Seconds()})
	fmt.Println(string(out))
	return nil
}

// simDevices returns n simulated devices with their secrets, registering the
// ones not yet in DATA_DIR/sensing-sim.json.
func simDevices(ctx context.Context, a *app, n int, siteID string) ([]sensing.SimDevice, error) {
	path := filepath.Join(a.DataDir, "sensing-sim.json")
	var creds simCreds
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &creds)
	}
	// Devices of an earlier run that no longer exist (a new database) are dropped.
	var kept []sensing.SimDevice
	for _, d := range creds.Devices {
		if a.Sensing.Authenticate(ctx, d.ID, d.Secret) == nil {
			kept = append(kept, d)
		}
	}
	creds.Devices = kept
	if len(creds.Devices) >= n {
		return creds.Devices[:n], nil
	}
	p := fishpond.System
	sites := map[string]sensing.Site{}
	if siteID != "" {
		st, err := a.Sensing.Site(ctx, p, siteID)
		if err != nil {
			return nil, err
		}
		sites[st.Kind] = st
	} else {
		var coop string
		err := a.DB.Read().QueryRowContext(ctx, "SELECT id FROM market_coops ORDER BY created_at, id LIMIT 1").Scan(&coop)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("no cooperative to own the simulated sites: run the demo first, or pass --site")
		}
		if err != nil {
			return nil, err
		}
		existing, err := a.Sensing.Sites(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, kind := range sensing.SiteKinds {
			name := "模拟" + map[string]string{"field": "田块", "barn": "圈舍", "hive": "蜂场"}[kind]
			for _, st := range existing {
				if st.Name == name && st.OwnerID == coop {
					sites[kind] = st
				}
			}
			if _, ok := sites[kind]; !ok {
				st, err := a.Sensing.CreateSite(ctx, p, sensing.NewSite{Name: name, Kind: kind, OwnerKind: "coop", OwnerID: coop, Crop: "小米", AreaMu: 100, HeadCount: 400})
				if err != nil {
					return nil, err
				}
				sites[kind] = st
			}
		}
	}
	plan := map[string][]string{"field": {"soil", "weather"}, "barn": {"barn"}, "hive": {"hive"}}
	var kinds []string
	for _, k := range sensing.SiteKinds {
		if _, ok := sites[k]; ok {
			for _, t := range plan[k] {
				kinds = append(kinds, k+"/"+t)
			}
		}
	}
	for i := len(creds.Devices); i < n; i++ {
		kind, typ, _ := strings.Cut(kinds[i%len(kinds)], "/")
		d, err := a.Sensing.CreateDevice(ctx, p, sites[kind].ID, sensing.NewDevice{Name: fmt.Sprintf("sim-%05d-%d", i+1, time.Now().UnixNano()%100000), Type: typ})
		if err != nil {
			return nil, err
		}
		creds.Devices = append(creds.Devices, sensing.SimDevice{ID: d.ID, Secret: d.Secret, Type: d.Type})
	}
	b, _ := json.MarshalIndent(creds, "", " ")
	if err := os.MkdirAll(a.DataDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, err
	}
	return creds.Devices, nil
}
