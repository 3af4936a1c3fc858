package partners

import (
	"context"
	"strings"

	"fishpond"
	"fishpond/internal/db"
)

// Decide approves, rejects or suspends an organisation (admin only), with a note
// the applicant sees. A suspended partner's keys stop working at once and its
// webhooks stop being delivered; approving again restores them.
func (s *Service) Decide(ctx context.Context, pr fishpond.Principal, id string, to Status, note string) (Partner, error) {
	if pr.Role != fishpond.RoleAdmin || pr.KeyScoped() {
		return Partner{}, fishpond.Errorf(fishpond.EForbidden, "only an admin can approve partner organisations / 只有管理员可以审批合作机构")
	}
	note = strings.TrimSpace(note)
	if to != StatusApproved && to != StatusRejected && to != StatusSuspended {
		return Partner{}, fishpond.Invalid("unknown decision / 未知的审批结果", map[string]string{"status": "approved, rejected or suspended"})
	}
	if to != StatusApproved && note == "" {
		return Partner{}, fishpond.Invalid("a rejection or suspension needs a reason / 驳回或暂停需要说明理由", map[string]string{"note": "required / 必填"})
	}
	var p Partner
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		cur, err := s.get(ctx, tx, id, true)
		if err != nil {
			return err
		}
		allowed := map[Status][]Status{
			StatusPending:   {StatusApproved, StatusRejected},
			StatusApproved:  {StatusSuspended},
			StatusSuspended: {StatusApproved},
			StatusRejected:  {},
		}[cur.Status]
		ok := false
		for _, a := range allowed {
			ok = ok || a == to
		}
		if !ok {
			return fishpond.Errorf(fishpond.EConflict, "a %s organisation cannot become %s / 机构当前状态不允许此操作", cur.Status, to)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE partners SET status = ?, decision_note = ?, decided_by = ?, decided_at = ? WHERE id = ?",
			string(to), note, pr.UserID, db.FormatTime(s.clock.Now()), id); err != nil {
			return err
		}
		p, err = s.get(ctx, tx, id, true)
		return err
	})
	return p, wrap(err)
}

// Grant sets what an organisation may be given: scopes, counties and its call
// budget per minute (admin only). Keys keep their own subsets, but every call is
// checked against the grant in force, so narrowing it narrows every key.
func (s *Service) Grant(ctx context.Context, pr fishpond.Principal, id string, scopes, counties []string, ratePerMinute int) (Partner, error) {
	if pr.Role != fishpond.RoleAdmin || pr.KeyScoped() {
		return Partner{}, fishpond.Errorf(fishpond.EForbidden, "only an admin can grant scopes / 只有管理员可以授权")
	}
	scopes, counties = set(scopes), set(counties)
	f := map[string]string{}
	for _, sc := range scopes {
		if !KnownScope(sc) {
			f["scopes"] = "unknown scope " + sc + " / 未知权限"
		}
	}
	if ratePerMinute < 1 || ratePerMinute > 100000 {
		f["rate_per_minute"] = "1 to 100000"
	}
	if len(f) > 0 {
		return Partner{}, fishpond.Invalid("invalid grant / 授权无效", f)
	}
	var p Partner
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := s.get(ctx, tx, id, true); err != nil {
			return err
		}
		for _, c := range counties {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM counties WHERE code = ?", c).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fishpond.Invalid("unknown county / 县代码不存在", map[string]string{"counties": c + ": no such county / 没有这个县"})
			}
		}
		for _, q := range []string{"DELETE FROM partner_scopes WHERE partner_id = ?", "DELETE FROM partner_counties WHERE partner_id = ?"} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		for _, sc := range scopes {
			if _, err := tx.ExecContext(ctx, "INSERT INTO partner_scopes (partner_id, scope) VALUES (?, ?)", id, sc); err != nil {
				return err
			}
		}
		for _, c := range counties {
			if _, err := tx.ExecContext(ctx, "INSERT INTO partner_counties (partner_id, county_code) VALUES (?, ?)", id, c); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE partners SET rate_per_minute = ? WHERE id = ?", ratePerMinute, id); err != nil {
			return err
		}
		var err error
		p, err = s.get(ctx, tx, id, true)
		return err
	})
	return p, wrap(err)
}

// intersect returns the values of xs that are in ys.
func intersect(xs, ys []string) []string {
	in := make(map[string]bool, len(ys))
	for _, y := range ys {
		in[y] = true
	}
	out := []string{}
	for _, x := range xs {
		if in[x] {
			out = append(out, x)
		}
	}
	return out
}
