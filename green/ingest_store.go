package green

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// pending is one action of a batch on its way into the database.
type pending struct {
	a   *Action
	res *Result
	dup *pending // an earlier action of the same batch with the same id
}

// recordBatch is the one write path of energy: it checks action ids against the
// log, reads and locks the daily counters the batch touches, converts and caps in
// memory, then writes every drop and counter with multi-row statements. An action
// that fails gets its error in its result; only a database error fails the batch.
// It resets every result first, because InTx may run it again.
func (s *Service) recordBatch(ctx context.Context, tx *db.Tx, now time.Time, reqs []*ingestReq) error {
	var all []*pending
	byID := map[string]*pending{}
	var ids []any
	for _, r := range reqs {
		for i := range r.actions {
			p := &pending{a: &r.actions[i], res: &r.results[i]}
			*p.res = Result{ActionID: p.a.ID}
			if first, ok := byID[p.a.ID]; ok {
				p.dup = first
			} else {
				byID[p.a.ID] = p
				ids = append(ids, p.a.ID)
			}
			all = append(all, p)
		}
	}
	// Actions recorded before: a replay answers the first result, anything else
	// under the same id is a conflict.
	err := selectByID(ctx, tx, ids,
		func(scan func(...any) error) error {
			var id, user, kind, at, ripe, exp string
			var qty, grams int64
			if err := scan(&id, &user, &kind, &qty, &at, &grams, &ripe, &exp); err != nil {
				return err
			}
			p := byID[id]
			if p.a.same(user, kind, qty, db.MustTime(at)) {
				*p.res = Result{ActionID: id, Grams: grams, RipeAt: db.MustTime(ripe), Expires: db.MustTime(exp), Replayed: true}
			} else {
				p.res.Err = conflictAction(id)
			}
			delete(byID, id) // settled: not written again
			return nil
		})
	if err != nil {
		return err
	}
	// The daily counters of the new actions, locked on PostgreSQL so that two
	// processes cannot both grant the last grams under a cap.
	var live []*pending
	keySet := map[string]struct{}{}
	for _, p := range all {
		if p.dup != nil || p.res.Err != nil || p.res.Replayed {
			continue
		}
		live = append(live, p)
		keySet[dailyKey(p.a)] = struct{}{}
	}
	if len(live) == 0 {
		return settleDuplicates(all)
	}
	keys := make([]any, 0, len(keySet))
	for k := range keySet {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	used, err := lockCounters(ctx, tx, keys)
	if err != nil {
		return err
	}
	existing := make(map[string]bool, len(used))
	for k := range used {
		existing[k] = true
	}
	const width = 12
	drops := make([]any, 0, width*len(live))
	recorded := db.FormatTime(now)
	for _, p := range live {
		a := p.a
		c, _ := ConversionOf(a.Kind)
		k := dailyKey(a)
		want := c.gramsFor(a.Quantity)
		g := min(want, max(c.DailyCap-used[k], 0))
		used[k] += g
		ripe := a.At.Add(s.cfg.RipeAfter)
		exp := ripe.Add(s.cfg.Window)
		state := StateOpen
		if g == 0 {
			state = StateEmpty
		}
		*p.res = Result{ActionID: a.ID, Grams: g, Capped: g < want, RipeAt: ripe, Expires: exp}
		drops = append(drops, a.ID, a.UserID, a.Kind, a.Quantity, g, a.Source, db.FormatTime(a.At), day(a.At),
			db.FormatTime(ripe), db.FormatTime(exp), state, recorded)
	}
	if err := insertDrops(ctx, tx, width, len(live), drops); err != nil {
		if db.IsUniqueViolation(err) { // another process recorded one of them first: run again
			return db.Retry(fmt.Errorf("green: concurrent action: %w", err))
		}
		return fishpond.Internal(err)
	}
	if err := saveCounters(ctx, tx, keys, used, existing); err != nil {
		if errors.Is(err, db.ErrRetry) {
			return err
		}
		return fishpond.Internal(err)
	}
	return settleDuplicates(all)
}

// settleDuplicates answers an action repeated within one batch like its first
// occurrence (a replay) or, with other content, as a conflict.
func settleDuplicates(all []*pending) error {
	for _, p := range all {
		if p.dup == nil {
			continue
		}
		f := p.dup
		switch {
		case !p.a.same(f.a.UserID, f.a.Kind, f.a.Quantity, f.a.At):
			*p.res = Result{ActionID: p.a.ID, Err: conflictAction(p.a.ID)}
		case f.res.Err != nil:
			*p.res = Result{ActionID: p.a.ID, Err: f.res.Err}
		default:
			*p.res = *f.res
			p.res.Replayed = true
		}
	}
	return nil
}

func dailyKey(a *Action) string { return a.UserID + "|" + day(a.At) + "|" + a.Kind }

// Drop states.
const (
	StateOpen      = "open"      // waiting to be collected
	StateCollected = "collected" // the owner collected it
	StateExpired   = "expired"   // not collected in time
	StateEmpty     = "empty"     // the daily cap left nothing to collect
)
