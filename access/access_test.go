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

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func mustCounty(t *testing.T, d *db.DB, code string) {
	t.Helper()
	err := d.InTx(context.Background(), func(tx *db.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"INSERT INTO provinces (code, name, region) VALUES (?, ?, ?) ON CONFLICT (code) DO NOTHING", []any{code[:2], "省" + code[:2], "west"}},
			{"INSERT INTO prefectures (code, name, province_code) VALUES (?, ?, ?) ON CONFLICT (code) DO NOTHING", []any{code[:4], "市" + code[:4], code[:2]}},
			{"INSERT INTO counties (code, name, prefecture_code, province_code, poverty, region) VALUES (?, ?, ?, ?, 1, 'west')", []any{code, "县" + code, code[:4], code[:2]}},
		} {
			if _, err := tx.ExecContext(context.Background(), q.sql, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUsersSessionsTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := &clock{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		s := access.New(d, c)
		mustCounty(t, d, "622621")

		bad := []access.NewUser{
			{Name: "x", Role: fishpond.RoleAdmin, Password: "longenough"},
			{Name: "officer1", Role: fishpond.RoleCountyOfficer, Password: "longenough"},
			{Name: "officer1", Role: fishpond.RoleCountyOfficer, Counties: []string{"999999"}, Password: "longenough"},
			{Name: "short", Role: fishpond.RoleAdmin, Password: "123"},
			{Name: "who", Role: "wizard", Password: "longenough"},
			{Name: "hh1", Role: fishpond.RoleHousehold, Password: "longenough"},
		}
		for _, in := range bad {
			if _, err := s.CreateUser(ctx, fishpond.System, in); fishpond.Code(err) != fishpond.EInvalid {
				t.Errorf("CreateUser(%+v) = %v, want invalid", in, err)
			}
		}
		officer, err := s.CreateUser(ctx, fishpond.System, access.NewUser{Name: "officer1", DisplayName: "张干部", Role: fishpond.RoleCountyOfficer, Counties: []string{"622621"}, Password: "correct horse"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateUser(ctx, fishpond.System, access.NewUser{Name: "officer1", Role: fishpond.RoleAdmin, Password: "longenough"}); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("duplicate name = %v, want conflict", err)
		}
		if _, err := s.CreateUser(ctx, officer.Principal(), access.NewUser{Name: "sneaky", Role: fishpond.RoleAdmin, Password: "longenough"}); fishpond.Code(err) != fishpond.EForbidden {
			t.Fatalf("officer creating a user = %v, want forbidden", err)
		}

		if _, _, err := s.Login(ctx, "officer1", "wrong password", "1.2.3.4"); fishpond.Code(err) != fishpond.EUnauthorized {
			t.Fatalf("wrong password = %v", err)
		}
		u, tok, err := s.Login(ctx, "officer1", "correct horse", "1.2.3.4")
		if err != nil || u.ID != officer.ID {
			t.Fatalf("login: %v", err)
		}
		got, err := s.Session(ctx, tok)
		if err != nil || got.Principal().CanSeeCounty("622621") != true || got.Principal().CanSeeCounty("110101") {
			t.Fatalf("session user %+v, %v", got, err)
		}
		c.t = c.t.Add(13 * time.Hour)
		if _, err := s.Session(ctx, tok); fishpond.Code(err) != fishpond.EUnauthorized {
			t.Fatalf("expired session accepted: %v", err)
		}

		plain, token, err := s.CreateToken(ctx, fishpond.System, "officer1", "script", 0)
		if err != nil {
			t.Fatal(err)
		}
		if tu, err := s.TokenUser(ctx, plain); err != nil || tu.ID != officer.ID {
			t.Fatalf("token user: %v", err)
		}
		if _, err := s.TokenUser(ctx, plain+"x"); fishpond.Code(err) != fishpond.EUnauthorized {
			t.Fatalf("altered token accepted")
		}
		if err := s.RevokeToken(ctx, officer.Principal(), token.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TokenUser(ctx, plain); fishpond.Code(err) != fishpond.EUnauthorized {
			t.Fatalf("revoked token accepted")
		}
		var stored int
		d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM api_tokens WHERE token_hash = ?", plain).Scan(&stored)
		if stored != 0 {
			t.Fatal("token stored in plain text")
		}
		if err := s.SetDisabled(ctx, fishpond.System, officer.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Login(ctx, "officer1", "correct horse", "1.2.3.5"); fishpond.Code(err) != fishpond.EUnauthorized {
			t.Fatalf("disabled user logged in: %v", err)
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	c := &clock{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := access.New(d, c)
	if _, err := s.CreateUser(ctx, fishpond.System, access.NewUser{Name: "admin", Role: fishpond.RoleAdmin, Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		s.Login(ctx, "admin", "guess", "9.9.9.9")
	}
	if _, _, err := s.Login(ctx, "admin", "correct horse", "9.9.9.9"); fishpond.Code(err) != fishpond.ERateLimited {
		t.Fatalf("6th attempt = %v, want rate_limited even with the right password", err)
	}
	c.t = c.t.Add(16 * time.Minute)
	if _, _, err := s.Login(ctx, "admin", "correct horse", "9.9.9.9"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestSignUpConsumer(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	s := access.New(d, &clock{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	u, err := s.SignUpConsumer(ctx, "buyer1", "买家", "long enough", "5.5.5.5")
	if err != nil || u.Role != fishpond.RoleConsumer {
		t.Fatalf("sign-up: %+v %v", u, err)
	}
	if _, err := s.SignUpConsumer(ctx, "buyer1", "", "long enough", "5.5.5.6"); fishpond.Code(err) != fishpond.EConflict {
		t.Fatalf("duplicate name = %v", err)
	}
	if _, err := s.SignUpConsumer(ctx, "b2", "", "short", "5.5.5.6"); fishpond.Code(err) != fishpond.EInvalid {
		t.Fatalf("bad input = %v", err)
	}
	for i := 0; i < 4; i++ {
		s.SignUpConsumer(ctx, "buyer-x"+string(rune('a'+i)), "", "long enough", "5.5.5.5")
	}
	if _, err := s.SignUpConsumer(ctx, "buyer-z", "", "long enough", "5.5.5.5"); fishpond.Code(err) != fishpond.ERateLimited {
		t.Fatalf("sixth sign-up from one address = %v", err)
	}
}

func TestCreateConsumersInBulk(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := access.New(d, &clock{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
		names := []string{"bulk-1", "bulk-2", "bulk-3"}
		if _, err := s.CreateConsumers(ctx, fishpond.Principal{Role: fishpond.RoleCountyOfficer}, names, "", "long enough"); fishpond.Code(err) != fishpond.EForbidden {
			t.Fatalf("officer bulk-creating users = %v", err)
		}
		if _, err := s.CreateConsumers(ctx, fishpond.System, []string{"ok-name", "x"}, "", "long enough"); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("a bad name in the batch = %v", err)
		}
		if n, err := s.CreateConsumers(ctx, fishpond.System, names, "买家 ", "long enough"); err != nil || n != 3 {
			t.Fatalf("created %d, %v", n, err)
		}
		if n, err := s.CreateConsumers(ctx, fishpond.System, append(names, "bulk-4"), "买家 ", "long enough"); err != nil || n != 1 {
			t.Fatalf("second batch created %d (want only the new one), %v", n, err)
		}
		if _, _, err := s.Login(ctx, "bulk-4", "long enough", "7.7.7.7"); err != nil {
			t.Fatalf("a bulk-created consumer cannot log in: %v", err)
		}
	})
}
