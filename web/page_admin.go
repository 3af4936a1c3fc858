package web

import (
	"net/http"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
)

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderUsers(w, r, u, http.StatusOK, nil, nil)
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error, form map[string]string) error {
	us, err := s.Access.Users(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	v := s.view(r, "users")
	v.Title = translate(v.Lang, "Users")
	v.Data = map[string]any{"Users": us, "Roles": fishpond.Roles, "Error": formErr, "Form": form}
	s.render(w, r, status, "users", v)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == ' ' }) {
		out = append(out, f)
	}
	return out
}

func (s *Server) usersSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	form := map[string]string{"name": r.FormValue("name"), "display_name": r.FormValue("display_name"), "role": r.FormValue("role"),
		"counties": r.FormValue("counties"), "household_id": r.FormValue("household_id")}
	_, err := s.Access.CreateUser(r.Context(), u.Principal(), access.NewUser{Name: form["name"], DisplayName: form["display_name"],
		Role: fishpond.Role(form["role"]), Counties: splitList(form["counties"]), HouseholdID: strings.TrimSpace(form["household_id"]), Password: r.FormValue("password")})
	if err != nil {
		e := asError(err)
		if e.Code == fishpond.EForbidden {
			return err
		}
		return s.renderUsers(w, r, u, statusOf[e.Code], e, form)
	}
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	return nil
}

func (s *Server) userDisableSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.Access.SetDisabled(r.Context(), u.Principal(), r.PathValue("id"), r.FormValue("disabled") == "true"); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	return nil
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderTokens(w, r, u, "", nil)
}

func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, u access.User, fresh string, formErr *fishpond.Error) error {
	ts, err := s.Access.Tokens(r.Context(), u.Principal(), u.ID)
	if err != nil {
		return err
	}
	v := s.view(r, "tokens")
	v.Title = translate(v.Lang, "API tokens")
	v.Data = map[string]any{"Tokens": ts, "Fresh": fresh, "Error": formErr}
	status := http.StatusOK
	if formErr != nil {
		status = statusOf[formErr.Code]
	}
	s.render(w, r, status, "tokens", v)
	return nil
}

func (s *Server) tokensSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	plain, _, err := s.Access.CreateToken(r.Context(), u.Principal(), u.Name, r.FormValue("label"), 90*24*time.Hour)
	if err != nil {
		return s.renderTokens(w, r, u, "", asError(err))
	}
	// The secret is rendered once, in this response, and never again.
	return s.renderTokens(w, r, u, plain, nil)
}

func (s *Server) tokenRevokeSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.Access.RevokeToken(r.Context(), u.Principal(), r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/tokens", http.StatusSeeOther)
	return nil
}
