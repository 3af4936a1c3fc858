package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"fishpond/demo"
	"fishpond/web"
)

func runDemo(ctx context.Context, args []string) error {
	var c commonFlags
	fs := newFlags("demo", "[--addr :8080] [--db URL]", "Create ./fishpond-data/fishpond.db with a demo dataset if the database is empty\n(real divisions and poverty counties, ~2,000 synthetic registered households in three\npoverty counties, one account per role), print the demo logins, then serve.\nA second start reuses the data.")
	c.register(fs)
	addr := fs.String("addr", envOr("FISHPOND_ADDR", ":8080"), "listen address")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := c.open(ctx, os.Stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	empty, err := demo.Empty(ctx, a.DB)
	if err != nil {
		return err
	}
	if empty {
		fmt.Fprintln(os.Stderr, "loading the demo dataset (first start only)…")
		start := time.Now()
		deps := demo.Deps{Registry: a.Registry, Access: a.Access, Ledger: a.Ledger, Assessor: a.Assessor, Market: a.Market}
		deps.Partners = a.Partners
		deps.Logistics = a.Logistics
		deps.Farms = a.Farms
		deps.Credit = a.Credit
		deps.Insurance = a.Insurance
		deps.Fund = a.Fund
		deps.Green = a.Green
		deps.Sensing = a.Sensing
		deps.Live = a.Live
		deps.DB = a.DB
		if err := demo.Load(ctx, deps, progressBar(os.Stderr)); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		fmt.Fprintf(os.Stderr, "demo dataset ready in %s\n", time.Since(start).Round(time.Millisecond))
	} else {
		fmt.Fprintln(os.Stderr, "database already holds data: reusing it")
	}
	logins := demo.Logins()
	for _, l := range logins {
		web.DemoLogins = append(web.DemoLogins, web.DemoLogin{Name: l.Name, Password: l.Password, Role: l.Role, Note: l.Note})
	}
	return serve(ctx, a, serveOptions{addr: *addr, httpWebhooks: true, ready: func(bound string) {
		fmt.Printf("\nFishpond demo: %s\n\ndemo logins (user / password / role):\n", publicBase(bound, ""))
		for _, l := range logins {
			fmt.Printf("  %-10s %-15s %-15s %s\n", l.Name, l.Password, l.Role, l.Note)
		}
		fmt.Println("\nCtrl-C stops the server; the data stays in", c.resolvedDataDir())
	}})
}

// progressBar draws a one-line progress bar per stage on a terminal (or plain
// lines when not a terminal), so a first start never looks stuck.
func progressBar(w *os.File) demo.Progress {
	tty := false
	if st, err := w.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
		tty = true
	}
	last := ""
	return func(stage string, done, total int) {
		if total <= 0 {
			return
		}
		pct := done * 100 / total
		if tty {
			bar := strings.Repeat("█", pct/4) + strings.Repeat("░", 25-pct/4)
			fmt.Fprintf(w, "\r  %-11s %s %3d%% (%d/%d)", stage, bar, pct, done, total)
			if done == total {
				fmt.Fprintln(w)
			}
			return
		}
		key := fmt.Sprintf("%s %d", stage, pct/10)
		if key != last {
			fmt.Fprintf(w, "  %s %d%% (%d/%d)\n", stage, pct, done, total)
			last = key
		}
	}
}
