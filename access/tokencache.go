package access

import (
	"sync"
	"sync/atomic"
	"time"
)

// tokenCache remembers resolved bearer tokens (by hash) for a short TTL. Every API
// call of a client carries its token; without the cache each call costs two reads
// (token, then user and counties), which profiling of the checkout and live-comment
// load showed as the largest share of request CPU after the work itself.
type tokenCache struct {
	m sync.Map // token hash -> cachedToken
	n atomic.Int64
}

type cachedToken struct {
	id      string
	user    User
	expires time.Time // zero: the token does not expire
	at      time.Time // when it was read from the database
}

// maxCachedTokens bounds the memory a flood of distinct valid tokens can take;
// past it the cache is emptied and refills with the tokens still in use.
const maxCachedTokens = 100_000

func (c *tokenCache) get(hash string, now time.Time, ttl time.Duration) (cachedToken, bool) {
	if ttl <= 0 {
		return cachedToken{}, false
	}
	v, ok := c.m.Load(hash)
	if !ok {
		return cachedToken{}, false
	}
	t := v.(cachedToken)
	if now.Sub(t.at) >= ttl || now.Before(t.at) || (!t.expires.IsZero() && t.expires.Before(now)) {
		c.delete(hash)
		return cachedToken{}, false
	}
	return t, true
}

func (c *tokenCache) put(hash string, t cachedToken) {
	if _, loaded := c.m.Swap(hash, t); !loaded && c.n.Add(1) > maxCachedTokens {
		c.m.Clear()
		c.n.Store(0)
	}
}

func (c *tokenCache) delete(hash any) {
	if _, loaded := c.m.LoadAndDelete(hash); loaded {
		c.n.Add(-1)
	}
}

// forget drops every cached token the predicate matches (a revoked token, a disabled user).
func (c *tokenCache) forget(match func(cachedToken) bool) {
	c.m.Range(func(k, v any) bool {
		if match(v.(cachedToken)) {
			c.delete(k)
		}
		return true
	})
}
