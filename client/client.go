// Package client is the Go client of Fishpond's JSON API (/api/v1). It depends
// on the standard library only, so partner organisations can vendor it; other
// languages can generate a client from /api/openapi.json.
//
//	c := client.New("https://fishpond.example.org", os.Getenv("FISHPOND_KEY"))
//	st, err := c.CountyStats(ctx, "130624")
//
// Errors from the server are *client.Error with the HTTP status, the error code
// (invalid, not_found, conflict, forbidden, unauthorized, rate_limited,
// too_large, internal), the message and per-field details.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls one Fishpond server with one bearer token: a user's API token
// (fpt_…) or a partner organisation's API key (fpk_…).
type Client struct {
	BaseURL string
	Token   string
	HTTP    *http.Client
	// Rate is the rate-limit state the server reported on the last answer
	// (partner keys only).
	Rate RateLimit
}

// RateLimit is what the RateLimit-* headers said.
type RateLimit struct {
	Limit, Remaining int
	Reset            time.Duration
}

// New returns a client for the server at baseURL.
func New(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Error is an error answer of the API.
type Error struct {
	Status     int               `json:"-"`
	Code       string            `json:"code"`
	Message    string            `json:"message"`
	Fields     map[string]string `json:"fields,omitempty"`
	RequestID  string            `json:"request_id,omitempty"`
	RetryAfter time.Duration     `json:"-"`
}

func (e *Error) Error() string {
	s := fmt.Sprintf("fishpond: %d %s: %s", e.Status, e.Code, e.Message)
	for k, v := range e.Fields {
		s += fmt.Sprintf("; %s: %s", k, v)
	}
	return s
}

// Do sends a request with a JSON body (in, may be nil) and decodes a JSON answer
// into out (may be nil). Typed methods below cover the common calls; Do reaches
// any endpoint of the OpenAPI document.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if v := resp.Header.Get("RateLimit-Limit"); v != "" {
		c.Rate.Limit, _ = strconv.Atoi(v)
		c.Rate.Remaining, _ = strconv.Atoi(resp.Header.Get("RateLimit-Remaining"))
		secs, _ := strconv.Atoi(resp.Header.Get("RateLimit-Reset"))
		c.Rate.Reset = time.Duration(secs) * time.Second
	}
	if resp.StatusCode >= 300 {
		var env struct {
			Error Error `json:"error"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, &env) != nil || env.Error.Code == "" {
			env.Error = Error{Code: "http", Message: strings.TrimSpace(string(b))}
		}
		env.Error.Status = resp.StatusCode
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
			env.Error.RetryAfter = time.Duration(s) * time.Second
		}
		return &env.Error
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func esc(s string) string { return url.PathEscape(s) }

// Page is the envelope of list endpoints.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// User is the caller as the server sees it (GET /api/v1/me).
type User struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	DisplayName string   `json:"display_name"`
	Role        string   `json:"role"`
	Counties    []string `json:"counties,omitempty"`
}

// Me returns who the token authenticates as.
func (c *Client) Me(ctx context.Context) (User, error) {
	var u User
	return u, c.Do(ctx, "GET", "/api/v1/me", nil, &u)
}

// County is one county of the divisions.
type County struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	ProvinceCode string `json:"province_code"`
	ProvinceName string `json:"province_name"`
	Poverty      bool   `json:"poverty_county"`
	Region       string `json:"region"`
	ExitYear     int    `json:"exit_year,omitempty"`
}

// County returns one county.
func (c *Client) County(ctx context.Context, code string) (County, error) {
	var out County
	return out, c.Do(ctx, "GET", "/api/v1/counties/"+esc(code), nil, &out)
}

// CountyStats are a county's aggregated registry figures.
type CountyStats struct {
	CountyCode string         `json:"county_code"`
	Households int            `json:"households"`
	People     int            `json:"people"`
	Villages   int            `json:"villages"`
	ByStatus   map[string]int `json:"by_status"`
	ByCause    map[string]int `json:"by_cause"`
}

// CountyStats returns a county's aggregated registry figures (scope
// read:aggregates for partner keys).
func (c *Client) CountyStats(ctx context.Context, code string) (CountyStats, error) {
	var out CountyStats
	return out, c.Do(ctx, "GET", "/api/v1/counties/"+esc(code)+"/stats", nil, &out)
}

// CountyAssessment is a county's poverty assessment for a year.
type CountyAssessment struct {
	CountyCode           string         `json:"county_code"`
	Year                 int            `json:"year"`
	RegisteredHouseholds int            `json:"registered_households"`
	HouseholdsByStatus   map[string]int `json:"households_by_status"`
	Incidence            struct {
		Numerator   int64   `json:"numerator"`
		Denominator int64   `json:"denominator"`
		Percent     float64 `json:"percent"`
		Measured    bool    `json:"measured"`
	} `json:"incidence"`
	EligibleToExit bool   `json:"eligible_to_exit"`
	Verdict        string `json:"verdict"`
}

// CountyAssessment returns a county's assessment for a year (scope
// read:aggregates for partner keys).
func (c *Client) CountyAssessment(ctx context.Context, code string, year int) (CountyAssessment, error) {
	var out CountyAssessment
	return out, c.Do(ctx, "GET", "/api/v1/counties/"+esc(code)+"/assessment?year="+strconv.Itoa(year), nil, &out)
}
