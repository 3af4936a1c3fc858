package assess

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/ledger"
	"fishpond/registry"
)

// RunReport says what a Run did: how many households it assessed, how many
// statuses changed and how many households each status holds now.
type RunReport struct {
	RunID      string
	Year       int
	County     string // "" = every county in the runner's scope
	Line       PovertyLine
	MarginalBp fishpond.Bp
	Households int
	Changed    int // household_status rows written (new or different)
	Unchanged  int
	// HouseholdsUpdated counts households whose registry status changed (a
	// household assessed for a later year keeps that year's status).
	HouseholdsUpdated int
	ByStatus          map[string]int
	// LaterYears lists already assessed years after Year: their previous status
	// and returns to poverty were computed from the old Year, so re-run them.
	LaterYears []int
	StartedAt  time.Time
	Duration   time.Duration
	// Read, Compute and Write split Duration, for operators and benchmarks.
	Read, Compute, Write time.Duration
}

// canRun reports whether p may assess county ("" = its whole scope). Assessment
// changes official statuses, so only administrators and county officers run it.
func canRun(p fishpond.Principal) bool {
	return p.Role == fishpond.RoleAdmin || (p.Role == fishpond.RoleCountyOfficer && len(p.Counties) > 0)
}

// checkCounty validates a county code asked for by p: unknown is invalid (for
// those who may see all), outside the scope is not_found.
func (a *Assessor) checkCounty(ctx context.Context, p fishpond.Principal, county string) (registry.County, error) {
	if !p.CanSeeCounty(county) {
		return registry.County{}, notFound("县不存在或无权查看 / county not found")
	}
	c, err := a.reg.County(ctx, county)
	if fishpond.Code(err) == fishpond.ENotFound {
		return c, fishpond.Invalid(words("县代码 %s 不存在", "county %s does not exist", county), map[string]string{"county": "unknown county code"})
	}
	return c, err
}

// scopeCond is the condition on a county_code column that limits a query to
// county, or to the principal's counties when county is "".
func scopeCond(p fishpond.Principal, county string) (string, []any) {
	if county != "" {
		return "county_code = ?", []any{county}
	}
	if p.SeesAllCounties() {
		return "1 = 1", nil
	}
	args := make([]any, 0, len(p.Counties))
	for _, c := range p.Counties {
		args = append(args, c)
	}
	if len(args) == 0 {
		return "1 = 0", nil
	}
	return "county_code IN (" + db.Placeholders(len(args)) + ")", args
}

type statusRow struct {
	householdID, county string
	status, previous    string
	members             int
	perCapita, line     fishpond.Money
	reasons             string
	digest              int64
	oldStatus           string // on the household now
	oldYear             int
}

