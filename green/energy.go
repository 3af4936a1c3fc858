package green

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
)

// Drop is one action's energy as its owner sees it.
type Drop struct {
	ActionID  string
	Kind      string
	Quantity  int64
	Grams     int64 // granted
	FriendG   int64 // taken by a friend
	State     string
	At        time.Time
	RipeAt    time.Time
	ExpiresAt time.Time
}

// Left is what the owner can still collect.
func (d Drop) Left() int64 { return d.Grams - d.FriendG }

// Ripe reports whether the drop can be collected at now.
func (d Drop) Ripe(now time.Time) bool {
	return d.State == StateOpen && !d.RipeAt.After(now) && d.ExpiresAt.After(now)
}

// Account is a user's energy ledger summary.
type Account struct {
	Balance   int64 // collected and not yet spent
	Collected int64 // all energy ever collected (own and friends')
	Spent     int64
}

// Entry is one movement of a user's energy.
type Entry struct {
	Kind  string // collect, friend_collect, redeem
	Grams int64  // positive in, negative out
	Ref   string
	At    time.Time
}

func needUser(p fishpond.Principal) error {
	if p.UserID == "" || p.UserID == fishpond.System.UserID {
		return fishpond.Errorf(fishpond.EUnauthorized, "请先登录 sign in first")
	}
	return nil
}

// Drops lists the principal's uncollected drops that have not expired, soonest
// expiry first.
func (s *Service) Drops(ctx context.Context, p fishpond.Principal) ([]Drop, error) {
	if err := needUser(p); err != nil {
		return nil, err
	}
	return s.openDrops(ctx, p.UserID, 200)
}

func (s *Service) openDrops(ctx context.Context, userID string, limit int) ([]Drop, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT action_id, kind, quantity, grams, friend_g, state, occurred_at, ripe_at, expires_at
		FROM green_drops WHERE user_id = ? AND state = ? AND expires_at > ? ORDER BY expires_at, action_id LIMIT ?`,
		userID, StateOpen, db.FormatTime(s.now()), limit)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []Drop
	for rows.Next() {
		var d Drop
		var at, ripe, exp string
		if err := rows.Scan(&d.ActionID, &d.Kind, &d.Quantity, &d.Grams, &d.FriendG, &d.State, &at, &ripe, &exp); err != nil {
			return nil, fishpond.Internal(err)
		}
		d.At, d.RipeAt, d.ExpiresAt = db.MustTime(at), db.MustTime(ripe), db.MustTime(exp)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Collected is what one collection gave.
type Collected struct {
	Drops int
	Grams int64
}

// Collect moves every ripe, unexpired drop of the principal into its energy
// balance, in one transaction: a drop is collected once (its state changes in the
// same UPDATE that reads its grams), expired energy never.
func (s *Service) Collect(ctx context.Context, p fishpond.Principal) (Collected, error) {
	if err := needUser(p); err != nil {
		return Collected{}, err
	}
	var out Collected
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		out = Collected{}
		now := s.now()
		at := db.FormatTime(now)
		rows, err := tx.QueryContext(ctx, `UPDATE green_drops SET state = ?, collected_g = grams - friend_g, collected_at = ?
			WHERE user_id = ? AND state = ? AND ripe_at <= ? AND expires_at > ? RETURNING action_id, grams - friend_g`,
			StateCollected, at, p.UserID, StateOpen, at, at)
		if err != nil {
			return fishpond.Internal(err)
		}
		var entries []any
		for rows.Next() {
			var id string
			var g int64
			if err := rows.Scan(&id, &g); err != nil {
				rows.Close()
				return fishpond.Internal(err)
			}
			out.Drops++
			out.Grams += g
			entries = append(entries, p.UserID, "collect", g, id, at)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fishpond.Internal(err)
		}
		if out.Drops == 0 {
			return nil
		}
		if err := credit(ctx, tx, p.UserID, out.Grams, at, entries); err != nil {
			return err
		}
		return events.Append(ctx, tx, now, events.Event{Type: "green.energy.collected", Subject: p.UserID,
			Payload: map[string]any{"count": out.Drops, "grams": out.Grams, "own": true}})
	})
	return out, err
}

// credit adds grams to a user's balance with its entries (rows of user_id, kind,
// grams, ref, at).
func credit(ctx context.Context, tx *db.Tx, userID string, grams int64, at string, entries []any) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO green_energy_accounts (user_id, balance, collected, spent, updated_at) VALUES (?, ?, ?, 0, ?)
		ON CONFLICT (user_id) DO UPDATE SET balance = green_energy_accounts.balance + excluded.balance,
		collected = green_energy_accounts.collected + excluded.collected, updated_at = excluded.updated_at`, userID, grams, grams, at); err != nil {
		return fishpond.Internal(err)
	}
	if err := db.InsertRows(ctx, tx, "INSERT INTO green_energy_entries (user_id, kind, grams, ref, at) VALUES ", "", 5, len(entries)/5, entries); err != nil {
		return fishpond.Internal(err)
	}
	return nil
}

