package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"fishpond/internal/dbtest"
)

// TestUsersAndTokensPages: an admin adds a user (bad input is shown, not stored);
// the new user creates a token, sees it once, uses it, and revokes it.
func TestUsersAndTokensPages(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	admin := login(t, f.srv.URL, "admin", "password-admin")
	status, body := page(t, admin, "POST", f.srv.URL+"/admin/users", url.Values{"name": {"new.officer"}, "role": {"county_officer"}, "counties": {"999999"}, "password": {"long enough"}})
	if status != 400 || !strings.Contains(body, "999999") {
		t.Fatalf("officer with an unknown county: %d", status)
	}
	if _, body = page(t, admin, "GET", f.srv.URL+"/admin/users", nil); strings.Contains(body, "new.officer") {
		t.Fatal("a rejected user was stored")
	}
	status, body = page(t, admin, "POST", f.srv.URL+"/admin/users", url.Values{"name": {"new.officer"}, "display_name": {"新干部"}, "role": {"county_officer"}, "counties": {countyA}, "password": {"long enough"}})
	if status != 200 || !strings.Contains(body, "新干部") {
		t.Fatalf("add user: %d", status)
	}
	off := login(t, f.srv.URL, "new.officer", "long enough")
	if status, _ := page(t, off, "GET", f.srv.URL+"/households/"+f.hhA.ID, nil); status != 200 {
		t.Fatalf("new officer opening a household of their county: %d", status)
	}
	status, body = page(t, off, "POST", f.srv.URL+"/tokens", url.Values{"label": {"夜间导入"}})
	tok := regexp.MustCompile(`<code class="token">(fpt_[a-z0-9]+)</code>`).FindStringSubmatch(body)
	if status != 200 || tok == nil {
		t.Fatalf("token page did not show the new token once: %d", status)
	}
	if _, body = page(t, off, "GET", f.srv.URL+"/tokens", nil); strings.Contains(body, tok[1]) {
		t.Fatal("the token secret is shown again")
	}
	f.tokens["new.officer"] = tok[1]
	if status, _ := f.do("new.officer", "GET", "/api/v1/me", nil); status != 200 {
		t.Fatalf("the new token does not work: %d", status)
	}
	rid := regexp.MustCompile(`action="/tokens/([^"]+)/revoke"`).FindStringSubmatch(body)
	if rid == nil {
		t.Fatal("no revoke button")
	}
	page(t, off, "POST", f.srv.URL+"/tokens/"+rid[1]+"/revoke", nil)
	if status, _ := f.do("new.officer", "GET", "/api/v1/me", nil); status != 401 {
		t.Fatalf("a revoked token still works: %d", status)
	}
}
