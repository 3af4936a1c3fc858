package ledger

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// item is one transfer on its way into the database, alone (PostTx) or in a
// group-commit batch. Outputs are reset on every attempt because InTx may retry.
type item struct {
	req        TransferRequest
	hash       string
	id         string                    // the new transfer's id, made by the poster (Post) to spare the committer
	reverses   string                    // for reversals: the original transfer id
	ruleDeltas map[string]fishpond.Money // for reversals: what the reversal gives back to rules

	out      Transfer
	err      error
	dupOf    *item
	replayID string
	done     chan struct{} // closed by the committer when out/err are final
}

func (it *item) reset() { it.out, it.err, it.dupOf, it.replayID = Transfer{}, nil, nil, "" }

// PostTx records one transfer inside the caller's transaction, so that a change
// elsewhere (an order marked paid) and its money movement commit or fail together.
// now is the caller's fixed transaction time: the recorded time, and the effective
// time when req.At is zero. Standing rules on the accounts apply in the same tx.
func PostTx(ctx context.Context, tx *db.Tx, now time.Time, req TransferRequest) (Transfer, error) {
	if err := req.Validate(); err != nil {
		return Transfer{}, err
	}
	it := &item{req: req, hash: contentHash(&req, "")}
	if err := postItems(ctx, tx, now.UTC().Truncate(time.Microsecond), []*item{it}, nil, false); err != nil {
		return Transfer{}, err
	}
	return it.out, it.err
}

type acctInfo struct {
	kind     Kind
	currency string
	seq      int64 // internal key of the account's balance row
}

type ruleState struct {
	id, source, dest string
	bp               fishpond.Bp
	cap, moved       fishpond.Money
	seq              int64
	kinds            []string
}