// spend takes grams from a user's balance, or fails with a conflict when the
// balance is short: the conditional UPDATE is what makes energy unspendable twice,
// whatever interleaves (the CHECK on balance backs it up).
func spend(ctx context.Context, tx *db.Tx, userID string, grams int64, ref string, now time.Time) error {
	at := db.FormatTime(now)
	res, err := tx.ExecContext(ctx, "UPDATE green_energy_accounts SET balance = balance - ?, spent = spent + ?, updated_at = ? WHERE user_id = ? AND balance >= ?",
		grams, grams, at, userID, grams)
	if err != nil {
		return fishpond.Internal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		var bal int64
		tx.QueryRowContext(ctx, "SELECT balance FROM green_energy_accounts WHERE user_id = ?", userID).Scan(&bal)
		return &fishpond.Error{Code: fishpond.EConflict, Message: "能量不足 not enough energy",
			Fields: map[string]string{"energy": fmtNeed(grams, bal)}}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO green_energy_entries (user_id, kind, grams, ref, at) VALUES (?, ?, ?, ?, ?)", userID, "redeem", -grams, ref, at); err != nil {
		return fishpond.Internal(err)
	}
	return nil
}

// Account returns the principal's energy balance.
func (s *Service) Account(ctx context.Context, p fishpond.Principal) (Account, error) {
	if err := needUser(p); err != nil {
		return Account{}, err
	}
	var a Account
	err := s.db.Read().QueryRowContext(ctx, "SELECT balance, collected, spent FROM green_energy_accounts WHERE user_id = ?", p.UserID).Scan(&a.Balance, &a.Collected, &a.Spent)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return a, fishpond.Internal(err)
	}
	return a, nil
}

// Entries lists the principal's latest energy movements, newest first.
func (s *Service) Entries(ctx context.Context, p fishpond.Principal, limit int) ([]Entry, error) {
	if err := needUser(p); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT kind, grams, ref, at FROM green_energy_entries WHERE user_id = ? ORDER BY seq DESC LIMIT ?", p.UserID, limit)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at string
		if err := rows.Scan(&e.Kind, &e.Grams, &e.Ref, &at); err != nil {
			return nil, fishpond.Internal(err)
		}
		e.At = db.MustTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Verify recomputes every energy balance from its entries and returns the users
// whose stored balance, collected or spent total differs (none: the books hold).
func (s *Service) Verify(ctx context.Context) ([]string, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT a.user_id FROM green_energy_accounts a LEFT JOIN (
		SELECT user_id, SUM(grams) AS bal, SUM(CASE WHEN grams > 0 THEN grams ELSE 0 END) AS inn, SUM(CASE WHEN grams < 0 THEN -grams ELSE 0 END) AS outt
		FROM green_energy_entries GROUP BY user_id) e ON e.user_id = a.user_id
		WHERE a.balance <> COALESCE(e.bal, 0) OR a.collected <> COALESCE(e.inn, 0) OR a.spent <> COALESCE(e.outt, 0) ORDER BY a.user_id`)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var bad []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, fishpond.Internal(err)
		}
		bad = append(bad, u)
	}
	return bad, rows.Err()
}

// ExpireDrops marks drops past their window as expired (they were already
// uncollectable; the mark is for the pages and the reports) and returns how many.
func (s *Service) ExpireDrops(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE green_drops SET state = ? WHERE state = ? AND expires_at <= ?", StateExpired, StateOpen, db.FormatTime(now))
		if err != nil {
			return fishpond.Internal(err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
