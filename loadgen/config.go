package loadgen

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Pay modes: what completes a checkout.
const (
	// PaySandbox pays every order at the sandbox cashier; a checkout completes when
	// the server has verified the wallet's signed notification and the order is paid.
	PaySandbox = "sandbox"
	// PaySkip stops at the placed order, to measure ordering alone.
	PaySkip = "skip"
)

// Config is one bench run. Zero values take the defaults of Defaults.
type Config struct {
	URL         string        // base URL of the server, e.g. http://127.0.0.1:8080
	Duration    time.Duration // mix: how long to run (ignored when Checkouts > 0)
	Checkouts   int           // mix: stop after this many completed checkouts
	Concurrency int           // mix: virtual buyers running at once
	Flash       bool          // flash-sale mode instead of the mix
	Units       int64         // flash: units on offer
	Buyers      int           // distinct buyer accounts (flash: each tries once)
	Pay         string        // PaySandbox or PaySkip
	// MaxInFlight caps simultaneous HTTP requests (and so connections), keeping
	// 20,000 buyers within the machine's open-files limit.
	MaxInFlight int
	// PaidTimeout is how long a buyer waits for the order to turn paid after the
	// cashier confirms, before the checkout counts as failed.
	PaidTimeout time.Duration
}

// Defaults are the values a zero Config field takes.
var Defaults = Config{Duration: 30 * time.Second, Concurrency: 64, Units: 1000, Pay: PaySandbox, MaxInFlight: 2000, PaidTimeout: 15 * time.Second}

// normalise fills defaults and checks the run makes sense.
func (c *Config) normalise() error {
	u, err := url.Parse(c.URL)
	if c.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url must be the server's base URL, e.g. http://127.0.0.1:8080")
	}
	c.URL = u.Scheme + "://" + u.Host
	if c.Duration <= 0 {
		c.Duration = Defaults.Duration
	}
	if c.Concurrency <= 0 {
		c.Concurrency = Defaults.Concurrency
	}
	if c.Units <= 0 {
		c.Units = Defaults.Units
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = Defaults.MaxInFlight
	}
	if c.PaidTimeout <= 0 {
		c.PaidTimeout = Defaults.PaidTimeout
	}
	if c.Pay == "" {
		c.Pay = Defaults.Pay
	}
	if c.Pay != PaySandbox && c.Pay != PaySkip {
		return fmt.Errorf("--pay must be %s or %s", PaySandbox, PaySkip)
	}
	if c.Buyers <= 0 {
		if c.Flash {
			c.Buyers = 20000
		} else {
			c.Buyers = c.Concurrency
		}
	}
	if c.Checkouts < 0 {
		return errors.New("--checkouts must be positive")
	}
	if !c.Flash {
		c.MaxInFlight = max(c.MaxInFlight, c.Concurrency)
	}
	return nil
}

func (c *Config) mode() string {
	if c.Flash {
		return "flash"
	}
	return "mix"
}
