package sensing

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"fishpond"
)

// Result tells a sender what happened to its payload.
type Result struct {
	Accepted   int      `json:"accepted"`
	Duplicates int      `json:"duplicates"`
	Late       int      `json:"late"`
	Rejected   []Reject `json:"rejected,omitempty"`
}

// Reject is one reading refused, with the reason.
type Reject struct {
	Index  int    `json:"index"`
	Device string `json:"device"`
	Metric string `json:"metric"`
	Reason string `json:"reason"`
}

// item is one payload's valid readings waiting for the commit loop.
type item struct {
	auth     string
	readings []Reading
	rejects  []Reject
	res      Result
	err      error
	done     chan struct{} // nil when the sender does not wait
	then     func(Result, error)
}

type ingester struct {
	s          *Service
	queue      chan *item
	closed     chan struct{}
	rulesStale atomic.Bool
	st         *ruleState
}

func newIngester(s *Service) *ingester {
	in := &ingester{s: s, queue: make(chan *item, 4096), closed: make(chan struct{})}
	in.rulesStale.Store(true)
	go in.loop()
	return in
}

func (in *ingester) close() {
	close(in.queue)
	<-in.closed
}

// Ingest takes one payload from an authenticated device (MQTT or HTTP):
// malformed payloads are refused whole; each reading is then checked (the sender
// may send for itself or, as a gateway, for its sensors; a metric its type
// measures; a finite value in the metric's physical range; stamped neither in
// the future nor older than the late window) and refused alone with a reason.
// Valid readings are queued for the commit loop, which writes many payloads in
// one transaction; with wait, Ingest returns after that commit, with duplicates
// and late readings counted.
func (s *Service) Ingest(ctx context.Context, auth string, payload []byte, wait bool) (Result, error) {
	it, err := s.check(ctx, auth, func(device string) (cred, bool) { return s.mayPublishFor(ctx, auth, device) }, payload)
	if err != nil {
		return Result{}, err
	}
	return s.submit(ctx, it, wait)
}

// IngestFor takes a payload from an outside system rather than a device: a
// partner organisation's platform (an API key holding the write:sensors scope,
// which the web layer checks) may send readings of any enabled device in its
// granted counties, an admin of any. The readings are checked, queued and
// committed as Ingest's, and it returns after the commit.
func (s *Service) IngestFor(ctx context.Context, p fishpond.Principal, payload []byte) (Result, error) {
	if p.Role != fishpond.RoleAdmin && (p.Role != fishpond.RolePartner || len(p.Counties) == 0) {
		return Result{}, fishpond.Errorf(fishpond.EForbidden, "only a partner granted counties, or an admin, sends readings for devices / 只有获授权县的合作方或管理员可代设备上报")
	}
	sender := "partner:" + p.PartnerID
	if p.PartnerID == "" {
		sender = "user:" + p.UserID
	}
	it, err := s.check(ctx, sender, func(device string) (cred, bool) {
		c, ok, err := s.cred(ctx, device)
		if err != nil || !ok || c.disabled {
			return cred{}, false
		}
		return c, p.CanSeeCounty(c.county)
	}, payload)
	if err != nil {
		return Result{}, err
	}
	return s.submit(ctx, it, true)
}

