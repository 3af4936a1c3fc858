package report

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"fishpond/events"
	"fishpond/internal/db"
)

// ConsumerName is the report consumer's checkpoint name.
const ConsumerName = "report.aggregates"

// NewConsumer returns the consumer that keeps report_facts up to date from the log.
// Each batch's counter changes and its checkpoint commit together, so the
// aggregates are exactly the log up to the checkpoint.
func NewConsumer(log *events.Log) *events.Consumer {
	a := &applier{}
	return &events.Consumer{Log: log, Name: ConsumerName, Types: eventTypes(), Batch: 500, Handle: a.handle}
}

// applier handles one event at a time; within one transaction it remembers which
// county-years it has already recomputed so a run of a million status events
// refreshes each county once.
type applier struct {
	tx        *db.Tx
	refreshed map[string]bool
}

func (a *applier) handle(ctx context.Context, tx *db.Tx, e events.Stored) error {
	if tx != a.tx {
		a.tx, a.refreshed = tx, map[string]bool{}
	}
	f := Facts{}
	switch e.Type {
	case "order.paid":
		if err := a.paid(ctx, tx, e, f); err != nil {
			return err
		}
	case "order.refunded":
		if err := a.refunded(ctx, tx, e, f); err != nil {
			return err
		}
	case "household.status.changed":
		var p struct {
			Year int `json:"year"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return fmt.Errorf("report: %s payload: %w", e.Type, err)
		}
		k := e.CountyCode + "/" + strconv.Itoa(p.Year)
		if a.refreshed[k] {
			return nil
		}
		a.refreshed[k] = true
		return refreshHouseholds(ctx, tx, e.CountyCode, p.Year)
	}
	if err := addEventFacts(e, f); err != nil {
		return err
	}
	return AddFacts(ctx, tx, f)
}

type orderPayload struct {
	TotalFen    int64 `json:"total_fen"`
	RefundedFen int64 `json:"refunded_fen"`
	Lines       []struct {
		ProductID    string `json:"product_id"`
		Qty          int64  `json:"qty"`
		UnitPriceFen int64  `json:"unit_price_fen"`
	} `json:"lines"`
}

func (a *applier) paid(ctx context.Context, tx *db.Tx, e events.Stored, f Facts) error {
	var p orderPayload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return fmt.Errorf("report: order.paid payload: %w", err)
	}
	month := Month(e.At)
	f.Add(FactGMV, month, e.CountyCode, "", p.TotalFen)
	f.Add(FactOrders, month, e.CountyCode, "", 1)
	st, err := tx.Stmt(ctx, "SELECT category FROM market_products WHERE id = ?")
	if err != nil {
		return err
	}
	for _, l := range p.Lines {
		var cat string
		if err := st.QueryRowContext(ctx, l.ProductID).Scan(&cat); err != nil {
			return fmt.Errorf("report: category of product %s: %w", l.ProductID, err)
		}
		f.Add(FactCategory, month, e.CountyCode, cat, l.Qty*l.UnitPriceFen)
	}
	return nil
}

// refunded adds the part of the running refunded total not yet counted.
func (a *applier) refunded(ctx context.Context, tx *db.Tx, e events.Stored, f Facts) error {
	var p orderPayload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return fmt.Errorf("report: order.refunded payload: %w", err)
	}
	var seen int64
	err := tx.QueryRowContext(ctx, "SELECT refunded FROM report_order_refunds WHERE order_id = ?", e.Subject).Scan(&seen)
	if err != nil && !isNoRows(err) {
		return err
	}
	if p.RefundedFen <= seen {
		return nil
	}
	f.Add(FactRefunds, Month(e.At), e.CountyCode, "", p.RefundedFen-seen)
	_, err = tx.ExecContext(ctx, `INSERT INTO report_order_refunds (order_id, refunded) VALUES (?, ?)
		ON CONFLICT (order_id) DO UPDATE SET refunded = excluded.refunded`, e.Subject, p.RefundedFen)
	return err
}

// addEventFacts counts e for every plugged measure of its type.
func addEventFacts(e events.Stored, f Facts) error {
	var payload map[string]json.RawMessage
	// Several metrics may read one counter (sessions, and counties with sessions,
	// both count live.session.ended): add each counter once per event.
	added := map[string]bool{}
	for _, m := range pluggedMeasures() {
		if m.Event != e.Type || added[m.fact()] {
			continue
		}
		added[m.fact()] = true
		if m.Field == "" {
			f.Add(m.fact(), Month(e.At), e.CountyCode, "", 1)
			continue
		}
		if payload == nil {
			if err := json.Unmarshal(e.Payload, &payload); err != nil {
				return fmt.Errorf("report: %s payload: %w", e.Type, err)
			}
		}
		raw, ok := payload[m.Field]
		if !ok {
			continue
		}
		// A JSON flag counts as 1 or 0, so a measure can count the events that have
		// it (women among enrolments).
		var n int64
		var err error
		switch string(raw) {
		case "true":
			n = 1
		case "false":
			n = 0
		default:
			n, err = strconv.ParseInt(string(raw), 10, 64)
		}
		if err != nil {
			return fmt.Errorf("report: %s payload field %s is not an integer: %s", e.Type, m.Field, raw)
		}
		f.Add(m.fact(), Month(e.At), e.CountyCode, "", n)
	}
	return nil
}

// refreshHouseholds recomputes a county-year's household facts from
// household_status. Assessment events say which county-year changed; counting the
// county's rows again (one range of household_status's (year, county_code, …) key) is exact
// whatever order re-runs happened in, where adding deltas would need each
// household's previous contribution.
func refreshHouseholds(ctx context.Context, tx *db.Tx, county string, year int) error {
	period := strconv.Itoa(year)
	if _, err := tx.ExecContext(ctx, "DELETE FROM report_facts WHERE fact IN (?, ?, ?, ?) AND period = ? AND county_code = ?",
		FactHouseholds, FactPeople, FactExited, FactPeopleExited, period, county); err != nil {
		return err
	}
	f := Facts{}
	if err := householdFacts(ctx, tx, f, "WHERE county_code = ? AND year = ?", county, year); err != nil {
		return err
	}
	return AddFacts(ctx, tx, f)
}

// householdFacts adds the household facts of the household_status rows matching
// where.
func householdFacts(ctx context.Context, q db.Querier, f Facts, where string, args ...any) error {
	rows, err := q.QueryContext(ctx, `SELECT county_code, year, status, CASE WHEN status = 'exited' AND previous_status <> 'exited' THEN 1 ELSE 0 END,
		COUNT(*), SUM(members) FROM household_status `+where+` GROUP BY county_code, year, status,
		CASE WHEN status = 'exited' AND previous_status <> 'exited' THEN 1 ELSE 0 END`, args...)
	if err != nil {
		return fmt.Errorf("report: household facts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var county, status string
		var year, exited int
		var n, people int64
		if err := rows.Scan(&county, &year, &status, &exited, &n, &people); err != nil {
			return err
		}
		period := strconv.Itoa(year)
		f.Add(FactHouseholds, period, county, status, n)
		f.Add(FactPeople, period, county, status, people)
		if exited == 1 {
			f.Add(FactExited, period, county, "", n)
			f.Add(FactPeopleExited, period, county, "", people)
		}
	}
	return rows.Err()
}
