package demo

import (
	"context"
	"fmt"

	"fishpond/events"
	"fishpond/generate"
	"fishpond/report"
)

// The report step: two years of generated marketplace history for the three demo
// counties (county scale, calibrated around 2020 H1), so the half-year reports have
// months, counties and categories worth looking at; then the report consumer folds
// in the demo's own order and assessment events.
func init() {
	steps = append(steps, step{name: "report", run: func(ctx context.Context, d Deps, l Loaded) error {
		if d.DB == nil {
			d.DB = d.Ledger.DB() // the one database every capability writes to
		}
		var codes []string
		for _, c := range counties {
			codes = append(codes, c.code)
		}
		if _, err := generate.Run(ctx, d.DB, generate.Config{Scale: generate.ScaleCounty, Factor: 0.003, Seed: 2020, Counties: codes, Anchor: "2020H1"}); err != nil {
			return fmt.Errorf("generate sales history: %w", err)
		}
		c := report.NewConsumer(events.New(d.DB, nil))
		for {
			n, err := c.ProcessBatch(ctx)
			if err != nil || n == 0 {
				return err
			}
		}
	}})
}