// Run assesses every household of county ("" = every county the principal may
// see) for year and stores the statuses that changed, with their reasons, in one
// transaction. Running it again on the same data changes nothing but records the
// run. Income is the calendar year in China time: platform plus declared.
func (a *Assessor) Run(ctx context.Context, p fishpond.Principal, year int, county string) (RunReport, error) {
	start := time.Now()
	county = strings.TrimSpace(county)
	if !canRun(p) {
		return RunReport{}, forbidden("只有管理员和县级干部可以进行评估 / only administrators and county officers may run an assessment")
	}
	if !validYear(year) {
		return RunReport{}, badYear(year)
	}
	if a.MarginalBp < 10000 || a.MarginalBp > 30000 {
		return RunReport{}, fishpond.Invalid("监测线比例无效 / invalid monitoring-line multiplier",
			map[string]string{"marginal_bp": "must be between 10000 (100%) and 30000 (300%) basis points"})
	}
	if county != "" {
		if _, err := a.checkCounty(ctx, p, county); err != nil {
			return RunReport{}, err
		}
	}
	line, err := a.PovertyLine(ctx, year)
	if err != nil {
		return RunReport{}, err
	}
	cond, cargs := scopeCond(p, county)

	// Read the three inputs in parallel: they are independent scans.
	var (
		wg                       sync.WaitGroup
		facts                    []registry.AssessmentFacts
		income                   map[string]ledger.Income
		priors                   map[string]Prior
		factErr, incErr, prioErr error
	)
	from, to := yearBounds(year)
	wg.Add(3)
	go func() { defer wg.Done(); facts, factErr = a.reg.AssessmentFacts(ctx, p, county, year) }()
	go func() { defer wg.Done(); income, incErr = a.led.IncomeByHousehold(ctx, from, to) }()
	go func() { defer wg.Done(); priors, prioErr = a.priors(ctx, year, cond, cargs) }()
	wg.Wait()
	for _, err := range []error{factErr, incErr, prioErr} {
		if err != nil {
			return RunReport{}, err
		}
	}

	tRead := time.Now()
	rep := RunReport{RunID: newID(), Year: year, County: county, Line: line, MarginalBp: a.MarginalBp,
		Households: len(facts), ByStatus: map[string]int{}, StartedAt: a.now()}
	rows := a.evaluate(facts, income, priors, line.Amount, &rep)
	income, priors, facts = nil, nil, nil
	tCompute := time.Now()

	if a.db.Dialect == db.SQLite && len(rows) > 10000 {
		// Multi-row upserts and updates keep a statement journal (for a
		// statement-level rollback) that spills to a temporary file beyond 64 KB;
		// at 1M rows that was 3 s of write system calls. Keep it in memory: the
		// setting must be made on the writer's (single) connection before the
		// transaction begins, so it is set here and restored afterwards.
		if _, err := a.db.SQL().ExecContext(ctx, "PRAGMA temp_store = MEMORY"); err != nil {
			return RunReport{}, fishpond.Internal(err)
		}
		defer a.db.SQL().ExecContext(context.WithoutCancel(ctx), "PRAGMA temp_store = DEFAULT")
	}
	err = a.db.InTx(ctx, func(tx *db.Tx) error {
		rep.Changed, rep.Unchanged, rep.HouseholdsUpdated, rep.LaterYears = 0, 0, 0, nil
		if tx.Dialect() == db.SQLite && len(rows) > 10000 {
			// A large run dirties far more pages than SQLite's default 2 MB cache
			// holds; let this transaction use up to 256 MB instead of spilling
			// pages to the WAL and reading them back, then restore the setting.
			var prev int64
			if err := tx.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&prev); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = -262144"); err != nil {
				return err
			}
			defer tx.ExecContext(ctx, "PRAGMA cache_size = "+strconv.FormatInt(prev, 10))
		}
		stored, err := storedDigests(ctx, tx, year, cond, cargs)
		if err != nil {
			return err
		}
		changed := make([]int32, 0, len(rows)/4) // indexes into rows
		byStatus := map[string][]string{}
		var evs []events.Event
		for i := range rows {
			r := &rows[i]
			d, ok := stored[r.householdID]
			if !ok || d.digest != r.digest {
				changed = append(changed, int32(i))
			}
			if !ok || d.status != r.status {
				evs = append(evs, statusEvent(year, *r, d.status))
			}
			if r.oldYear <= year && (r.oldStatus != r.status || r.oldYear != year) {
				byStatus[r.status] = append(byStatus[r.status], r.householdID)
			}
		}
		rep.Changed, rep.Unchanged = len(changed), len(rows)-len(changed)
		if err := writeStatuses(ctx, tx, rep.RunID, year, rows, byCounty(rows, changed)); err != nil {
			return err
		}
		if rep.HouseholdsUpdated, err = registry.SetAssessedStatuses(ctx, tx, year, byStatus); err != nil {
			return err
		}
		later, err := tx.QueryContext(ctx, "SELECT DISTINCT year FROM assessment_runs WHERE year > ? ORDER BY year", year)
		if err != nil {
			return err
		}
		for later.Next() {
			var y int
			if err := later.Scan(&y); err != nil {
				later.Close()
				return err
			}
			rep.LaterYears = append(rep.LaterYears, y)
		}
		later.Close()
		if err := events.AppendMany(ctx, tx, rep.StartedAt, evs); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO assessment_runs (id, year, county_code, line_fen, marginal_bp, households, changed,
			poor, marginal, exited, returned, run_by, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			rep.RunID, year, county, int64(line.Amount), int64(a.MarginalBp), rep.Households, rep.Changed,
			rep.ByStatus[StatusPoor], rep.ByStatus[StatusMarginal], rep.ByStatus[StatusExited], rep.ByStatus[StatusReturned],
			p.UserID, db.FormatTime(rep.StartedAt), db.FormatTime(a.now()))
		return err
	})
	if err != nil {
		if fishpond.Code(err) != fishpond.EInternal {
			return RunReport{}, err
		}
		return RunReport{}, fishpond.Internal(err)
	}
	rep.Duration = time.Since(start)
	rep.Read, rep.Compute, rep.Write = tRead.Sub(start), tCompute.Sub(tRead), time.Since(tCompute)
	return rep, nil
}

