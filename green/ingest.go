package green

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Ingester records actions through a group-commit queue: concurrent requests are
// written by one committer in one transaction, so one fsync acknowledges thousands
// of actions. Each request still gets its own results after a durable commit.
type Ingester struct {
	s *Service
	// MaxBatch bounds the actions one commit carries.
	MaxBatch int

	mu     sync.RWMutex
	closed bool
	queue  chan *ingestReq
	done   chan struct{}
	start  sync.Once
}

type ingestReq struct {
	actions []Action
	results []Result
	err     error
	done    chan struct{}
}

func newIngester(s *Service) *Ingester {
	return &Ingester{s: s, MaxBatch: 4096, queue: make(chan *ingestReq, 4096), done: make(chan struct{})}
}

// Record records actions and returns one result per action, in order. An invalid
// or conflicting action gets its error in its Result and does not fail the others.
// partner marks actions reported through the API: platform kinds are refused.
func (s *Service) Record(ctx context.Context, actions []Action, partner bool) ([]Result, error) {
	if len(actions) == 0 {
		return nil, nil
	}
	if len(actions) > 1000 {
		return nil, fishpond.Invalid("一次最多1000条 at most 1000 actions per call", map[string]string{"actions": "at most 1000"})
	}
	now := s.now()
	req := &ingestReq{actions: make([]Action, 0, len(actions)), results: make([]Result, len(actions)), done: make(chan struct{})}
	valid := make([]int, 0, len(actions))
	for i := range actions {
		a := actions[i]
		if err := a.validate(now, s.cfg.MaxBackdate, partner); err != nil {
			req.results[i] = Result{ActionID: a.ID, Err: err}
			continue
		}
		valid = append(valid, i)
		req.actions = append(req.actions, a)
	}
	if len(req.actions) == 0 {
		return req.results, nil
	}
	sub := &ingestReq{actions: req.actions, results: make([]Result, len(req.actions)), done: req.done}
	if err := s.ingest.enqueue(ctx, sub); err != nil {
		return nil, err
	}
	select {
	case <-sub.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if sub.err != nil {
		return nil, sub.err
	}
	for j, i := range valid {
		req.results[i] = sub.results[j]
	}
	return req.results, nil
}

// RecordTx records actions inside the caller's transaction (the market consumer
// does, so that energy and its checkpoint commit together). Invalid actions get
// their error in their result and are skipped; any age is accepted, so a consumer
// that fell behind records late actions whose energy has simply expired.
func (s *Service) RecordTx(ctx context.Context, tx *db.Tx, now time.Time, actions []Action) ([]Result, error) {
	out := make([]Result, len(actions))
	req := &ingestReq{}
	var idx []int
	for i := range actions {
		a := actions[i]
		if err := a.validate(now, 0, false); err != nil {
			out[i] = Result{ActionID: a.ID, Err: err}
			continue
		}
		req.actions = append(req.actions, a)
		idx = append(idx, i)
	}
	if len(req.actions) == 0 {
		return out, nil
	}
	req.results = make([]Result, len(req.actions))
	if err := s.recordBatch(ctx, tx, now, []*ingestReq{req}); err != nil {
		return nil, err
	}
	for j, i := range idx {
		out[i] = req.results[j]
	}
	return out, nil
}

func (in *Ingester) enqueue(ctx context.Context, r *ingestReq) error {
	in.start.Do(in.startLoops)
	in.mu.RLock()
	defer in.mu.RUnlock()
	if in.closed {
		return fishpond.Errorf(fishpond.EInternal, "green: ingester is closed")
	}
	select {
	case in.queue <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting actions, commits those queued and stops the committer.
func (in *Ingester) Close() {
	in.start.Do(in.startLoops)
	in.mu.Lock()
	if !in.closed {
		in.closed = true
		close(in.queue)
	}
	in.mu.Unlock()
	<-in.done
}

// startLoops starts the one committer. (Two committers on PostgreSQL, as the
// ledger runs, measured slower here: concurrent batches contend on the daily
// counters they lock.)
func (in *Ingester) startLoops() {
	go func() { defer close(in.done); in.loop() }()
}

// loop takes what is queued — at least one request, up to MaxBatch actions — and
// commits it in one transaction; while it commits the next batch queues up, so the
// batch size follows the load.
func (in *Ingester) loop() {
	var batch []*ingestReq
	for {
		r, ok := <-in.queue
		if !ok {
			return
		}
		batch = append(batch[:0], r)
		n := len(r.actions)
	fill:
		for n < in.MaxBatch {
			select {
			case r, ok := <-in.queue:
				if !ok {
					break fill
				}
				batch = append(batch, r)
				n += len(r.actions)
			default:
				break fill
			}
		}
		in.commit(batch)
	}
}

func (in *Ingester) commit(batch []*ingestReq) {
	ctx := context.Background()
	s := in.s
	err := s.db.InTx(ctx, func(tx *db.Tx) error { return s.recordBatch(ctx, tx, s.now(), batch) })
	if err != nil {
		// One request alone cannot fail the others: retry each on its own.
		slog.Warn("green: group commit failed; retrying requests one by one", "size", len(batch), "err", err)
		for _, r := range batch {
			one := []*ingestReq{r}
			if err := s.db.InTx(ctx, func(tx *db.Tx) error { return s.recordBatch(ctx, tx, s.now(), one) }); err != nil {
				r.err = fishpond.Internal(err)
			}
		}
	}
	for _, r := range batch {
		close(r.done)
	}
}
