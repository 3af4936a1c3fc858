package web

import (
	"net/http"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
)

type userJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name"`
	Role        string    `json:"role"`
	Counties    []string  `json:"counties,omitempty"`
	HouseholdID string    `json:"household_id,omitempty"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
}

func toUser(u access.User) userJSON {
	return userJSON{u.ID, u.Name, u.DisplayName, string(u.Role), u.Counties, u.HouseholdID, u.Disabled, u.CreatedAt}
}

type tokenJSON struct {
	ID         string     `json:"id"`
	Label      string     `json:"label"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Token      string     `json:"token,omitempty"` // only in the creation response
}

func toToken(t access.Token) tokenJSON {
	return tokenJSON{ID: t.ID, Label: t.Label, Prefix: t.Prefix, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, u access.User) error {
	writeJSON(w, http.StatusOK, toUser(u))
	return nil
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request, u access.User) error {
	us, err := s.Access.Users(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	out := make([]userJSON, 0, len(us))
	for _, x := range us {
		out = append(out, toUser(x))
	}
	writeJSON(w, http.StatusOK, listPage[userJSON]{Items: out})
	return nil
}

func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Name        string   `json:"name"`
		DisplayName string   `json:"display_name"`
		Role        string   `json:"role"`
		Counties    []string `json:"counties"`
		HouseholdID string   `json:"household_id"`
		Password    string   `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	nu, err := s.Access.CreateUser(r.Context(), u.Principal(), access.NewUser{Name: in.Name, DisplayName: in.DisplayName,
		Role: fishpond.Role(in.Role), Counties: in.Counties, HouseholdID: in.HouseholdID, Password: in.Password})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toUser(nu))
	return nil
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request, u access.User) error {
	ts, err := s.Access.Tokens(r.Context(), u.Principal(), u.ID)
	if err != nil {
		return err
	}
	out := make([]tokenJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, toToken(t))
	}
	writeJSON(w, http.StatusOK, listPage[tokenJSON]{Items: out})
	return nil
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Label    string `json:"label"`
		TTLHours int    `json:"ttl_hours"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.TTLHours < 0 || in.TTLHours > 24*366*5 {
		return fishpond.Invalid("bad ttl_hours", map[string]string{"ttl_hours": "0 (no expiry) to 43920 hours"})
	}
	plain, t, err := s.Access.CreateToken(r.Context(), u.Principal(), u.Name, strings.TrimSpace(in.Label), time.Duration(in.TTLHours)*time.Hour)
	if err != nil {
		return err
	}
	out := toToken(t)
	out.Token = plain
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.Access.RevokeToken(r.Context(), u.Principal(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
