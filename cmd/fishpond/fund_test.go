package main_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// `fishpond fund metrics` prints the report's figures as JSON and refuses a bad period.
func TestFundMetricsCommand(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "f.db")
	out := mustRun(t, "", "fund", "metrics", "--period", "2020H1", "--db", db)
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if m["from"] != "2020-01-01" || m["to"] != "2020-07-01" || m["disbursed_fen"] != float64(0) {
		t.Fatalf("figures of an empty fund: %v", m)
	}
	if _, _, err := run(t, "", "fund", "metrics", "--period", "2020H3", "--db", db); err == nil {
		t.Fatal("a bad period was accepted")
	}
	if _, errOut, _ := run(t, "", "fund", "metrics", "--help"); !strings.Contains(errOut, "usage: fishpond fund metrics") {
		t.Fatalf("fund metrics --help: %s", errOut)
	}
}
