package farms

import (
	"context"
	"database/sql"
	"errors"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// Dividend is one distribution of profit to the members by shares.
type Dividend struct {
	ID         string
	CoopID     string
	Total      fishpond.Money
	Note       string
	PaidAt     time.Time
	Lines      []DividendLine
	Households int
}

// DividendLine is one member's part.
type DividendLine struct {
	MemberID    string
	HouseholdID string
	Amount      fishpond.Money
	TransferID  string
}

// PayDividend distributes total over the members by shares (largest remainder to
// the fen): a registered household's part is property income in its wallet; other
// members' parts leave the cooperative's cash as paid outside the platform. The
// key makes a retried distribution return the first one.
func (s *Service) PayDividend(ctx context.Context, p fishpond.Principal, coopID string, total fishpond.Money, note, key string) (Dividend, error) {
	f := map[string]string{}
	if total <= 0 || total > ledger.MaxAmount {
		f["total"] = "金额须大于0 amount must be above 0"
	}
	if key == "" || len(key) > 100 {
		f["idempotency_key"] = "必填，最多100字节 required, at most 100 bytes"
	}
	if utf8.RuneCountInString(note) > 200 {
		f["note"] = "最多200字 at most 200 characters"
	}
	if len(f) > 0 {
		return Dividend{}, fishpond.Invalid("分红信息有误 invalid dividend", f)
	}
	var d Dividend
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		c, err := managedCoop(ctx, tx, p, coopID, true)
		if err != nil {
			return err
		}
		var existing string
		switch err := tx.QueryRowContext(ctx, "SELECT id FROM farms_dividends WHERE coop_id = ? AND idem_key = ?", c.ID, key).Scan(&existing); {
		case err == nil:
			d, err = loadDividend(ctx, tx, existing)
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return internal(err)
		}
		now := s.now()
		d = Dividend{ID: newID(), CoopID: c.ID, Total: total, Note: note, PaidAt: now}
		if _, err := tx.ExecContext(ctx, "INSERT INTO farms_dividends (id, coop_id, idem_key, total, note, paid_at) VALUES (?, ?, ?, ?, ?, ?)",
			d.ID, c.ID, key, int64(total), note, db.FormatTime(now)); err != nil {
			return insertErr(err)
		}
		weights := make([]int64, len(c.Members))
		for i, m := range c.Members {
			weights[i] = m.Shares
		}
		parts := fishpond.Allocate(int64(total), weights)
		var others fishpond.Money
		for i, m := range c.Members {
			amt := fishpond.Money(parts[i])
			if amt == 0 {
				continue
			}
			line := DividendLine{MemberID: m.ID, HouseholdID: m.HouseholdID, Amount: amt}
			if m.HouseholdID != "" {
				t, err := payHousehold(ctx, tx, now, payment{key: "farms:dividend:" + d.ID + ":" + m.ID, kind: "farm_dividend",
					memo: "合作社分红 cooperative dividend " + note, at: now, coopID: c.ID, expense: CatDividends,
					income: ledger.CatProperty, hh: m.HouseholdID, amount: amt})
				if err != nil {
					return err
				}
				line.TransferID = t.ID
				d.Households++
			} else {
				others += amt
			}
			d.Lines = append(d.Lines, line)
		}
		if others > 0 {
			div, err := coopAccount(ctx, tx, c.ID, CatDividends)
			if err != nil {
				return err
			}
			cash, err := coopAccount(ctx, tx, c.ID, CatCash)
			if err != nil {
				return err
			}
			t, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{IdempotencyKey: "farms:dividend:" + d.ID + ":others", Kind: "farm_dividend",
				Memo: "其他社员分红 dividends to other members " + note, Postings: []ledger.Posting{{AccountID: div, Amount: others}, {AccountID: cash, Amount: -others}}})
			if err != nil {
				return err
			}
			for i := range d.Lines {
				if d.Lines[i].HouseholdID == "" {
					d.Lines[i].TransferID = t.ID
				}
			}
		}
		st, err := tx.Stmt(ctx, "INSERT INTO farms_dividend_lines (dividend_id, member_id, household_id, amount, transfer_id) VALUES (?, ?, ?, ?, ?)")
		if err != nil {
			return internal(err)
		}
		for _, l := range d.Lines {
			var hh any
			if l.HouseholdID != "" {
				hh = l.HouseholdID
			}
			if _, err := st.ExecContext(ctx, d.ID, l.MemberID, hh, int64(l.Amount), l.TransferID); err != nil {
				return internal(err)
			}
		}
		return events.Append(ctx, tx, now, events.Event{Type: "farms.dividend.paid", Subject: d.ID, CountyCode: c.CountyCode,
			Payload: map[string]any{"coop_id": c.ID, "fen": int64(total), "households": d.Households, "members": len(d.Lines)}})
	})
	if err != nil {
		return Dividend{}, err
	}
	return d, nil
}

func loadDividend(ctx context.Context, q db.Querier, id string) (Dividend, error) {
	var d Dividend
	var total int64
	var at string
	if err := q.QueryRowContext(ctx, "SELECT id, coop_id, total, note, paid_at FROM farms_dividends WHERE id = ?", id).Scan(&d.ID, &d.CoopID, &total, &d.Note, &at); err != nil {
		return Dividend{}, db.NotFound(err, "没有该分红 no such dividend")
	}
	d.Total, d.PaidAt = fishpond.Money(total), db.MustTime(at)
	rows, err := q.QueryContext(ctx, "SELECT member_id, COALESCE(household_id, ''), amount, transfer_id FROM farms_dividend_lines WHERE dividend_id = ? ORDER BY member_id", id)
	if err != nil {
		return Dividend{}, internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var l DividendLine
		var amt int64
		if err := rows.Scan(&l.MemberID, &l.HouseholdID, &amt, &l.TransferID); err != nil {
			return Dividend{}, internal(err)
		}
		l.Amount = fishpond.Money(amt)
		if l.HouseholdID != "" {
			d.Households++
		}
		d.Lines = append(d.Lines, l)
	}
	return d, internal(rows.Err())
}
