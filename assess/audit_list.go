package assess

import (
	"context"

	"fishpond"
	"fishpond/internal/db"
)

// Samples lists the audit samples the principal may read, newest first, without
// their units, for the audit workflow page.
func (a *Assessor) Samples(ctx context.Context, p fishpond.Principal) ([]Sample, error) {
	rows, err := a.db.Read().QueryContext(ctx, `SELECT id, kind, scope_code, year, rate_bp, seed, population, size, drawn_by, drawn_at
		FROM audit_samples ORDER BY drawn_at DESC`)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []Sample
	for rows.Next() {
		var s Sample
		var rate int64
		var at string
		if err := rows.Scan(&s.ID, &s.Kind, &s.Scope, &s.Year, &rate, &s.Seed, &s.Population, &s.Size, &s.DrawnBy, &at); err != nil {
			return nil, fishpond.Internal(err)
		}
		s.RateBp, s.DrawnAt = fishpond.Bp(rate), db.MustTime(at)
		if canReadAudit(p, s.Kind, s.Scope) {
			out = append(out, s)
		}
	}
	return out, rows.Err()
}
