package sensing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fishpond/internal/db"
)

type seriesKey struct{ device, metric string }

type openKey struct{ rule, device string }

type openAlert struct {
	id       string
	raisedMs int64
	value    float64
}

type seriesState struct {
	latest int64
	buf    []point // recent readings, for rate-of-change rules
}

// ruleState is what the commit loop remembers between batches: rules by device
// type and metric, open alerts, each series' newest instant and recent values.
// Only the commit loop touches it; a transaction works on an overlay merged after
// its commit, so a rolled-back or retried batch leaves no trace.
type ruleState struct {
	rules     map[seriesKey][]Rule // keyed by device type and metric
	window    map[seriesKey]int64  // longest rate window, ms
	open      map[openKey]openAlert
	series    map[int64]*seriesState
	seriesIDs map[seriesKey]int64
}

type overlay struct {
	base      *ruleState
	open      map[openKey]*openAlert // nil value: cleared in this batch
	series    map[int64]*seriesState
	seriesIDs map[seriesKey]int64
}

func (o *overlay) openAlert(k openKey) (openAlert, bool) {
	if a, ok := o.open[k]; ok {
		if a == nil {
			return openAlert{}, false
		}
		return *a, true
	}
	a, ok := o.base.open[k]
	return a, ok
}

func (o *overlay) merge() {
	for k, a := range o.open {
		if a == nil {
			delete(o.base.open, k)
		} else {
			o.base.open[k] = *a
		}
	}
	for id, ss := range o.series {
		o.base.series[id] = ss
	}
	for k, id := range o.seriesIDs {
		o.base.seriesIDs[k] = id
	}
}

func (in *ingester) load(ctx context.Context) error {
	st := &ruleState{rules: map[seriesKey][]Rule{}, window: map[seriesKey]int64{}, open: map[openKey]openAlert{},
		series: map[int64]*seriesState{}, seriesIDs: map[seriesKey]int64{}}
	if in.st != nil {
		st.seriesIDs = in.st.seriesIDs // ids never change
	}
	rules, err := in.s.Rules(ctx)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if !r.Enabled {
			continue
		}
		k := seriesKey{r.DeviceType, r.Metric}
		st.rules[k] = append(st.rules[k], r)
		st.window[k] = max(st.window[k], r.WindowMin*60000)
	}
	rows, err := in.s.db.Read().QueryContext(ctx, "SELECT id, rule_id, device_id, raised_ms, raised_value FROM sensing_alerts WHERE cleared_ms = 0")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a openAlert
		var k openKey
		if err := rows.Scan(&a.id, &k.rule, &k.device, &a.raisedMs, &a.value); err != nil {
			return err
		}
		st.open[k] = a
	}
	if err := rows.Err(); err != nil {
		return err
	}
	in.st = st
	return nil
}

func (in *ingester) write(ctx context.Context, batch []*item) ([]Alert, error) {
	if in.st == nil || in.rulesStale.Swap(false) {
		if err := in.load(ctx); err != nil {
			in.rulesStale.Store(true)
			return nil, err
		}
	}
	var alerts []Alert
	var ov *overlay
	err := in.s.db.InTx(ctx, func(tx *db.Tx) error {
		ov = &overlay{base: in.st, open: map[openKey]*openAlert{}, series: map[int64]*seriesState{}, seriesIDs: map[seriesKey]int64{}}
		alerts = alerts[:0]
		for _, it := range batch {
			it.res = Result{}
		}
		var err error
		alerts, err = in.writeTx(ctx, tx, batch, ov)
		return err
	})
	if err != nil {
		in.st = nil // reload from the database next time
		return nil, err
	}
	ov.merge()
	return alerts, nil
}

// row is one reading on its way in, with where it came from.
type row struct {
	series int64
	at     int64
	v      float64
	item   int
	device string
	metric string
}

// rowsPerInsert bounds a multi-row insert (3 parameters a row).
const rowsPerInsert = 500

