package partners

import (
	"math"
	"sync"
	"time"

	"fishpond"
)

// Limiter is a token bucket per key and per partner: a bucket holds a minute's
// budget and refills continuously, so a partner can burst up to its budget and
// then proceeds at its rate. A call must find a token in both buckets and takes one
// from each. Buckets live in this process: behind several instances each enforces
// the budget separately (the documented limit is per instance).
type Limiter struct {
	clock   fishpond.Clock
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewLimiter builds a limiter on the clock.
func NewLimiter(clock fishpond.Clock) *Limiter {
	return &Limiter{clock: clock, buckets: map[string]*bucket{}}
}

// Decision is the outcome of one call's check, with what the rate-limit headers
// report: the tighter of the two buckets.
type Decision struct {
	Allowed    bool
	Limit      int           // calls per minute of the binding bucket
	Remaining  int           // whole calls left in it
	Reset      time.Duration // until it is full again
	RetryAfter time.Duration // until the next call would be allowed (when refused)
	Scope      string        // "key" or "partner": which bucket binds
}

func (l *Limiter) fill(id string, perMinute int, now time.Time) *bucket {
	b := l.buckets[id]
	if b == nil {
		b = &bucket{tokens: float64(perMinute), last: now}
		l.buckets[id] = b
	}
	rate := float64(perMinute) / 60 // tokens per second
	b.tokens = math.Min(float64(perMinute), b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	return b
}

// Allow checks and, when allowed, spends one call of the key's and the partner's
// budgets.
func (l *Limiter) Allow(keyID string, keyRate int, partnerID string, partnerRate int) Decision {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	kb := l.fill("k:"+keyID, keyRate, now)
	pb := l.fill("p:"+partnerID, partnerRate, now)
	d := Decision{Allowed: kb.tokens >= 1 && pb.tokens >= 1}
	if d.Allowed {
		kb.tokens--
		pb.tokens--
	}
	describe := func(b *bucket, rate int, scope string) Decision {
		perSec := float64(rate) / 60
		out := Decision{Allowed: d.Allowed, Limit: rate, Remaining: int(math.Floor(b.tokens)), Scope: scope,
			Reset: time.Duration((float64(rate) - b.tokens) / perSec * float64(time.Second))}
		if b.tokens < 1 {
			out.RetryAfter = time.Duration((1 - b.tokens) / perSec * float64(time.Second))
		}
		return out
	}
	dk, dp := describe(kb, keyRate, "key"), describe(pb, partnerRate, "partner")
	if dp.Remaining < dk.Remaining || (!d.Allowed && pb.tokens < 1 && kb.tokens >= 1) {
		return dp
	}
	return dk
}
