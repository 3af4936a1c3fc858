package access

import (
	"sync"
	"time"
)

// loginLimiter slows password guessing: after MaxFailures failed logins for the
// same name or from the same client within Window, further attempts are refused
// until the window has passed. It is in memory: a restart forgives, which is fine
// for one binary; a cluster would move it to the database.
type loginLimiter struct {
	mu       sync.Mutex
	failures map[string][]time.Time
}

const (
	loginMaxFailures = 5
	loginWindow      = 15 * time.Minute
)

func newLoginLimiter() *loginLimiter { return &loginLimiter{failures: map[string][]time.Time{}} }

func (l *loginLimiter) keys(name, remote string) []string {
	return []string{"u:" + name, "r:" + remote}
}

func (l *loginLimiter) recent(key string, now time.Time) []time.Time {
	kept := l.failures[key][:0]
	for _, t := range l.failures[key] {
		if now.Sub(t) < loginWindow {
			kept = append(kept, t)
		}
	}
	if len(kept) == 0 {
		delete(l.failures, key)
		return nil
	}
	l.failures[key] = kept
	return kept
}

// blocked returns how long the caller must wait, 0 if it may try.
func (l *loginLimiter) blocked(name, remote string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range l.keys(name, remote) {
		if r := l.recent(k, now); len(r) >= loginMaxFailures {
			if w := loginWindow - now.Sub(r[len(r)-loginMaxFailures]); w > wait {
				wait = w
			}
		}
	}
	return wait
}

func (l *loginLimiter) fail(name, remote string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range l.keys(name, remote) {
		l.failures[k] = append(l.recent(k, now), now)
	}
}

func (l *loginLimiter) success(name, remote string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, "u:"+name)
}

func minutes(d time.Duration) int { return int(d.Minutes()) + 1 }