// priors reads every earlier assessed year of the households in scope.
func (a *Assessor) priors(ctx context.Context, year int, cond string, args []any) (map[string]Prior, error) {
	rows, err := a.db.Read().QueryContext(ctx, "SELECT household_id, year, status FROM household_status WHERE year < ? AND "+cond,
		append([]any{year}, args...)...)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	type acc struct {
		Prior
		year int
	}
	m := map[string]acc{}
	for rows.Next() {
		var id, st string
		var y int
		if err := rows.Scan(&id, &y, &st); err != nil {
			return nil, fishpond.Internal(err)
		}
		x := m[id]
		if y > x.year {
			x.year, x.Status = y, st
		}
		if (st == StatusExited || st == StatusMarginal) && y > x.LastExitYear {
			x.LastExitYear = y
		}
		m[id] = x
	}
	if err := rows.Err(); err != nil {
		return nil, fishpond.Internal(err)
	}
	out := make(map[string]Prior, len(m))
	for id, x := range m {
		out[id] = x.Prior
	}
	return out, nil
}

// storedStatus is what household_status holds for a household and year already.
type storedStatus struct {
	digest int64
	status string
}

func storedDigests(ctx context.Context, tx *db.Tx, year int, cond string, args []any) (map[string]storedStatus, error) {
	rows, err := tx.QueryContext(ctx, "SELECT household_id, digest, status FROM household_status WHERE year = ? AND "+cond, append([]any{year}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]storedStatus{}
	for rows.Next() {
		var id string
		var d storedStatus
		if err := rows.Scan(&id, &d.digest, &d.status); err != nil {
			return nil, err
		}
		out[id] = d
	}
	return out, rows.Err()
}

// statusCols are the columns of household_status written by Run.
var statusCols = []string{"household_id", "year", "county_code", "status", "previous_status", "members", "per_capita_fen",
	"line_fen", "reasons", "digest", "run_id"}

// writeBatch rows per multi-row statement: 11 × 400 parameters stays far below
// both engines' limits while keeping round trips few.
const writeBatch = 400

// writeStatuses upserts rows[i] for every i of order, in that order.
func writeStatuses(ctx context.Context, tx *db.Tx, runID string, year int, rows []statusRow, order []int32) error {
	set := make([]string, 0, len(statusCols)-3)
	for _, c := range statusCols[3:] {
		set = append(set, c+" = excluded."+c)
	}
	tuple := "(" + db.Placeholders(len(statusCols)) + ")"
	prefix := "INSERT INTO household_status (" + strings.Join(statusCols, ", ") + ") VALUES "
	suffix := " ON CONFLICT (year, county_code, household_id) DO UPDATE SET " + strings.Join(set, ", ")
	full := prefix + strings.TrimSuffix(strings.Repeat(tuple+", ", writeBatch), ", ") + suffix
	args := make([]any, 0, writeBatch*len(statusCols))
	// The full-size statement is prepared once and reused for every chunk: a
	// million rows would otherwise parse it 2,500 times.
	var full400 *sql.Stmt
	if len(order) >= writeBatch {
		var err error
		if full400, err = tx.Stmt(ctx, full); err != nil {
			return err
		}
	}
	for start := 0; start < len(order); start += writeBatch {
		end := min(start+writeBatch, len(order))
		args = args[:0]
		for _, i := range order[start:end] {
			r := &rows[i]
			args = append(args, r.householdID, year, r.county, r.status, r.previous, r.members, int64(r.perCapita),
				int64(r.line), r.reasons, r.digest, runID)
		}
		var err error
		if end-start == writeBatch {
			_, err = full400.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, prefix+strings.TrimSuffix(strings.Repeat(tuple+", ", end-start), ", ")+suffix, args...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// fingerprint hashes everything a status row says, so a re-run compares integers.
// scratch is spare buffer space to build the hashed bytes in.
func (r *statusRow) fingerprint(scratch []byte) int64 {
	b := scratch[:0]
	for _, s := range []string{r.county, r.status, r.previous} {
		b = append(append(b, s...), 0)
	}
	b = append(strconv.AppendInt(b, int64(r.members), 10), 0)
	b = append(strconv.AppendInt(b, int64(r.perCapita), 10), 0)
	b = append(strconv.AppendInt(b, int64(r.line), 10), 0)
	b = append(append(b, r.reasons...), 0)
	h := uint64(14695981039346656037) // FNV-1a, 64 bits
	for _, c := range b {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return int64(h)
}

// statusEvent is household.status.changed for a household whose status for year is
// new or different: status is this year's, previous the one before this year (as
// household_status.previous_status), was what this year said before this run (""
// the first time the year is assessed), so aggregates can move a household from
// was to status.
//
// The payload is {"year":…,"status":…,"previous":…,"was":…}, written out by hand
// rather than marshalled by reflection: a first run appends a million of them,
// and every value is a year or one of the four status words, which JSON needs no
// escaping for (TestStatusPayloadIsJSON checks it against encoding/json).
func statusEvent(year int, r statusRow, was string) events.Event {
	return events.Event{Type: "household.status.changed", Subject: r.householdID, CountyCode: r.county,
		Payload: statusPayload(year, r.status, r.previous, was)}
}

func statusPayload(year int, status, previous, was string) json.RawMessage {
	b := make([]byte, 0, 72)
	b = strconv.AppendInt(append(b, `{"year":`...), int64(year), 10)
	b = append(append(append(b, `,"status":"`...), status...), '"')
	b = append(append(append(b, `,"previous":"`...), previous...), '"')
	b = append(append(append(b, `,"was":"`...), was...), `"}`...)
	return b
}

// evaluate computes the status of every household, on both cores: the rules are
// independent per household. rows come back sorted by household ID, the order the
// registry update and the event log are written in.
func (a *Assessor) evaluate(facts []registry.AssessmentFacts, income map[string]ledger.Income, priors map[string]Prior,
	line fishpond.Money, rep *RunReport) []statusRow {
	rows := make([]statusRow, len(facts))
	parts := 1
	if len(facts) >= 20000 {
		parts = 2
	}
	counts := make([]map[string]int, parts)
	var wg sync.WaitGroup
	for k := 0; k < parts; k++ {
		lo, hi := k*len(facts)/parts, (k+1)*len(facts)/parts
		counts[k] = map[string]int{}
		wg.Add(1)
		go func(part []statusRow, facts []registry.AssessmentFacts, count map[string]int) {
			defer wg.Done()
			var buf []byte
			for i, f := range facts {
				pr := priors[f.ID]
				o := Evaluate(Facts{Members: f.Members, OutOfSchool: f.OutOfSchool, Indicators: f.Indicators, Income: income[f.ID]}, pr, line, a.MarginalBp)
				prev := pr.Status
				if prev == "" {
					prev = StatusPoor // registration status, before any assessment
				}
				buf = appendReasons(buf[:0], o.Reasons)
				r := statusRow{householdID: f.ID, county: f.CountyCode, status: o.Status, previous: prev, members: f.Members,
					perCapita: o.PerCapita, line: line, reasons: string(buf), oldStatus: f.Status, oldYear: f.StatusYear}
				r.digest = r.fingerprint(buf[len(buf):])
				part[i] = r
				count[o.Status]++
			}
		}(rows[lo:hi], facts[lo:hi], counts[k])
	}
	wg.Wait()
	for _, c := range counts {
		for st, n := range c {
			rep.ByStatus[st] += n
		}
	}
	// The registry reads households in table order, which is usually their ID
	// (time-ordered) order already; the sort then costs one pass.
	slices.SortFunc(rows, func(x, y statusRow) int { return strings.Compare(x.householdID, y.householdID) })
	return rows
}

// byCounty orders the rows picked by idx (ascending, so sorted by household ID) by
// county, keeping the household order within each county: household_status is
// keyed (year, county_code, household_id), so rows written in this order append
// to one place per county instead of landing all over the table.
func byCounty(rows []statusRow, idx []int32) []int32 {
	counties := map[string][]int32{}
	for _, i := range idx {
		c := rows[i].county
		counties[c] = append(counties[c], i)
	}
	keys := make([]string, 0, len(counties))
	for c := range counties {
		keys = append(keys, c)
	}
	slices.Sort(keys)
	out := make([]int32, 0, len(idx))
	for _, c := range keys {
		out = append(out, counties[c]...)
	}
	return out
}
