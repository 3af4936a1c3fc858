package live

import (
	"context"
	"sort"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Totals are a session's (or a campaign room's) results. Orders count attributed
// orders that were paid; GMV is what they paid less refunds.
type Totals struct {
	PeakViewers   int64
	UniqueViewers int64
	Comments      int64
	Likes         int64
	PlacedOrders  int64
	PaidOrders    int64
	Buyers        int64 // distinct buyers of paid orders
	GMV           fishpond.Money
	// ConversionBp is buyers per unique viewer, in basis points.
	ConversionBp int64
}

// Minute is one row of a session report.
type Minute struct {
	At          time.Time
	PeakViewers int64 // summed over instances
	NewViewers  int64
	Comments    int64
	Likes       int64
	Orders      int64 // paid in this minute
	GMV         fishpond.Money
}

// Report is a session's totals and its minute-by-minute history.
type Report struct {
	Session Session
	Totals  Totals
	Minutes []Minute
}

func totals(ctx context.Context, q db.Querier, sessionID string) (Totals, error) {
	var t Totals
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(v), 0), COALESCE(SUM(c), 0), COALESCE(SUM(l), 0) FROM
		(SELECT SUM(peak_viewers) AS v, SUM(comments) AS c, SUM(likes) AS l FROM live_minutes WHERE session_id = ? GROUP BY minute) t`,
		sessionID).Scan(&t.PeakViewers, &t.Comments, &t.Likes)
	if err != nil {
		return t, err
	}
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM live_viewers WHERE session_id = ?", sessionID).Scan(&t.UniqueViewers); err != nil {
		return t, err
	}
	var gmv int64
	err = q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN paid_at IS NOT NULL THEN 1 ELSE 0 END), 0),
		COUNT(DISTINCT CASE WHEN paid_at IS NOT NULL THEN buyer_id END), COALESCE(SUM(CASE WHEN paid_at IS NOT NULL THEN total - refunded ELSE 0 END), 0)
		FROM live_orders WHERE session_id = ?`, sessionID).Scan(&t.PlacedOrders, &t.PaidOrders, &t.Buyers, &gmv)
	t.GMV = fishpond.Money(gmv)
	if t.UniqueViewers > 0 {
		t.ConversionBp = t.Buyers * 10000 / t.UniqueViewers
	}
	return t, err
}

// Report builds a session's report. Its anchor, an officer of its county and
// admins may read it.
func (s *Service) Report(ctx context.Context, p fishpond.Principal, sessionID string) (Report, error) {
	ss, err := s.Session(ctx, sessionID)
	if err != nil {
		return Report{}, err
	}
	if !p.CanSeeCounty(ss.CountyCode) {
		if _, err := s.ownSession(ctx, p, sessionID); err != nil {
			return Report{}, err
		}
	}
	q := s.db.Read()
	t, err := totals(ctx, q, sessionID)
	if err != nil {
		return Report{}, internal(err)
	}
	byMin := map[int64]*Minute{}
	at := func(m int64) *Minute {
		if byMin[m] == nil {
			byMin[m] = &Minute{At: time.Unix(m*60, 0).UTC()}
		}
		return byMin[m]
	}
	rows, err := q.QueryContext(ctx, "SELECT minute, SUM(peak_viewers), SUM(comments), SUM(likes) FROM live_minutes WHERE session_id = ? GROUP BY minute", sessionID)
	if err != nil {
		return Report{}, internal(err)
	}
	for rows.Next() {
		var m, v, c, l int64
		if err := rows.Scan(&m, &v, &c, &l); err != nil {
			rows.Close()
			return Report{}, internal(err)
		}
		r := at(m)
		r.PeakViewers, r.Comments, r.Likes = v, c, l
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, "SELECT first_minute, COUNT(*) FROM live_viewers WHERE session_id = ? GROUP BY first_minute", sessionID)
	if err != nil {
		return Report{}, internal(err)
	}
	for rows.Next() {
		var m, n int64
		if err := rows.Scan(&m, &n); err != nil {
			rows.Close()
			return Report{}, internal(err)
		}
		at(m).NewViewers = n
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, "SELECT paid_at, total - refunded FROM live_orders WHERE session_id = ? AND paid_at IS NOT NULL", sessionID)
	if err != nil {
		return Report{}, internal(err)
	}
	for rows.Next() {
		var paid string
		var amount int64
		if err := rows.Scan(&paid, &amount); err != nil {
			rows.Close()
			return Report{}, internal(err)
		}
		r := at(unixMinute(db.MustTime(paid)))
		r.Orders++
		r.GMV += fishpond.Money(amount)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Report{}, internal(err)
	}
	rep := Report{Session: ss, Totals: t}
	for _, m := range byMin {
		rep.Minutes = append(rep.Minutes, *m)
	}
	sort.Slice(rep.Minutes, func(i, j int) bool { return rep.Minutes[i].At.Before(rep.Minutes[j].At) })
	return rep, nil
}