// submit queues a checked payload for the commit loop; with wait it returns after
// the commit.
func (s *Service) submit(ctx context.Context, it *item, wait bool) (Result, error) {
	if wait {
		it.done = make(chan struct{})
	}
	if err := s.enqueue(ctx, it); err != nil {
		return Result{}, err
	}
	if !wait {
		return Result{Accepted: len(it.readings), Rejected: it.rejects}, nil
	}
	select {
	case <-it.done:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	it.res.Rejected = it.rejects
	return it.res, it.err
}

// IngestThen is Ingest without waiting: then is called after the commit (or at
// once for a refused payload), in the order payloads were submitted.
func (s *Service) IngestThen(ctx context.Context, auth string, payload []byte, then func(Result, error)) {
	it, err := s.check(ctx, auth, func(device string) (cred, bool) { return s.mayPublishFor(ctx, auth, device) }, payload)
	if err != nil {
		then(Result{}, err)
		return
	}
	it.then = then
	if err := s.enqueue(ctx, it); err != nil {
		then(Result{}, err)
	}
}

// check parses and validates a payload into an item for the commit loop; may
// says whether the sender may send a device's readings (and gives its record).
func (s *Service) check(ctx context.Context, auth string, may func(device string) (cred, bool), payload []byte) (*item, error) {
	rs, err := ParsePayload(payload)
	if err != nil {
		s.enqueue(ctx, &item{auth: auth, rejects: []Reject{{Index: -1, Device: auth, Reason: err.Error()}}})
		return nil, fishpond.Invalid("payload refused / 数据格式错误: "+err.Error(), map[string]string{"payload": err.Error()})
	}
	now := s.now().UnixMilli()
	oldest := now - s.cfg.LateWindow.Milliseconds()
	newest := now + s.cfg.FutureSkew.Milliseconds()
	it := &item{auth: auth, readings: rs[:0]}
	for i, r := range rs {
		reason := ""
		c, ok := may(r.Device)
		switch {
		case !ok:
			reason = "unknown device, or not this sender's"
		case !measures(c.typ, r.Metric):
			reason = fmt.Sprintf("a %s device does not measure %q", c.typ, r.Metric)
		case math.IsNaN(r.Value) || math.IsInf(r.Value, 0):
			reason = "value is not a number"
		case r.Value < Metrics[r.Metric].Min || r.Value > Metrics[r.Metric].Max:
			m := Metrics[r.Metric]
			reason = fmt.Sprintf("out of range: %g not in [%g, %g] %s", r.Value, m.Min, m.Max, m.Unit)
		case r.AtMs > newest:
			reason = "time is in the future"
		case r.AtMs < oldest:
			reason = fmt.Sprintf("too late: older than the %g-hour late window", s.cfg.LateWindow.Hours())
		}
		if reason != "" {
			it.rejects = append(it.rejects, Reject{Index: i, Device: r.Device, Metric: r.Metric, Reason: reason})
			continue
		}
		it.readings = append(it.readings, r)
	}
	return it, nil
}

func (s *Service) enqueue(ctx context.Context, it *item) (err error) {
	defer func() {
		if recover() != nil { // the queue is closed: shutting down
			err = fishpond.Errorf(fishpond.EInternal, "sensing is shutting down")
		}
	}()
	select {
	case s.in.queue <- it:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loop takes whatever is queued, up to MaxBatch readings, and commits it as one
// transaction; while it commits, the next batch queues up, so batches grow with
// the load by themselves (as the ledger's group commit does).
func (in *ingester) loop() {
	defer close(in.closed)
	var batch []*item
	var pending *item
	for {
		batch = batch[:0]
		n := 0
		if pending != nil {
			batch, n, pending = append(batch, pending), len(pending.readings), nil
		} else {
			it, ok := <-in.queue
			if !ok {
				return
			}
			batch, n = append(batch, it), len(it.readings)
		}
	fill:
		for n < in.s.cfg.MaxBatch {
			select {
			case it, ok := <-in.queue:
				if !ok {
					break fill
				}
				if n > 0 && n+len(it.readings) > in.s.cfg.MaxBatch {
					pending = it
					break fill
				}
				batch, n = append(batch, it), n+len(it.readings)
			default:
				break fill
			}
		}
		in.commit(batch)
	}
}

func (in *ingester) commit(batch []*item) {
	ctx := context.Background()
	start := time.Now()
	alerts, err := in.write(ctx, batch)
	if err != nil {
		in.s.log.Error("sensing: writing readings failed", "payloads", len(batch), "err", err)
		for _, it := range batch {
			it.err = fishpond.Internal(err)
		}
	}
	if len(alerts) > 0 {
		if in.s.Log != nil {
			in.s.Log.Notify()
		}
		if in.s.cfg.OnAlert != nil {
			for _, a := range alerts {
				in.s.cfg.OnAlert(a)
			}
		}
		notifyWebhooks(in.s)
	}
	for _, it := range batch {
		if it.done != nil {
			close(it.done)
		}
		if it.then != nil {
			it.res.Rejected = it.rejects
			it.then(it.res, it.err)
		}
	}
	in.s.log.Debug("sensing: batch", "payloads", len(batch), "ms", time.Since(start).Milliseconds())
}
