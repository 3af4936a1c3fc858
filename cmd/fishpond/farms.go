package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"fishpond"
)

func init() {
	commands["farms"] = command{"farms: pay rent that is due, print a farm's report", runFarms}
}

const farmsUsage = "usage: fishpond farms rent [--db URL] | fishpond farms report --coop ID --year YYYY [--db URL]"

func runFarms(ctx context.Context, args []string) error {
	if done, err := subcommand(args, farmsUsage, "rent", "report"); done {
		return err
	}
	var c commonFlags
	switch args[0] {
	case "rent":
		fs := newFlags("farms rent", "[--db URL]", "Pay every land-transfer rent installment that is due, oldest first, one transaction\neach (what `serve` does every minute). Safe to run at any time, also while a server\nruns: an installment is paid exactly once.")
		c.register(fs)
		a, err := c.parseOpen(ctx, fs, args[1:])
		if err != nil {
			return err
		}
		defer a.Close()
		run, err := a.Farms.RunDueRent(ctx)
		fmt.Printf("rent: paid %d installments, %s yuan\n", run.Paid, run.Amount)
		return err
	default:
		fs := newFlags("farms report", "--coop ID --year YYYY [--db URL]", "Print a farm's year: each household's income from it by source (rent, wages,\nproduce sales, dividends, inputs on credit), yield and claimed area.")
		c.register(fs)
		coop := fs.String("coop", "", "cooperative id (required)")
		year := fs.Int("year", 0, "year (required)")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *coop == "" || *year == 0 {
			fs.Usage()
			return errUsage
		}
		a, err := c.open(ctx, nil)
		if err != nil {
			return err
		}
		defer a.Close()
		r, err := a.Farms.Report(ctx, fishpond.System, *coop, *year)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "household\trent\twages\tsales\tdividends\tinputs\tnet\t")
		for _, h := range r.Households {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", h.Number, h.Rent, h.Wages, h.Sales, h.Dividends, h.Inputs, h.Net())
		}
		fmt.Fprintf(tw, "%d households\t%s\t%s\t%s\t%s\t%s\t\t\n", r.Benefiting, r.Rent, r.Wages, r.Sales, r.Dividends, r.Inputs)
		tw.Flush()
		fmt.Printf("contracted %s mu; %d fields, %s mu, yield %s kg; claimed %d of %d mu (%d claims, %s yuan), %d shipped\n",
			r.ContractedMu, r.Fields, r.FieldMu, r.Yield, r.ClaimedMu, r.ClaimableMu, r.Claims, r.ClaimRevenue, r.ShippedClaims)
		return nil
	}
}
