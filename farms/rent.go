package farms

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// installmentKey names one installment; it is also the installment's ledger
// idempotency key, so even a second payer racing the first cannot pay it twice.
type installmentKey struct {
	contractID string
	seq        int
}

func (k installmentKey) ledgerKey() string {
	return fmt.Sprintf("farms:rent:%s:%d", k.contractID, k.seq)
}

// dueInstallments lists installments due by now (oldest first); cond narrows them
// ("contract_id = ? AND ").
func dueInstallments(ctx context.Context, q db.Querier, now time.Time, cond string, args []any, limit int) ([]installmentKey, error) {
	args = append(append([]any{}, args...), RentDue, db.FormatTime(now), limit)
	rows, err := q.QueryContext(ctx, "SELECT contract_id, seq FROM farms_rent WHERE "+cond+"status = ? AND due_at <= ? ORDER BY due_at, contract_id, seq LIMIT ?", args...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []installmentKey
	for rows.Next() {
		var k installmentKey
		if err := rows.Scan(&k.contractID, &k.seq); err != nil {
			return nil, internal(err)
		}
		out = append(out, k)
	}
	return out, internal(rows.Err())
}

// payInstallment pays one installment inside tx if it is still due: the ledger
// transfer (effective at the due time, which decides the income year) and the
// status change commit together. It reports whether it paid, and how much.
func (s *Service) payInstallment(ctx context.Context, tx *db.Tx, now time.Time, k installmentKey) (bool, fishpond.Money, error) {
	var status, due, periodStart, periodEnd string
	var amount int64
	err := tx.QueryRowContext(ctx, "SELECT status, due_at, amount, period_start, period_end FROM farms_rent WHERE contract_id = ? AND seq = ?"+tx.ForUpdate(),
		k.contractID, k.seq).Scan(&status, &due, &amount, &periodStart, &periodEnd)
	if err != nil {
		return false, 0, internal(err)
	}
	if status != RentDue {
		return false, 0, nil // another runner paid it first
	}
	c, err := loadContract(ctx, tx, k.contractID, false)
	if err != nil {
		return false, 0, err
	}
	transferID := ""
	if amount > 0 {
		t, err := payHousehold(ctx, tx, now, payment{key: k.ledgerKey(), kind: "farm_rent",
			memo:     fmt.Sprintf("土地流转租金 land rent %s–%s, %s 亩 mu", periodStart, periodEnd, c.Area),
			evidence: "contract " + c.ID, at: db.MustTime(due), coopID: c.CoopID, expense: CatRent,
			income: ledger.CatProperty, hh: c.HouseholdID, amount: fishpond.Money(amount)})
		if err != nil {
			return false, 0, err
		}
		transferID = t.ID
	}
	res, err := tx.ExecContext(ctx, "UPDATE farms_rent SET status = ?, transfer_id = ?, paid_at = ? WHERE contract_id = ? AND seq = ? AND status = ?",
		RentPaid, transferID, db.FormatTime(now), k.contractID, k.seq, RentDue)
	if err != nil {
		return false, 0, internal(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, 0, db.Retry(fmt.Errorf("installment %s changed under us", k.ledgerKey()))
	}
	return true, fishpond.Money(amount), events.Append(ctx, tx, now, events.Event{Type: "farms.rent.paid", Subject: c.ID, CountyCode: c.CountyCode,
		Payload: map[string]any{"coop_id": c.CoopID, "seq": k.seq, "fen": amount, "households": 1}})
}

// RentRun says what one run of the rent scheduler paid.
type RentRun struct {
	Paid   int
	Amount fishpond.Money
}

// RunDueRent pays every installment due by the clock's now, oldest first, one
// transaction each, and returns what it paid. After downtime it catches up on all
// missed installments; a crash mid-run leaves each installment paid once or still
// due, and a rerun (or a second runner at the same time) pays only what is left.
func (s *Service) RunDueRent(ctx context.Context) (RentRun, error) {
	var run RentRun
	for {
		now := s.now()
		batch, err := dueInstallments(ctx, s.db.Read(), now, "", nil, 200)
		if err != nil {
			return run, err
		}
		if len(batch) == 0 {
			return run, nil
		}
		progressed := false
		for _, k := range batch {
			if err := ctx.Err(); err != nil {
				return run, err
			}
			var paid fishpond.Money
			var did bool
			err := s.db.InTx(ctx, func(tx *db.Tx) error {
				var err error
				did, paid, err = s.payInstallment(ctx, tx, now, k)
				return err
			})
			if err != nil {
				return run, err
			}
			if did {
				run.Paid++
				run.Amount += paid
				progressed = true
			}
			if s.afterRent != nil {
				if err := s.afterRent(k); err != nil {
					return run, err
				}
			}
		}
		if !progressed {
			return run, nil // every listed row was paid by someone else meanwhile
		}
	}
}

// Scheduler runs RunDueRent at start and then every Interval until ctx ends; `serve`
// runs one. Several schedulers (several servers on one PostgreSQL) are safe.
type Scheduler struct {
	Service  *Service
	Interval time.Duration
	Log      *slog.Logger
}

// Run blocks until ctx is done.
func (sc Scheduler) Run(ctx context.Context) {
	if sc.Interval <= 0 {
		sc.Interval = time.Minute
	}
	log := sc.Log
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(sc.Interval)
	defer t.Stop()
	for {
		run, err := sc.Service.RunDueRent(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("farms rent run failed", "err", err, "paid", run.Paid)
		case run.Paid > 0:
			log.Info("farms rent paid", "installments", run.Paid, "fen", int64(run.Amount))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
