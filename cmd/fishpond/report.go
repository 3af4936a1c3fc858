package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"fishpond/events"
	"fishpond/generate"
	"fishpond/internal/db"
	"fishpond/report"
	"fishpond/web"
)

func init() {
	commands["report"] = command{"half-year report (html, json, csv, xlsx, pdf); 'report rebuild' recomputes the aggregates", runReport}
	commands["generate"] = command{"write a calibrated marketplace history: county, province or national scale", runGenerate}
}

func runReport(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "rebuild" {
		return runReportRebuild(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "bench" {
		return runReportBench(ctx, args[1:])
	}
	var c commonFlags
	fs := newFlags("report", "--period 2018H1 [--format html|json|csv|xlsx|pdf] [--out FILE] | report rebuild [--check]",
		"Write the report of a half-year (2018H1), a year (2018) or a run of months (2018-03..2018-08) from the\n"+
			"aggregates: the event consumer first catches up with the log, then nothing rescans raw data.\n"+
			"Public output: small cells suppressed, no personal data. PDF needs chromium.\n\n"+
			"'fishpond report rebuild' recomputes every aggregate from the raw tables (--check: compare only).")
	c.register(fs)
	period := fs.String("period", "", "reporting period (default: the last half-year with sales)")
	format := fs.String("format", "json", "html, json, csv, xlsx or pdf")
	table := fs.String("table", "metrics", "csv: which table ("+strings.Join(report.CSVTables, ", ")+")")
	out := fs.String("out", "", "file to write (default: standard output)")
	lang := fs.String("lang", "zh", "html/pdf language: zh or en")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := catchUp(ctx, a); err != nil {
		return err
	}
	p := *period
	if p == "" {
		if p, err = report.LatestPeriod(ctx, a.DB.Read()); err != nil {
			return err
		}
	}
	rg, err := report.ParseRange(p)
	if err != nil {
		return err
	}
	start := time.Now()
	rep, err := report.Build(ctx, a.DB.Read(), rg, a.Clock.Now(), true)
	if err != nil {
		return err
	}
	built := time.Since(start)
	var buf bytes.Buffer
	switch *format {
	case "json":
		err = rep.WriteJSON(&buf)
	case "csv":
		err = rep.WriteCSV(&buf, *table)
	case "xlsx":
		err = rep.WriteXLSX(&buf)
	case "html":
		err = web.ReportHTML(&buf, rep, *lang)
	case "pdf":
		var b []byte
		b, err = web.ReportPDF(ctx, rep, *lang)
		buf.Write(b)
	default:
		return fmt.Errorf("--format: %q is not html, json, csv, xlsx or pdf", *format)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "report %s: built in %s\n", rg, built.Round(time.Millisecond))
	if *out == "" {
		_, err = io.Copy(os.Stdout, &buf)
		return err
	}
	return os.WriteFile(*out, buf.Bytes(), 0o644)
}

// catchUp lets the report consumer fold in every event already in the log.
func catchUp(ctx context.Context, a *app) error {
	c := report.NewConsumer(events.New(a.DB, a.Clock))
	for {
		n, err := c.ProcessBatch(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
}

func runReportRebuild(ctx context.Context, args []string) error {
	var c commonFlags
	fs := newFlags("report rebuild", "[--db URL] [--check]", "Recompute every report aggregate from the raw tables (orders, lines, refunds, household\n"+
		"statuses; plugged capabilities from the event log) and replace the stored ones, moving the\n"+
		"consumer's checkpoint to the end of the log, in one transaction. --check compares only.")
	c.register(fs)
	check := fs.Bool("check", false, "compare the incremental aggregates with a recomputation; change nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if *check {
		if err := catchUp(ctx, a); err != nil {
			return err
		}
		start := time.Now()
		inc, err := report.AllFacts(ctx, a.DB.Read())
		if err != nil {
			return err
		}
		re, _, err := report.Recompute(ctx, a.DB.Read())
		if err != nil {
			return err
		}
		if d := report.Diff(inc, re, 20); d != "" {
			return fmt.Errorf("incremental aggregates differ from a rebuild (incremental vs rebuilt):\n%s", d)
		}
		fmt.Printf("report aggregates OK: %d counters equal a recomputation from the raw data (%s)\n", len(inc), time.Since(start).Round(time.Millisecond))
		return nil
	}
	st, err := report.Rebuild(ctx, a.DB, a.Clock.Now())
	if err != nil {
		return err
	}
	fmt.Printf("report aggregates rebuilt: %d counters, consumer at event %d, in %s\n", st.Facts, st.Through, st.Duration.Round(time.Millisecond))
	return nil
}

func runGenerate(ctx context.Context, args []string) error {
	var c commonFlags
	fs := newFlags("generate", "--scale county|province|national [--factor F] [--seed N]",
		"Write a deterministic marketplace history (shops, products by region, brands, channel listings,\n"+
			"seasonal orders and refunds) for poverty counties, calibrated so that the anchor half-year\n"+
			"reproduces the programme's 2018 H1 figures times --factor: 26 billion yuan of poverty-county\n"+
			"sales, 800+ counties with sales. Report aggregates are written in the same transactions.")
	c.register(fs)
	scale := fs.String("scale", "county", "county, province or national")
	factor := fs.Float64("factor", 0.001, "size relative to the programme (0.001 → 26 million yuan in 2018 H1)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same data")
	counties := fs.String("county", "", "county scale: comma-separated county codes (default 130624)")
	province := fs.String("province", "", "province scale: province code (default 62)")
	anchor := fs.String("anchor", "2018H1", "the calibrated half-year")
	resume := fs.Bool("resume", false, "continue an interrupted run with the same flags")
	noHouseholds := fs.Bool("no-households", false, "write no registered households, 2018 income or assessment")
	noLive := fs.Bool("no-live", false, "write no live-selling history (anchors, rooms, broadcasts)")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := c.open(ctx, os.Stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	if _, _, _, err := a.Registry.LoadPlaces(ctx); err != nil {
		return err
	}
	cfg := generate.Config{Scale: *scale, Factor: *factor, Seed: *seed, Province: *province, Anchor: *anchor, Resume: *resume, Progress: generateProgress(os.Stderr)}
	if !*noHouseholds {
		cfg.Households = &generate.Services{Registry: a.Registry, Ledger: a.Ledger, Assessor: a.Assessor}
	}
	if !*noLive {
		cfg.LiveKeys = a.Keys
	}
	if *counties != "" {
		cfg.Counties = strings.Split(*counties, ",")
	}
	res, err := generate.Run(ctx, a.DB, cfg)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return err
	}
	fmt.Printf("generated %d counties, %d shops, %d products, %d orders, %d lines, %d refunds: %d rows in %s (%.0f rows/s, %.0f orders/s)\n",
		res.Counties, res.Shops, res.Products, res.Orders, res.Lines, res.Refunds, res.Rows, res.Duration.Round(time.Millisecond),
		res.RowsPerSecond(), float64(res.Orders)/res.Duration.Seconds())
	fmt.Printf("%s poverty-county sales: %.2f yuan\n", cfg.Anchor, float64(res.AnchorGMVFen)/100)
	if cfg.LiveKeys != nil {
		fmt.Printf("live selling: %d certified anchors written now, %d broadcasts selling %.2f yuan in all months\n",
			res.LiveAnchors, res.LiveSessions, float64(res.LiveGMVFen)/100)
	}
	if cfg.Households != nil {
		fmt.Printf("households: %d registered now (%d people in all), %d income transfers; %d assessment: %d exited, %d marginal; %s (%.0f households/s)\n",
			res.Households, res.People, res.Transfers, generate.HouseholdYear, res.Exited, res.Marginal, res.HouseholdDuration.Round(time.Millisecond),
			float64(res.Households)/res.HouseholdDuration.Seconds())
	}
	return nil
}

// generateProgress draws "[#####     ] 52% 1,234,567 orders 180,000 rows/s" on one line.
func generateProgress(w io.Writer) func(generate.Progress) {
	return func(p generate.Progress) {
		if p.Stage != "" && p.Stage != generate.StageOrders {
			frac := min(1, float64(p.Done)/float64(max(p.Total, 1)))
			n := int(frac * 30)
			fmt.Fprintf(w, "\r[%s%s] %3.0f%% %s %d/%d, %.0f rows/s, %s   ", strings.Repeat("#", n), strings.Repeat(" ", 30-n), frac*100, p.Stage, p.Done, p.Total,
				float64(p.Rows)/p.Elapsed.Seconds(), p.Elapsed.Round(time.Second))
			return
		}
		frac := float64(p.Orders) / float64(max(p.TotalOrders, 1))
		if frac > 1 {
			frac = 1
		}
		n := int(frac * 30)
		rate := float64(p.Rows) / p.Elapsed.Seconds()
		fmt.Fprintf(w, "\r[%s%s] %3.0f%% %d orders, %.0f rows/s, %s   ", strings.Repeat("#", n), strings.Repeat(" ", 30-n), frac*100, p.Orders, rate, p.Elapsed.Round(time.Second))
	}
}

// runReportConsumer keeps the report aggregates up to date while serving.
func runReportConsumer(ctx context.Context, a *app) {
	c := report.NewConsumer(events.New(a.DB, a.Clock))
	for ctx.Err() == nil {
		if err := c.Run(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("report consumer", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
			}
		}
	}
}

// runReportBench measures report latency: the first build in this process (cold:
// fresh connections, empty SQLite page cache) and the median of the next runs
// (warm), plus the database size.
func runReportBench(ctx context.Context, args []string) error {
	var c commonFlags
	fs := newFlags("report bench", "[--db URL] [--period 2018H1] [--runs 9]", "Time report.Build cold (first in a fresh process) and warm (median of --runs), and print the database size.")
	c.register(fs)
	period := fs.String("period", "2018H1", "reporting period")
	runs := fs.Int("runs", 9, "warm runs")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	rg, err := report.ParseRange(*period)
	if err != nil {
		return err
	}
	var orders int64
	if err := a.DB.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM market_orders").Scan(&orders); err != nil {
		return err
	}
	var facts int64
	if err := a.DB.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM report_facts").Scan(&facts); err != nil {
		return err
	}
	t0 := time.Now()
	rep, err := report.Build(ctx, a.DB.Read(), rg, a.Clock.Now(), true)
	if err != nil {
		return err
	}
	cold := time.Since(t0)
	var warm []time.Duration
	for range *runs {
		t := time.Now()
		if _, err := report.Build(ctx, a.DB.Read(), rg, a.Clock.Now(), true); err != nil {
			return err
		}
		warm = append(warm, time.Since(t))
	}
	slices.Sort(warm)
	size := "?"
	if a.DB.Dialect == db.Postgres {
		var s string
		if err := a.DB.Read().QueryRowContext(ctx, "SELECT pg_size_pretty(pg_database_size(current_database()))").Scan(&s); err == nil {
			size = s
		}
	} else if p, ok := strings.CutPrefix(c.dbURL, "sqlite://"); ok {
		if st, err := os.Stat(p); err == nil {
			size = fmt.Sprintf("%.2f GB", float64(st.Size())/1e9)
		}
	}
	fmt.Printf("report %s over %d orders (%d aggregate rows): cold %s, warm median %s (min %s, max %s); GMV %d fen; database %s\n",
		rg, orders, facts, cold.Round(time.Millisecond), warm[len(warm)/2].Round(time.Millisecond), warm[0].Round(time.Millisecond),
		warm[len(warm)-1].Round(time.Millisecond), rep.Figure("poverty_county_gmv_fen").V, size)
	return nil
}
