// Command fishpond is the one binary of Fishpond: it serves the web and API, runs
// the demo, migrates, imports, manages users and tokens, and backs up. Config lives
// here only: flags and environment are read in this package and passed down.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"fishpond"
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

// commands are the foundation's; a capability's command file adds its own from an
// init function (commands["report"] = command{…}) so this list stays put.
var commands = map[string]command{
	"serve":   {"serve the web pages and the JSON API", runServe},
	"demo":    {"create a demo dataset if the database is empty, then serve", runDemo},
	"migrate": {"apply database migrations and print the version", runMigrate},
	"import":  {"import registered households from CSV or XLSX", runImport},
	"user":    {"add users and list them", runUser},
	"token":   {"create API tokens", runToken},
	"backup":  {"take a consistent online copy of the SQLite database", runBackup},
	"ledger":  {"check the ledger: recompute every balance from the postings", runLedger},
	"assess":  {"compute household statuses for a year against the poverty line", runAssess},
	"bench":   {"load-test a running server over HTTP: checkout mix or flash sale", runBench},
}

func usage() {
	fmt.Fprintln(os.Stderr, "fishpond — Internet + poverty alleviation platform\n\nusage: fishpond <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'fishpond <command> --help' for its flags.")
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "fishpond: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmd.run(ctx, os.Args[2:]); err != nil {
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "fishpond "+os.Args[1]+": "+describe(err))
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// describe renders an error for a terminal: the user-facing message and field
// details of a fishpond.Error, the full text of anything else.
func describe(err error) string {
	var fe *fishpond.Error
	if errors.As(err, &fe) {
		s := fe.Message
		for k, v := range fe.Fields {
			s += fmt.Sprintf("\n  %s: %s", k, v)
		}
		if fe.Code == fishpond.EInternal && fe.Err != nil {
			s += ": " + fe.Err.Error()
		}
		return s
	}
	return err.Error()
}
