package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"fishpond"
)

func runImport(ctx context.Context, args []string) error {
	if done, err := subcommand(args, "usage: fishpond import households FILE --county CODE [--db URL]", "households"); done {
		return err
	}
	var c commonFlags
	fs := newFlags("import households", "FILE --county CODE", "Import registered households and members from a CSV (UTF-8 or GBK) or XLSX file.\nValid rows are applied; bad rows are reported by row and column; importing the same\nfile again changes nothing. A structurally broken file changes nothing at all.\nThe template: GET /api/v1/templates/households.xlsx (or .csv).")
	c.register(fs)
	county := fs.String("county", "", "county code (6 digits) the households belong to")
	pos, err := parseWithArgs(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 || *county == "" {
		fs.Usage()
		return errUsage
	}
	file := pos[0]
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	a, err := c.open(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if _, _, _, err := a.Registry.LoadPlaces(ctx); err != nil {
		return err
	}
	rep, err := a.Registry.Import(ctx, fishpond.System, *county, filepath.Base(file), f)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d rows read (%s)\n", file, rep.Rows, rep.Format)
	fmt.Printf("households: %d created, %d updated, %d unchanged\n", rep.HouseholdsCreated, rep.HouseholdsUpdated, rep.HouseholdsUnchanged)
	fmt.Printf("members:    %d created, %d updated, %d unchanged\n", rep.MembersCreated, rep.MembersUpdated, rep.MembersUnchanged)
	if len(rep.Errors) > 0 {
		fmt.Printf("%d rows with errors:\n", len(rep.Errors))
		for _, e := range rep.Errors {
			fmt.Printf("  row %d, %s: %s\n", e.Row, e.Column, e.Reason)
		}
		return fmt.Errorf("%d rows were not imported", len(rep.Errors))
	}
	return nil
}
