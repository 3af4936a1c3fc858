package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"fishpond"
)

func runLedger(ctx context.Context, args []string) error {
	if done, err := subcommand(args, "usage: fishpond ledger verify [--db URL]", "verify"); done {
		return err
	}
	var c commonFlags
	fs := newFlags("ledger verify", "[--db URL]", "Recompute every account balance from the postings, check that each transfer and all\naccounts together sum to zero and that standing rules stayed within their caps.\nExits non-zero and names the account or transfer if anything is off.")
	c.register(fs)
	a, err := c.parseOpen(ctx, fs, args[1:])
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	rep, err := a.Ledger.Verify(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("ledger: %d accounts, %d transfers, %d postings, total %s yuan (%s)\n", rep.Accounts, rep.Transfers, rep.Postings, rep.Total, time.Since(start).Round(time.Millisecond))
	if err := rep.Err(); err != nil {
		return err
	}
	fmt.Println("ledger OK: every balance matches its postings and everything sums to zero")
	return nil
}

func runAssess(ctx context.Context, args []string) error {
	var c commonFlags
	fs := newFlags("assess", "--year YYYY [--county CODE] [--set-line YUAN]", "Compute every registered household's status for a year: per-capita net income\n(wage + net operating + net property + net transfer, platform and declared) against\nthat year's poverty line, plus the two-no-worries-three-guarantees indicators. Stores\neach change with its reasons. Re-running with the same data changes nothing.")
	c.register(fs)
	year := fs.Int("year", 0, "assessment year (required)")
	county := fs.String("county", "", "one county (default: all)")
	setLine := fs.String("set-line", "", "first set the poverty line of --year, in yuan per person per year")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *year == 0 {
		fs.Usage()
		return errUsage
	}
	a, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if *setLine != "" {
		m, err := fishpond.ParseMoney(*setLine)
		if err != nil {
			return fmt.Errorf("--set-line: %v", err)
		}
		if _, err := a.Assessor.SetPovertyLine(ctx, fishpond.System, *year, m, "set with fishpond assess --set-line"); err != nil {
			return err
		}
	}
	rep, err := a.Assessor.Run(ctx, fishpond.System, *year, *county)
	if err != nil {
		return err
	}
	scope := "all counties"
	if *county != "" {
		scope = "county " + *county
	}
	fmt.Printf("assessed %d households of %s for %d against a line of %s yuan (%s)\n", rep.Households, scope, rep.Year, rep.Line.Amount, rep.Line.Source)
	keys := make([]string, 0, len(rep.ByStatus))
	for k := range rep.ByStatus {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, rep.ByStatus[k]))
	}
	fmt.Printf("statuses: %s\n", strings.Join(parts, ", "))
	fmt.Printf("changed %d, unchanged %d, in %s (read %s, compute %s, write %s)\n", rep.Changed, rep.Unchanged,
		rep.Duration.Round(time.Millisecond), rep.Read.Round(time.Millisecond), rep.Compute.Round(time.Millisecond), rep.Write.Round(time.Millisecond))
	if len(rep.LaterYears) > 0 {
		fmt.Printf("note: later years %v were assessed before; run them again so returns to poverty use this year\n", rep.LaterYears)
	}
	return nil
}
