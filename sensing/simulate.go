package sensing

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

// SimDevice is a device the simulator plays, with its credentials.
type SimDevice struct {
	ID, Secret, Type string
}

// SimConfig drives Simulate.
type SimConfig struct {
	Broker  string // host:port
	Devices []SimDevice
	// Rate is readings per second over all devices; 0 publishes as fast as the
	// broker acknowledges (benchmarks).
	Rate     float64
	Duration time.Duration
	// Rows is rows per message (compact batch form); every row holds one value
	// per metric of the device's type.
	Rows int
	// Inflight is how many QoS 1 publishes each device keeps unacknowledged.
	Inflight int
	// External sets the device-key user property (an external broker).
	External bool
	// Live stamps readings with the wall clock; otherwise event time starts at
	// Start and advances Step per row (backfills and benchmarks).
	Live  bool
	Start time.Time
	Step  time.Duration
	Seed  uint64
}

// SimStats is what a simulation sent.
type SimStats struct {
	Messages, Readings int64
	Refused            int64 // PUBACKs with a failure reason
	Elapsed            time.Duration
}

// Simulate connects every device to the broker (MQTT 5, its own credentials)
// and publishes realistic readings until Duration passes or ctx ends.
func Simulate(ctx context.Context, cfg SimConfig) (SimStats, error) {
	if cfg.Rows <= 0 {
		cfg.Rows = 10
	}
	if cfg.Inflight <= 0 {
		cfg.Inflight = 1
	}
	if cfg.Step <= 0 {
		cfg.Step = 10 * time.Second
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Now().Add(-5 * 24 * time.Hour)
	}
	var st SimStats
	clients := make([]*paho.Client, len(cfg.Devices))
	for i, d := range cfg.Devices {
		c, err := simConnect(ctx, cfg.Broker, d)
		if err != nil {
			for _, c := range clients[:i] {
				c.Disconnect(&paho.Disconnect{})
			}
			return st, err
		}
		clients[i] = c
	}
	defer func() {
		for _, c := range clients {
			c.Disconnect(&paho.Disconnect{})
		}
	}()
	// The run's time counts from when every device is connected.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if cfg.Duration > 0 {
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	start := time.Now()
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for i, d := range cfg.Devices {
		metrics := DeviceTypes[d.Type]
		if len(metrics) == 0 {
			continue
		}
		perMsg := float64(cfg.Rows * len(metrics))
		var interval time.Duration
		if cfg.Rate > 0 {
			interval = time.Duration(float64(time.Second) * perMsg * float64(len(cfg.Devices)) / cfg.Rate)
		}
		gen := newGenerator(d.Type, cfg.Seed+uint64(i))
		var mu sync.Mutex
		cursor := cfg.Start.Add(time.Duration(i) * time.Millisecond)
		next := func() []byte {
			mu.Lock()
			defer mu.Unlock()
			at := make([]int64, cfg.Rows)
			vals := make([][]float64, cfg.Rows)
			for r := range cfg.Rows {
				t := cursor
				if cfg.Live {
					t = time.Now().Add(time.Duration(r-cfg.Rows) * time.Millisecond)
				} else {
					cursor = cursor.Add(cfg.Step)
				}
				at[r] = t.UnixMilli()
				vals[r] = gen.values(t)
			}
			return EncodeBatch(d.ID, metrics, at, vals)
		}
		for range cfg.Inflight {
			wg.Add(1)
			go func(c *paho.Client) {
				defer wg.Done()
				var tick *time.Ticker
				if interval > 0 {
					tick = time.NewTicker(interval * time.Duration(cfg.Inflight))
					defer tick.Stop()
				}
				for ctx.Err() == nil {
					pub := &paho.Publish{Topic: Topic(d.ID), QoS: 1, Payload: next()}
					if cfg.External {
						pub.Properties = &paho.PublishProperties{User: paho.UserProperties{{Key: DeviceKeyProperty, Value: d.Secret}}}
					}
					resp, err := c.Publish(ctx, pub)
					if err != nil {
						if ctx.Err() == nil {
							firstErr.CompareAndSwap(nil, err)
							cancel()
						}
						return
					}
					atomic.AddInt64(&st.Messages, 1)
					if resp.ReasonCode >= 0x80 {
						atomic.AddInt64(&st.Refused, 1)
					} else {
						atomic.AddInt64(&st.Readings, int64(perMsg))
					}
					if tick != nil {
						select {
						case <-tick.C:
						case <-ctx.Done():
						}
					}
				}
			}(clients[i])
		}
	}
	wg.Wait()
	st.Elapsed = time.Since(start)
	if err, ok := firstErr.Load().(error); ok {
		return st, err
	}
	return st, nil
}

func simConnect(ctx context.Context, broker string, d SimDevice) (*paho.Client, error) {
	conn, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, "tcp", broker)
	if err != nil {
		return nil, fmt.Errorf("connect to broker %s: %w", broker, err)
	}
	c := paho.NewClient(paho.ClientConfig{ClientID: "sim-" + d.ID, Conn: conn})
	ack, err := c.Connect(ctx, &paho.Connect{ClientID: "sim-" + d.ID, KeepAlive: 30, CleanStart: true,
		Username: d.ID, UsernameFlag: true, Password: []byte(d.Secret), PasswordFlag: true})
	if err != nil {
		conn.Close()
		if ack != nil {
			return nil, fmt.Errorf("device %s refused by broker: reason 0x%02x", d.ID, ack.ReasonCode)
		}
		return nil, fmt.Errorf("device %s: %w", d.ID, err)
	}
	return c, nil
}

// generator makes plausible values: daily cycles, slow trends and noise.
type generator struct {
	typ   string
	rng   *rand.Rand
	phase float64
	base  float64
}

func newGenerator(typ string, seed uint64) *generator {
	r := rand.New(rand.NewPCG(seed, 0x5e9510))
	return &generator{typ: typ, rng: r, phase: r.Float64() * 0.5, base: r.Float64()}
}

func (g *generator) values(t time.Time) []float64 {
	// Hours since midnight China time; the day's warmest hour is about 14:00.
	h := float64((t.UnixMilli()+chinaOffset)%86400000) / 3600000
	day := math.Sin(2*math.Pi*(h-8)/24 + g.phase)
	n := func(sd float64) float64 { return g.rng.NormFloat64() * sd }
	clamp := func(v, lo, hi float64) float64 { return math.Round(math.Min(hi, math.Max(lo, v))*100) / 100 }
	switch g.typ {
	case "soil":
		return []float64{clamp(30+4*g.base-3*day+n(0.5), 0, 100), clamp(18+4*day+n(0.3), -30, 60)}
	case "weather":
		rain := 0.0
		if g.rng.Float64() < 0.02 {
			rain = g.rng.Float64() * 3
		}
		return []float64{clamp(20+7*day+n(0.4), -50, 60), clamp(60-15*day+n(2), 0, 100), clamp(rain, 0, 500)}
	case "barn":
		return []float64{clamp(23+3*g.base+3*day+n(0.3), -40, 60), clamp(65-8*day+n(2), 0, 100), clamp(10+4*g.base+n(1), 0, 200)}
	case "hive":
		days := float64(t.Unix()) / 86400
		return []float64{clamp(35+5*g.base+0.2*math.Mod(days, 30)+0.3*day+n(0.02), 0, 200), clamp(34.5+0.5*day+n(0.1), -20, 60)}
	}
	return nil
}
