package web

import (
	"net/http"

	"fishpond"
	"fishpond/access"
)

var errNoRoute = fishpond.Errorf(fishpond.ENotFound, "no such page or endpoint / 页面不存在")

// DemoLogins, when set (by `fishpond demo`), are listed on the login page so a
// visitor can try each role. Never set in production.
var DemoLogins []DemoLogin

// DemoLogin is a demo account shown on the login page.
type DemoLogin struct{ Name, Password, Role, Note string }

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "login")
	v.Data = map[string]any{"Next": safeNext(r.URL.Query().Get("next")), "Demo": DemoLogins}
	s.render(w, r, http.StatusOK, "login", v)
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	name, pass, next := r.FormValue("name"), r.FormValue("password"), safeNext(r.FormValue("next"))
	_, tok, err := s.Access.Login(r.Context(), name, pass, clientIP(r))
	if err != nil {
		e := asError(err)
		s.logError(r, e)
		v := s.view(r, "login")
		v.Data = map[string]any{"Next": next, "Demo": DemoLogins, "Error": e.Message, "Name": name}
		s.render(w, r, statusOf[e.Code], "login", v)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, Secure: s.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.Access.SessionTTL.Seconds())})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.Access.Logout(r.Context(), c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// homePage sends each role where its work is.
func (s *Server) homePage(w http.ResponseWriter, r *http.Request, u access.User) error {
	switch {
	case u.Role == fishpond.RoleHousehold && u.HouseholdID != "":
		http.Redirect(w, r, "/households/"+u.HouseholdID, http.StatusSeeOther)
	case u.Role == fishpond.RoleFundAdmin && s.Fund != nil:
		http.Redirect(w, r, "/fund", http.StatusSeeOther)
	case u.Role == fishpond.RoleConsumer:
		http.Redirect(w, r, "/shop", http.StatusSeeOther)
	case u.Role == fishpond.RolePartner && s.Partners != nil:
		http.Redirect(w, r, "/partner", http.StatusSeeOther)
	case len(u.Counties) == 1:
		http.Redirect(w, r, "/counties/"+u.Counties[0], http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/counties?poverty=true", http.StatusSeeOther)
	}
	return nil
}

func (s *Server) signupPage(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "signup")
	v.Data = map[string]any{}
	s.render(w, r, http.StatusOK, "signup", v)
}

// signupSubmit opens a consumer account and logs it in, so a visitor can go from a
// product page to checkout without an administrator.
func (s *Server) signupSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	name, display, pass := r.FormValue("name"), r.FormValue("display_name"), r.FormValue("password")
	_, err := s.Access.SignUpConsumer(r.Context(), name, display, pass, clientIP(r))
	if err == nil {
		var tok string
		_, tok, err = s.Access.Login(r.Context(), name, pass, clientIP(r))
		if err == nil {
			http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, Secure: s.SecureCookies,
				SameSite: http.SameSiteLaxMode, MaxAge: int(s.Access.SessionTTL.Seconds())})
			http.Redirect(w, r, "/shop", http.StatusSeeOther)
			return
		}
	}
	e := asError(err)
	s.logError(r, e)
	v := s.view(r, "signup")
	v.Data = map[string]any{"Error": e, "Name": name, "DisplayName": display}
	s.render(w, r, statusOf[e.Code], "signup", v)
}
