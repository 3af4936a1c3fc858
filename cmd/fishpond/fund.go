package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"fishpond"
)

func init() {
	commands["fund"] = command{"print the fund's report figures (disbursed, people covered, volunteer hours)", runFund}
}

func runFund(ctx context.Context, args []string) error {
	if done, err := subcommand(args, "usage: fishpond fund metrics [--period 2020H1 | --from DATE --to DATE] [--db URL]", "metrics"); done {
		return err
	}
	var c commonFlags
	fs := newFlags("fund metrics", "[--period 2020H1 | --from YYYY-MM-DD --to YYYY-MM-DD] [--db URL]",
		"Print the fund's figures for the half-year report as one JSON object: committed, allocated and\ndisbursed (by area and county, in fen), people covered per programme, women, students and\nteachers, people trained and placed and their wages, specialists, counties visited and\nvolunteer hours. Without a period or dates: the whole life of the fund.")
	c.register(fs)
	period := fs.String("period", "", "a half-year such as 2020H1")
	from := fs.String("from", "", "first day, inclusive")
	to := fs.String("to", "", "last day, exclusive")
	a, err := c.parseOpen(ctx, fs, args[1:])
	if err != nil {
		return err
	}
	defer a.Close()
	m, err := a.Fund.Metrics(ctx, fishpond.System, *from, *to)
	if *period != "" {
		p, perr := fishpond.ParsePeriod(*period)
		if perr != nil {
			return fmt.Errorf("--period: %v", perr)
		}
		m, err = a.Fund.PeriodMetrics(ctx, fishpond.System, p)
	}
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}
