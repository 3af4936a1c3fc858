package web

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"fishpond"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// decodeJSON reads a bounded JSON body, rejecting unknown fields so a typo in a
// field name is an error rather than a silently ignored value.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fishpond.Errorf(fishpond.EInvalid, "request body is not valid JSON for this endpoint: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// page is the envelope of every list endpoint.
type listPage[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// limitParam reads ?limit= (default 50, at most 500).
func limitParam(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 500 {
		return 0, fishpond.Invalid("bad limit", map[string]string{"limit": "must be a whole number from 1 to 500"})
	}
	return n, nil
}

// boolParam reads an optional true/false query parameter.
func boolParam(r *http.Request, name string) (*bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, fishpond.Invalid("bad "+name, map[string]string{name: "must be true or false"})
	}
	return &b, nil
}