// postItems is the one write path of the ledger: it checks idempotency keys,
// accounts and currencies for every item with a few set-wise queries, applies
// standing rules in memory, then writes all transfers, postings, balances and rule
// states with multi-row statements. An item that fails gets its own error and
// writes nothing; only a database error fails the whole call.
// cache, when not nil, holds account facts read by earlier committed batches;
// only the committer passes one, because a caller's transaction may create an
// account and then roll back. ownTx tells that the transaction is postItems' own
// (the committer's), which nothing else writes to.
func postItems(ctx context.Context, tx *db.Tx, now time.Time, items []*item, cache *sync.Map, ownTx bool) error {
	byKey := make(map[string]*item, len(items))
	keys := make([]any, 0, len(items))
	for _, it := range items {
		it.reset()
		if prev, ok := byKey[it.req.IdempotencyKey]; ok {
			it.dupOf = prev // resolved below, against the stored transfer if any
			continue
		}
		byKey[it.req.IdempotencyKey] = it
		keys = append(keys, it.req.IdempotencyKey)
	}
	type stored struct{ id, hash string }
	existing := map[string]stored{}
	err := db.QueryIn(ctx, tx, "SELECT idem_key, id, content_hash FROM ledger_transfers WHERE idem_key IN (%s)", "", keys, func(scan func(...any) error) error {
		var k, id, h string
		if err := scan(&k, &id, &h); err != nil {
			return err
		}
		existing[k] = stored{id, h}
		return nil
	})
	if err != nil {
		return err
	}
	for _, it := range items {
		if st, ok := existing[it.req.IdempotencyKey]; ok {
			it.dupOf = nil
			if st.hash == it.hash {
				it.replayID = st.id
			} else {
				it.err = keyConflict(it.req.IdempotencyKey)
			}
		} else if it.dupOf != nil && it.dupOf.hash != it.hash {
			it.dupOf, it.err = nil, keyConflict(it.req.IdempotencyKey)
		}
	}

	live := make([]*item, 0, len(items))
	accts := map[string]acctInfo{}
	acctSet := map[string]struct{}{}
	var reversedIDs []any
	for _, it := range items {
		if it.err != nil || it.dupOf != nil || it.replayID != "" {
			continue
		}
		live = append(live, it)
		for _, p := range it.req.Postings {
			if _, ok := accts[p.AccountID]; ok {
				continue
			}
			if cache != nil {
				if v, ok := cache.Load(p.AccountID); ok {
					accts[p.AccountID] = v.(acctInfo)
					continue
				}
			}
			acctSet[p.AccountID] = struct{}{}
		}
		if it.reverses != "" {
			reversedIDs = append(reversedIDs, it.reverses)
		}
	}
	if err := loadAccounts(ctx, tx, acctSet, accts, cache); err != nil {
		return err
	}
	reversed := map[string]bool{}
	err = db.QueryIn(ctx, tx, "SELECT original_id FROM ledger_reversals WHERE original_id IN (%s)", "", reversedIDs, func(scan func(...any) error) error {
		var id string
		err := scan(&id)
		reversed[id] = true
		return err
	})
	if err != nil {
		return err
	}

	// Standing rules watch debit-normal accounts that receive a debit.
	sources := map[string]struct{}{}
	for _, it := range live {
		if it.reverses != "" {
			continue
		}
		for _, p := range it.req.Postings {
			if a, ok := accts[p.AccountID]; ok && p.Amount > 0 && a.kind.DebitNormal() {
				sources[p.AccountID] = struct{}{}
			}
		}
	}
	rules := map[string][]*ruleState{}
	// Locked in id order (as every writer locks rules), applied in creation order.
	err = db.QueryIn(ctx, tx, "SELECT id, source_id, dest_id, bp, cap, moved, seq, kinds FROM ledger_rules WHERE status = 'active' AND source_id IN (%s) ORDER BY id", tx.ForUpdate(), setArgs(sources), func(scan func(...any) error) error {
		r := &ruleState{}
		var kinds string
		if err := scan(&r.id, &r.source, &r.dest, &r.bp, &r.cap, &r.moved, &r.seq, &kinds); err != nil {
			return err
		}
		r.kinds = splitKinds(kinds)
		rules[r.source] = append(rules[r.source], r)
		return nil
	})
	if err != nil {
		return err
	}
	dests := map[string]struct{}{}
	for _, rs := range rules {
		slices.SortFunc(rs, func(a, b *ruleState) int { return int(a.seq - b.seq) })
		for _, r := range rs {
			if _, ok := accts[r.dest]; !ok {
				dests[r.dest] = struct{}{}
			}
		}
	}
	if err := loadAccounts(ctx, tx, dests, accts, cache); err != nil {
		return err
	}

	// Decide every item in order, in memory.
	nowText := db.FormatTime(now)
	deltas := map[int64]fishpond.Money{}
	ruleDeltas := map[string]fishpond.Money{}
	var rvArgs []any
	nRv, nP := 0, 0
	accepted := make([]*item, 0, len(live))
	for _, it := range live {
		req := &it.req
		f := map[string]string{}
		for i, p := range req.Postings {
			a, ok := accts[p.AccountID]
			switch {
			case !ok:
				f[fmt.Sprintf("postings[%d].account", i)] = "no such account"
			case a.currency != req.Currency:
				f[fmt.Sprintf("postings[%d].account", i)] = fmt.Sprintf("account holds %s, transfer is in %s", a.currency, req.Currency)
			}
		}
		if len(f) > 0 {
			it.err = fishpond.Invalid("invalid transfer", f)
			continue
		}
		if it.reverses != "" && reversed[it.reverses] {
			it.err = fishpond.Errorf(fishpond.EConflict, "transfer %s has already been reversed", it.reverses)
			continue
		}
		at := req.At
		if at.IsZero() {
			at = now
		}
		id := it.id
		if id == "" {
			id = newID()
		}
		t := Transfer{ID: id, IdempotencyKey: req.IdempotencyKey, Kind: req.Kind, Memo: req.Memo, Evidence: req.Evidence,
			Currency: req.Currency, At: at, RecordedAt: now, Reverses: it.reverses, Postings: slices.Clone(req.Postings)}
		if it.reverses == "" {
			for _, p := range req.Postings {
				if p.Amount <= 0 || !accts[p.AccountID].kind.DebitNormal() {
					continue
				}
				left := p.Amount // all rules together never move more than the inflow
				for _, r := range rules[p.AccountID] {
					if len(r.kinds) > 0 && !slices.Contains(r.kinds, req.Kind) {
						continue
					}
					x := min(r.bp.Of(p.Amount), r.cap-r.moved, left)
					if x <= 0 {
						continue
					}
					t.Postings = append(t.Postings, Posting{AccountID: p.AccountID, Amount: -x, RuleID: r.id}, Posting{AccountID: r.dest, Amount: x, RuleID: r.id})
					r.moved += x
					left -= x
					ruleDeltas[r.id] += x
				}
			}
		}
		if it.reverses != "" {
			reversed[it.reverses] = true
			for id, d := range it.ruleDeltas {
				ruleDeltas[id] += d
			}
			rvArgs = append(rvArgs, it.reverses, t.ID)
			nRv++
		}
		for _, p := range t.Postings {
			deltas[accts[p.AccountID].seq] += p.Amount
		}
		nP += len(t.Postings)
		it.out = t
		accepted = append(accepted, it)
	}

	// Integer keys: each transfer's seq, and its postings' ids, which follow one
	// another, so the transfer row can say where its postings are.
	tKeys, err := newKeys(ctx, tx, "ledger_transfers", "seq", len(accepted))
	if err != nil {
		return err
	}
	pKeys, err := newKeys(ctx, tx, "ledger_postings", "id", nP)
	if err != nil {
		return err
	}
	tArgs := make([]any, 0, 13*len(accepted))
	pArgs := make([]any, 0, 6*nP)
	k := 0
	for i, it := range accepted {
		t := &it.out
		atText := db.FormatTime(t.At)
		var rev any
		if t.Reverses != "" {
			rev = t.Reverses
		}
		first, last := pKeys.ids[k], pKeys.ids[k+len(t.Postings)-1]
		tArgs = pKeys.appendKey(tArgs, tKeys.ids[i])
		tArgs = append(tArgs, t.ID, t.IdempotencyKey, it.hash, t.Kind, t.Memo, t.Evidence, t.Currency, atText, nowText, rev, first, last)
		for _, p := range t.Postings {
			var rule any
			if p.RuleID != "" {
				rule = p.RuleID
			}
			pArgs = pKeys.appendKey(pArgs, pKeys.ids[k])
			pArgs = append(pArgs, tKeys.ids[i], accts[p.AccountID].seq, int64(p.Amount), atText, rule)
			k++
		}
	}

	// Write everything set-wise. In its own transaction (the committer's), a
	// failed constraint rolls the whole transaction back (OR ROLLBACK on SQLite),
	// which, with keys SQLite assigns itself, spares it a statement journal (a copy
	// of every page a statement touches) for every multi-row statement; the batch
	// is then retried request by request. In a caller's transaction only the
	// statement fails, as usual.
	insert := "INSERT INTO "
	if ownTx && tx.Dialect() == db.SQLite {
		insert = "INSERT OR ROLLBACK INTO "
	}
	tCols, tw := "id, idem_key, content_hash, kind, memo, evidence, currency, effective_at, recorded_at, reverses, first_posting, last_posting", 12
	pCols, pw := "transfer_seq, account_seq, amount, effective_at, rule_id", 5
	if tKeys.explicit {
		tCols, tw = "seq, "+tCols, tw+1
	}
	if pKeys.explicit {
		pCols, pw = "id, "+pCols, pw+1
	}
	if err := db.InsertRows(ctx, tx, insert+"ledger_transfers ("+tCols+") VALUES ", "", tw, len(accepted), tArgs); err != nil {
		return raced(err, "idempotency key")
	}
	if err := tKeys.check(ctx, tx, "ledger_transfers", "seq"); err != nil {
		return err
	}
	if err := db.InsertRows(ctx, tx, insert+"ledger_postings ("+pCols+") VALUES ", "", pw, nP, pArgs); err != nil {
		return fishpond.Internal(err)
	}
	if err := pKeys.check(ctx, tx, "ledger_postings", "id"); err != nil {
		return err
	}
	if err := db.InsertRows(ctx, tx, insert+"ledger_reversals (original_id, reversal_id) VALUES ", "", 2, nRv, rvArgs); err != nil {
		return raced(err, "reversal")
	}
	// Lock order on PostgreSQL: rules, then accounts, each by id.
	for _, id := range slices.Sorted(maps.Keys(ruleDeltas)) {
		d := int64(ruleDeltas[id])
		if d == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, "UPDATE ledger_rules SET moved = moved + ?, status = CASE WHEN moved + ? >= cap THEN 'done' ELSE 'active' END WHERE id = ?", d, d, id); err != nil {
			return fishpond.Internal(err)
		}
	}

	if err := applyBalances(ctx, tx, deltas, ownTx); err != nil {
		return err
	}
	for _, it := range items {
		if it.replayID != "" {
			t, err := loadTransfer(ctx, tx, it.replayID)
			if err != nil {
				return err
			}
			t.Replayed = true
			it.out = t
		}
	}
	for _, it := range items {
		if it.dupOf != nil {
			it.out, it.err = it.dupOf.out, it.dupOf.err
			it.out.Replayed = it.err == nil
		}
	}
	return nil
}

