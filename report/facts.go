package report

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"fishpond/internal/db"
)

// The facts the built-in sources keep (report_facts.fact).
const (
	FactGMV          = "sales.gmv"      // month × shop county: order totals, counted when paid
	FactOrders       = "sales.orders"   // month × shop county: orders paid
	FactCategory     = "sales.category" // month × shop county × product category: line amounts
	FactRefunds      = "sales.refunds"  // month × shop county: refunds, counted when made
	FactHouseholds   = "households"     // year × county × status: households assessed
	FactPeople       = "people"         // year × county × status: their members
	FactExited       = "households.exited"
	FactPeopleExited = "people.exited"
)

// key addresses one counter.
type key struct{ Fact, Period, County, Dim string }

// Facts is a set of counters, the unit both the consumer and the rebuild write.
type Facts map[key]int64

// Add adds v to a counter.
func (f Facts) Add(fact, period, county, dim string, v int64) {
	if v != 0 {
		f[key{fact, period, county, dim}] += v
	}
}

// sortedKeys gives a deterministic write order (fewer lock waits, stable tests).
func (f Facts) sortedKeys() []key {
	ks := make([]key, 0, len(f))
	for k := range f {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		a, b := ks[i], ks[j]
		if a.Fact != b.Fact {
			return a.Fact < b.Fact
		}
		if a.Period != b.Period {
			return a.Period < b.Period
		}
		if a.County != b.County {
			return a.County < b.County
		}
		return a.Dim < b.Dim
	})
	return ks
}

const upsertRows = 200 // 5 parameters a row

// AddFacts adds every counter of f to report_facts in tx, with multi-row upserts.
// The generator uses it for the history it writes, the consumer for each batch.
func AddFacts(ctx context.Context, tx *db.Tx, f Facts) error {
	ks := f.sortedKeys()
	for start := 0; start < len(ks); start += upsertRows {
		end := min(start+upsertRows, len(ks))
		var q strings.Builder
		q.WriteString("INSERT INTO report_facts (fact, period, county_code, dim, value) VALUES ")
		args := make([]any, 0, 5*(end-start))
		for i, k := range ks[start:end] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, k.Fact, k.Period, k.County, k.Dim, f[k])
		}
		q.WriteString(" ON CONFLICT (fact, period, county_code, dim) DO UPDATE SET value = report_facts.value + excluded.value")
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("report: add facts: %w", err)
		}
	}
	return nil
}

// readFacts loads the counters of the given facts whose period lies in
// [from, to] (string order: months "2018-01", years "2018").
func readFacts(ctx context.Context, q db.Querier, facts []string, from, to string) (Facts, error) {
	out := Facts{}
	for _, fact := range facts {
		rows, err := q.QueryContext(ctx, "SELECT period, county_code, dim, value FROM report_facts WHERE fact = ? AND period >= ? AND period <= ?", fact, from, to)
		if err != nil {
			return nil, fmt.Errorf("report: read facts: %w", err)
		}
		for rows.Next() {
			var k key
			var v int64
			if err := rows.Scan(&k.Period, &k.County, &k.Dim, &v); err != nil {
				rows.Close()
				return nil, err
			}
			k.Fact = fact
			out[k] += v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AllFacts reads every stored counter, zero rows left out; tests and the rebuild
// check compare it with a recomputation.
func AllFacts(ctx context.Context, q db.Querier) (Facts, error) {
	rows, err := q.QueryContext(ctx, "SELECT fact, period, county_code, dim, value FROM report_facts")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := Facts{}
	for rows.Next() {
		var k key
		var v int64
		if err := rows.Scan(&k.Fact, &k.Period, &k.County, &k.Dim, &v); err != nil {
			return nil, err
		}
		if v != 0 {
			out[k] = v
		}
	}
	return out, rows.Err()
}

// Diff describes how two fact sets differ, at most n lines; "" if equal.
func Diff(a, b Facts, n int) string {
	var lines []string
	for _, k := range a.sortedKeys() {
		if a[k] != b[k] {
			lines = append(lines, fmt.Sprintf("%s %s %s %q: %d vs %d", k.Fact, k.Period, k.County, k.Dim, a[k], b[k]))
		}
	}
	for _, k := range b.sortedKeys() {
		if _, ok := a[k]; !ok {
			lines = append(lines, fmt.Sprintf("%s %s %s %q: missing vs %d", k.Fact, k.Period, k.County, k.Dim, b[k]))
		}
	}
	if len(lines) > n {
		lines = append(lines[:n], fmt.Sprintf("… %d more", len(lines)-n))
	}
	return strings.Join(lines, "\n")
}