func (in *ingester) writeTx(ctx context.Context, tx *db.Tx, batch []*item, ov *overlay) ([]Alert, error) {
	s := in.s
	now := s.now()
	type devStat struct {
		accepted, dups, rejected int64
		lastReject               string
		lastSeen                 int64
	}
	stats := map[string]*devStat{}
	stat := func(id string) *devStat {
		d := stats[id]
		if d == nil {
			d = &devStat{}
			stats[id] = d
		}
		return d
	}
	for _, it := range batch {
		for _, r := range it.rejects {
			dev := r.Device
			if strings.HasPrefix(r.Reason, "unknown device") || r.Index < 0 {
				dev = it.auth
			}
			d := stat(dev)
			d.rejected++
			d.lastReject = r.Reason
		}
	}

	creds := map[string]cred{}
	credOf := func(dev string) (cred, error) {
		if c, ok := creds[dev]; ok {
			return c, nil
		}
		c, _, err := s.cred(ctx, dev)
		creds[dev] = c
		return c, err
	}
	// Series ids, and the newest instant and recent values of series new to us.
	rows := make([]row, 0, 64)
	seen := map[[2]int64]bool{}
	for i, it := range batch {
		for _, r := range it.readings {
			id, err := in.seriesID(ctx, tx, ov, seriesKey{r.Device, r.Metric})
			if err != nil {
				return nil, err
			}
			k := [2]int64{id, r.AtMs}
			if seen[k] { // the same reading twice in one batch
				it.res.Duplicates++
				stat(r.Device).dups++
				continue
			}
			seen[k] = true
			rows = append(rows, row{id, r.AtMs, r.Value, i, r.Device, r.Metric})
		}
	}

	// Load the series' history before this batch lands, so that its newest
	// instant and recent values exclude the batch itself.
	for _, r := range rows {
		if _, ok := ov.series[r.series]; ok {
			continue
		}
		c, err := credOf(r.device)
		if err != nil {
			return nil, err
		}
		if _, err := in.seriesState(ctx, tx, ov, r.series, in.st.window[seriesKey{c.typ, r.metric}]); err != nil {
			return nil, err
		}
	}
	inserted, err := insertReadings(ctx, tx, rows)
	if err != nil {
		return nil, err
	}
	type bucketKey struct {
		series int64
		bucket string
		start  int64
	}
	type agg struct {
		n             int64
		sum, min, max float64
	}
	rollups := map[bucketKey]*agg{}
	add := func(k bucketKey, v float64) {
		a := rollups[k]
		if a == nil {
			rollups[k] = &agg{1, v, v, v}
			return
		}
		a.n++
		a.sum += v
		a.min = min(a.min, v)
		a.max = max(a.max, v)
	}
	fresh := rows[:0]
	for _, r := range rows {
		d := stat(r.device)
		if !inserted[[2]int64{r.series, r.at}] {
			batch[r.item].res.Duplicates++
			d.dups++
			continue
		}
		batch[r.item].res.Accepted++
		d.accepted++
		d.lastSeen = max(d.lastSeen, r.at)
		add(bucketKey{r.series, "h", HourStart(r.at)}, r.v)
		add(bucketKey{r.series, "d", DayStart(r.at)}, r.v)
		fresh = append(fresh, r)
	}
	keys := make([]bucketKey, 0, len(rollups))
	for k := range rollups {
		keys = append(keys, k)
	}
	// A fixed order keeps PostgreSQL's row locks from deadlocking two writers.
	slices.SortFunc(keys, func(a, b bucketKey) int {
		if a.series != b.series {
			return cmpInt(a.series, b.series)
		}
		if a.bucket != b.bucket {
			return strings.Compare(a.bucket, b.bucket)
		}
		return cmpInt(a.start, b.start)
	})
	const rollupCols = 7
	for start := 0; start < len(keys); start += rowsPerInsert {
		end := min(start+rowsPerInsert, len(keys))
		args := make([]any, 0, rollupCols*(end-start))
		for _, k := range keys[start:end] {
			a := rollups[k]
			args = append(args, k.series, k.bucket, k.start, a.n, a.sum, a.min, a.max)
		}
		if err := execChunk(ctx, tx, upsertRollups(end-start), args, end-start == rowsPerInsert); err != nil {
			return nil, fmt.Errorf("rollups: %w", err)
		}
	}

	// Rules, in event-time order per series; readings older than the series'
	// newest are late: stored and rolled up, but the rules judge the present.
	slices.SortFunc(fresh, func(a, b row) int {
		if a.series != b.series {
			return cmpInt(a.series, b.series)
		}
		return cmpInt(a.at, b.at)
	})
	var alerts []Alert
	for _, r := range fresh {
		c, err := credOf(r.device)
		if err != nil {
			return nil, err
		}
		k := seriesKey{c.typ, r.metric}
		ss, err := in.seriesState(ctx, tx, ov, r.series, in.st.window[k])
		if err != nil {
			return nil, err
		}
		if r.at < ss.latest {
			batch[r.item].res.Late++
			continue
		}
		for _, rule := range in.st.rules[k] {
			m, ok := rule.measure(ss.buf, r.at, r.v)
			if !ok {
				continue
			}
			ok2 := openKey{rule.ID, r.device}
			cur, open := ov.openAlert(ok2)
			raise, clear := rule.next(open, m)
			switch {
			case raise:
				a := Alert{ID: newID(), RuleID: rule.ID, DeviceID: r.device, DeviceType: c.typ, SiteID: c.siteID, SiteKind: c.siteKind, CountyCode: c.county,
					Metric: r.metric, RuleKind: rule.Kind, Threshold: rule.Threshold, Message: rule.Message,
					RaisedAt: time.UnixMilli(r.at).UTC(), RaisedValue: r.v, Open: true, Transition: "raised"}
				ov.open[ok2] = &openAlert{a.ID, r.at, r.v}
				alerts = append(alerts, a)
			case clear:
				a := Alert{ID: cur.id, RuleID: rule.ID, DeviceID: r.device, DeviceType: c.typ, SiteID: c.siteID, SiteKind: c.siteKind, CountyCode: c.county,
					Metric: r.metric, RuleKind: rule.Kind, Threshold: rule.Threshold, Message: rule.Message,
					RaisedAt: time.UnixMilli(cur.raisedMs).UTC(), RaisedValue: cur.value, ClearedAt: time.UnixMilli(r.at).UTC(), ClearedValue: r.v, Transition: "cleared"}
				ov.open[ok2] = nil
				alerts = append(alerts, a)
			}
		}
		ss.latest = r.at
		if w := in.st.window[k]; w > 0 {
			ss.buf = append(ss.buf, point{r.at, r.v})
			cut := 0
			for cut < len(ss.buf) && ss.buf[cut].at < r.at-w {
				cut++
			}
			ss.buf = ss.buf[cut:]
		}
	}

	ids := make([]string, 0, len(stats))
	for id := range stats {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		d := stats[id]
		st, err := tx.Stmt(ctx, `UPDATE sensing_devices SET accepted = accepted + ?, duplicates = duplicates + ?, rejected = rejected + ?,
			last_reject = CASE WHEN ? = '' THEN last_reject ELSE ? END, last_seen_ms = CASE WHEN ? > last_seen_ms THEN ? ELSE last_seen_ms END WHERE id = ?`)
		if err != nil {
			return nil, err
		}
		if _, err := st.ExecContext(ctx, d.accepted, d.dups, d.rejected, d.lastReject, d.lastReject, d.lastSeen, d.lastSeen, id); err != nil {
			return nil, fmt.Errorf("device stats: %w", err)
		}
	}
	if len(alerts) > 0 {
		if err := writeAlerts(ctx, tx, now, alerts); err != nil {
			return nil, err
		}
	}
	return alerts, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// HourStart is the start of the hour holding the instant (unix ms).
func HourStart(ms int64) int64 { return ms - mod(ms, 3600000) }

// chinaOffset: days are China's calendar days (UTC+8, no daylight saving).
const chinaOffset = 8 * 3600000

// DayStart is the start of the China calendar day holding the instant (unix ms).
func DayStart(ms int64) int64 { return ms - mod(ms+chinaOffset, 86400000) }

func mod(a, b int64) int64 { return ((a % b) + b) % b }

func (in *ingester) seriesID(ctx context.Context, tx *db.Tx, ov *overlay, k seriesKey) (int64, error) {
	if id, ok := in.st.seriesIDs[k]; ok {
		return id, nil
	}
	if id, ok := ov.seriesIDs[k]; ok {
		return id, nil
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO sensing_series (device_id, metric) VALUES (?, ?) ON CONFLICT (device_id, metric) DO NOTHING", k.device, k.metric); err != nil {
		return 0, fmt.Errorf("series: %w", err)
	}
	var id int64
	if err := tx.QueryRowContext(ctx, "SELECT id FROM sensing_series WHERE device_id = ? AND metric = ?", k.device, k.metric).Scan(&id); err != nil {
		return 0, fmt.Errorf("series: %w", err)
	}
	ov.seriesIDs[k] = id
	return id, nil
}

// seriesState returns the series' state for this batch, loading its newest
// instant and the last window of values from the database the first time.
func (in *ingester) seriesState(ctx context.Context, tx *db.Tx, ov *overlay, id int64, window int64) (*seriesState, error) {
	if ss, ok := ov.series[id]; ok {
		return ss, nil
	}
	if ss, ok := in.st.series[id]; ok {
		cp := &seriesState{latest: ss.latest, buf: slices.Clone(ss.buf)}
		ov.series[id] = cp
		return cp, nil
	}
	ss := &seriesState{latest: -1 << 62}
	var latest sql.NullInt64
	err := tx.QueryRowContext(ctx, "SELECT MAX(at_ms) FROM sensing_readings WHERE series_id = ?", id).Scan(&latest)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if latest.Valid {
		ss.latest = latest.Int64
		if window > 0 {
			rows, err := tx.QueryContext(ctx, "SELECT at_ms, value FROM sensing_readings WHERE series_id = ? AND at_ms >= ? AND at_ms <= ? ORDER BY at_ms", id, latest.Int64-window, latest.Int64)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var p point
				if err := rows.Scan(&p.at, &p.v); err != nil {
					rows.Close()
					return nil, err
				}
				ss.buf = append(ss.buf, p)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
	}
	ov.series[id] = ss
	return ss, nil
}

// insertReadings inserts rows and reports which were new. The common case has no
// duplicates: a chunk is inserted plainly inside a savepoint, and only when fewer
// rows went in than were sent is it rolled back to the savepoint and inserted again
// with RETURNING, which names the new rows (reading them back costs more than the
// insert itself).
func insertReadings(ctx context.Context, tx *db.Tx, rows []row) (map[[2]int64]bool, error) {
	inserted := make(map[[2]int64]bool, len(rows))
	for start := 0; start < len(rows); start += rowsPerInsert {
		end := min(start+rowsPerInsert, len(rows))
		args := make([]any, 0, 3*(end-start))
		for _, r := range rows[start:end] {
			args = append(args, r.series, r.at, r.v)
		}
		full := end-start == rowsPerInsert
		if _, err := tx.ExecContext(ctx, "SAVEPOINT readings"); err != nil {
			return nil, err
		}
		var res sql.Result
		var err error
		if full {
			st, serr := tx.Stmt(ctx, insertReadingsSQL(rowsPerInsert, false))
			if serr != nil {
				return nil, serr
			}
			res, err = st.ExecContext(ctx, args...)
		} else {
			res, err = tx.ExecContext(ctx, insertReadingsSQL(end-start, false), args...)
		}
		if err != nil {
			return nil, fmt.Errorf("readings: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == int64(end-start) {
			for _, r := range rows[start:end] {
				inserted[[2]int64{r.series, r.at}] = true
			}
			if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT readings"); err != nil {
				return nil, err
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT readings"); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT readings"); err != nil {
			return nil, err
		}
		res2, err := tx.QueryContext(ctx, insertReadingsSQL(end-start, true), args...)
		if err != nil {
			return nil, fmt.Errorf("readings: %w", err)
		}
		for res2.Next() {
			var k [2]int64
			if err := res2.Scan(&k[0], &k[1]); err != nil {
				res2.Close()
				return nil, err
			}
			inserted[k] = true
		}
		res2.Close()
		if err := res2.Err(); err != nil {
			return nil, fmt.Errorf("readings: %w", err)
		}
	}
	return inserted, nil
}

func insertReadingsSQL(n int, returning bool) string {
	var b strings.Builder
	b.WriteString("INSERT INTO sensing_readings (series_id, at_ms, value) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?)")
	}
	b.WriteString(" ON CONFLICT (series_id, at_ms) DO NOTHING")
	if returning {
		b.WriteString(" RETURNING series_id, at_ms")
	}
	return b.String()
}

func upsertRollups(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO sensing_rollups (series_id, bucket, start_ms, n, total, min_value, max_value) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
	}
	b.WriteString(` ON CONFLICT (series_id, bucket, start_ms) DO UPDATE SET n = sensing_rollups.n + excluded.n, total = sensing_rollups.total + excluded.total,
		min_value = CASE WHEN excluded.min_value < sensing_rollups.min_value THEN excluded.min_value ELSE sensing_rollups.min_value END,
		max_value = CASE WHEN excluded.max_value > sensing_rollups.max_value THEN excluded.max_value ELSE sensing_rollups.max_value END`)
	return b.String()
}

func execChunk(ctx context.Context, tx *db.Tx, q string, args []any, prepared bool) error {
	if prepared {
		st, err := tx.Stmt(ctx, q)
		if err != nil {
			return err
		}
		_, err = st.ExecContext(ctx, args...)
		return err
	}
	_, err := tx.ExecContext(ctx, q, args...)
	return err
}