// loadAccounts reads the facts of the accounts in ids into accts (and cache).
func loadAccounts(ctx context.Context, tx *db.Tx, ids map[string]struct{}, accts map[string]acctInfo, cache *sync.Map) error {
	return db.QueryIn(ctx, tx, "SELECT id, kind, currency, seq FROM ledger_accounts WHERE id IN (%s)", "", setArgs(ids), func(scan func(...any) error) error {
		var id, kind, cur string
		var seq int64
		if err := scan(&id, &kind, &cur, &seq); err != nil {
			return err
		}
		accts[id] = acctInfo{Kind(kind), cur, seq}
		if cache != nil {
			cache.Store(id, acctInfo{Kind(kind), cur, seq})
		}
		return nil
	})
}

// applyBalances adds each account's delta to its stored balance with one
// statement per thousand accounts. On PostgreSQL the rows are first locked in key
// order so that concurrent transactions queue instead of deadlocking.
func applyBalances(ctx context.Context, tx *db.Tx, deltas map[int64]fishpond.Money, ownTx bool) error {
	seqs := make([]int64, 0, len(deltas))
	for seq, d := range deltas {
		if d != 0 {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	const chunk = 1024
	for len(seqs) > 0 {
		n := chunk // a power of two, so that few cached statements serve every size
		for n > len(seqs) {
			n /= 2
		}
		part := seqs[:n]
		seqs = seqs[n:]
		args := make([]any, 0, 2*n)
		if tx.Dialect() == db.Postgres {
			for _, seq := range part {
				args = append(args, seq)
			}
			rows, err := tx.QueryContext(ctx, "SELECT account_seq FROM ledger_balances WHERE account_seq IN ("+db.Placeholders(n)+") ORDER BY account_seq FOR UPDATE", args...)
			if err != nil {
				return fishpond.Internal(err)
			}
			for rows.Next() {
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fishpond.Internal(err) // a deadlock here is retried by InTx
			}
			args = args[:0]
		}
		for _, seq := range part {
			args = append(args, seq, int64(deltas[seq]))
		}
		update := "UPDATE "
		if ownTx && tx.Dialect() == db.SQLite {
			update = "UPDATE OR ROLLBACK " // see postItems
		}
		q := "WITH v(s, d) AS (VALUES " + db.RepeatRow("(CAST(? AS BIGINT), CAST(? AS BIGINT))", n) + ") " + update + "ledger_balances SET balance = balance + v.d FROM v WHERE ledger_balances.account_seq = v.s"
		st, err := tx.Stmt(ctx, q)
		if err != nil {
			return fishpond.Internal(err)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fishpond.Internal(err)
		}
	}
	return nil
}

// keys are new integer keys of one table, in increasing order.
type keys struct {
	ids []int64
	// explicit: the keys must be written. Otherwise (SQLite) the table assigns
	// them itself, one more than its largest, as rows arrive: naming an integer
	// primary key in a multi-row INSERT makes SQLite keep a statement journal.
	explicit bool
}

// newKeys returns n new keys of table's integer primary key col. On SQLite the
// transaction holds the only write lock, so they are the n integers after the
// largest key; PostgreSQL's writers share the column's sequence.
func newKeys(ctx context.Context, tx *db.Tx, table, col string, n int) (keys, error) {
	k := keys{ids: make([]int64, 0, n), explicit: tx.Dialect() == db.Postgres}
	if n == 0 {
		return k, nil
	}
	if k.explicit {
		// One row with every key, not one row per key: far less work for the driver.
		var list string
		if err := tx.QueryRowContext(ctx, "SELECT array_to_string(array_agg(nextval(pg_get_serial_sequence('"+table+"', '"+col+"'))), ',') FROM generate_series(1, CAST(? AS INTEGER))", n).Scan(&list); err != nil {
			return k, fishpond.Internal(err)
		}
		for v := range strings.SplitSeq(list, ",") {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return k, fishpond.Internal(err)
			}
			k.ids = append(k.ids, id)
		}
		if len(k.ids) != n {
			return k, fishpond.Errorf(fishpond.EInternal, "ledger: %d keys for %s, asked for %d", len(k.ids), table, n)
		}
		slices.Sort(k.ids)
		return k, nil
	}
	top, err := maxKey(ctx, tx, table, col)
	if err != nil {
		return k, err
	}
	for i := range n {
		k.ids = append(k.ids, top+1+int64(i))
	}
	return k, nil
}

// maxKey reads the largest key of table (0 when empty) with a prepared statement:
// every posting transaction asks twice per table.
func maxKey(ctx context.Context, tx *db.Tx, table, col string) (int64, error) {
	st, err := tx.Stmt(ctx, "SELECT COALESCE(MAX("+col+"), 0) FROM "+table)
	if err != nil {
		return 0, fishpond.Internal(err)
	}
	var top int64
	if err := st.QueryRowContext(ctx).Scan(&top); err != nil {
		return 0, fishpond.Internal(err)
	}
	return top, nil
}

// appendKey adds id to a row's arguments when keys are written explicitly.
func (k keys) appendKey(args []any, id int64) []any {
	if k.explicit {
		return append(args, id)
	}
	return args
}

// check confirms, after the rows are in, that SQLite gave them the keys that
// other rows already refer to; if not, the transaction fails and writes nothing.
func (k keys) check(ctx context.Context, tx *db.Tx, table, col string) error {
	if k.explicit || len(k.ids) == 0 {
		return nil
	}
	top, err := maxKey(ctx, tx, table, col)
	if err != nil {
		return err
	}
	if want := k.ids[len(k.ids)-1]; top != want {
		return fishpond.Errorf(fishpond.EInternal, "ledger: %s keys end at %d, expected %d", table, top, want)
	}
	return nil
}

func setArgs(s map[string]struct{}) []any {
	out := make([]any, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	return out
}

func keyConflict(key string) error {
	return fishpond.Errorf(fishpond.EConflict, "idempotency key %q was already used for a different transfer", key)
}

// raced turns a unique violation — two transactions creating the same key,
// account or reversal at once on PostgreSQL — into db.Retry, so that db.InTx runs
// the transaction again; the retry then sees the winner's row and answers properly.
func raced(err error, what string) error {
	if db.IsUniqueViolation(err) {
		return db.Retry(fmt.Errorf("ledger: concurrent insert of %s: %w", what, err))
	}
	return fishpond.Internal(err)
}

const transferColumns = "seq, first_posting, last_posting, id, idem_key, kind, memo, evidence, currency, effective_at, recorded_at, reverses"

// storedTransfer is a transfer row's integer keys: its own, and the range of
// posting ids that holds its postings.
type storedTransfer struct{ seq, first, last int64 }

func scanTransfer(row interface{ Scan(...any) error }) (Transfer, storedTransfer, error) {
	var t Transfer
	var k storedTransfer
	var at, rec string
	var rev *string
	if err := row.Scan(&k.seq, &k.first, &k.last, &t.ID, &t.IdempotencyKey, &t.Kind, &t.Memo, &t.Evidence, &t.Currency, &at, &rec, &rev); err != nil {
		return Transfer{}, storedTransfer{}, err
	}
	t.At, t.RecordedAt = db.MustTime(at), db.MustTime(rec)
	if rev != nil {
		t.Reverses = *rev
	}
	return t, k, nil
}

// loadTransfer reads a transfer with its postings in their recorded order.
func loadTransfer(ctx context.Context, q db.Querier, id string) (Transfer, error) {
	t, k, err := scanTransfer(q.QueryRowContext(ctx, "SELECT "+transferColumns+" FROM ledger_transfers WHERE id = ?", id))
	if err != nil {
		return Transfer{}, db.NotFound(err, "no transfer %s", id)
	}
	rows, err := q.QueryContext(ctx, "SELECT a.id, p.amount, p.rule_id FROM ledger_postings p JOIN ledger_accounts a ON a.seq = p.account_seq WHERE p.id >= ? AND p.id <= ? AND p.transfer_seq = ? ORDER BY p.id",
		k.first, k.last, k.seq)
	if err != nil {
		return Transfer{}, fishpond.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var p Posting
		var rule *string
		if err := rows.Scan(&p.AccountID, &p.Amount, &rule); err != nil {
			return Transfer{}, fishpond.Internal(err)
		}
		if rule != nil {
			p.RuleID = *rule
		}
		t.Postings = append(t.Postings, p)
	}
	return t, rows.Err()
}

// Transfer reads a recorded transfer by id.
func (l *Ledger) Transfer(ctx context.Context, id string) (Transfer, error) {
	return loadTransfer(ctx, l.db.Read(), id)
}

// TransferByKey reads a recorded transfer by its idempotency key, so a caller
// that lost an answer can find out whether its transfer happened.
func (l *Ledger) TransferByKey(ctx context.Context, key string) (Transfer, error) {
	var id string
	if err := l.db.Read().QueryRowContext(ctx, "SELECT id FROM ledger_transfers WHERE idem_key = ?", key).Scan(&id); err != nil {
		return Transfer{}, db.NotFound(err, "no transfer with key %q", key)
	}
	return loadTransfer(ctx, l.db.Read(), id)
}
