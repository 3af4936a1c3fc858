package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"fishpond"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// maxJSONBody bounds every JSON request body.
const maxJSONBody = 1 << 20

// decodeJSON reads a bounded JSON body, rejecting unknown fields so a typo in a
// field name is an error rather than a silently ignored value. A body over the
// bound is refused as too large rather than cut and misread.
func decodeJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	if err != nil {
		return fishpond.Errorf(fishpond.EInvalid, "request body could not be read: %v", err)
	}
	if len(b) > maxJSONBody {
		return fishpond.Errorf(fishpond.ETooLarge, "request body is over %d bytes / 请求体过大", maxJSONBody)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
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

// writeCreated answers a create that carries an idempotency key: 201 with what
// was made, or 200 with the first result when the key was seen before.
func writeCreated(w http.ResponseWriter, replayed bool, v any) {
	status := http.StatusCreated
	if replayed {
		status = http.StatusOK
	}
	writeJSON(w, status, v)
}

// writeItems answers a list endpoint with every item converted by to, in the
// envelope of listPage (an empty list is [], never null).
func writeItems[T, J any](w http.ResponseWriter, items []T, to func(T) J) {
	out := listPage[J]{Items: make([]J, 0, len(items))}
	for _, it := range items {
		out.Items = append(out.Items, to(it))
	}
	writeJSON(w, http.StatusOK, out)
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
