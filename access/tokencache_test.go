package access_test

import (
	"context"
	"testing"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// The token cache must never let a revoked token, a disabled user or an expired
// token through in the process that made the change, and another process sharing
// the database must notice within the TTL.
func TestTokenCacheHonoursRevocationDisablingAndExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := &clock{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		a, b := access.New(d, c), access.New(d, c) // two server processes
		if _, err := a.CreateUser(ctx, fishpond.System, access.NewUser{Name: "buyer1", Role: fishpond.RoleConsumer, Password: "correct horse"}); err != nil {
			t.Fatal(err)
		}
		plain, tok, err := a.CreateToken(ctx, fishpond.System, "buyer1", "app", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []*access.Service{a, b} {
			if _, err := s.TokenUser(ctx, plain); err != nil {
				t.Fatal(err)
			}
		}
		// Revoked in a: a refuses at once; b may serve its cached answer until the TTL passes.
		if err := a.RevokeToken(ctx, fishpond.System, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := a.TokenUser(ctx, plain); fishpond.Code(err) != fishpond.EUnauthorized {
			t.Fatalf("revoking process still accepts the token: %v", err)
		}
		c.t = c.t.Add(a.TokenCacheTTL)
		if _, err := b.TokenUser(ctx, plain); fishpond.Code(err) != fishpond.EUnauthorized {
			t.Fatalf("other process accepts a revoked token after the TTL: %v", err)
		}

		// Disabling the user drops its cached tokens.
		plain2, _, err := a.CreateToken(ctx, fishpond.System, "buyer1", "app2", 0)
		if err != nil {
			t.Fatal(err)
		}
		u, err := a.TokenUser(ctx, plain2)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SetDisabled(ctx, fishpond.System, u.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := a.TokenUser(ctx, plain2); fishpond.Code(err) != fishpond.EUnauthorized {
			t.Fatalf("disabled user's cached token accepted: %v", err)
		}
		if err := a.SetDisabled(ctx, fishpond.System, u.ID, false); err != nil {
			t.Fatal(err)
		}

		// A token that expires within the TTL stops working at its expiry, cached or not.
		plain3, _, err := a.CreateToken(ctx, fishpond.System, "buyer1", "short", time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.TokenUser(ctx, plain3); err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(1500 * time.Millisecond)
		if _, err := a.TokenUser(ctx, plain3); fishpond.Code(err) != fishpond.EUnauthorized {
			t.Fatalf("expired cached token accepted: %v", err)
		}
	})
}
