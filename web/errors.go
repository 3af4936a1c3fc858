package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"fishpond"
)

// statusOf is the one table that maps error codes to HTTP statuses.
var statusOf = map[fishpond.ErrorCode]int{
	fishpond.EInvalid:      http.StatusBadRequest,
	fishpond.ENotFound:     http.StatusNotFound,
	fishpond.EConflict:     http.StatusConflict,
	fishpond.EForbidden:    http.StatusForbidden,
	fishpond.EUnauthorized: http.StatusUnauthorized,
	fishpond.ERateLimited:  http.StatusTooManyRequests,
	fishpond.ETooLarge:     http.StatusRequestEntityTooLarge,
	fishpond.EInternal:     http.StatusInternalServerError,
}

// asError converts any error to a *fishpond.Error; foreign errors become internal,
// so their text is logged but never shown.
func asError(err error) *fishpond.Error {
	var fe *fishpond.Error
	if errors.As(err, &fe) {
		return fe
	}
	return fishpond.Internal(err)
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      fishpond.ErrorCode `json:"code"`
	Message   string             `json:"message"`
	Fields    map[string]string  `json:"fields,omitempty"`
	RequestID string             `json:"request_id,omitempty"`
}

// logError records internal errors with the request id; user mistakes are not errors.
func (s *Server) logError(r *http.Request, e *fishpond.Error) {
	if e.Code == fishpond.EInternal {
		s.Log.Error("request failed", "request_id", requestID(r), "method", r.Method, "route", r.Pattern, "err", e.Error())
	}
}

// apiError writes the JSON error shape of DESIGN.md.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	s.logError(r, e)
	d := errorDetail{Code: e.Code, Message: e.Message, Fields: e.Fields}
	if e.Code == fishpond.EInternal {
		d.RequestID = requestID(r)
	}
	writeJSON(w, statusOf[e.Code], errorBody{d})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		slog.Default().Warn("write json", "err", err)
	}
}

// pageError renders an error page in the user's language.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	s.logError(r, e)
	if e.Code == fishpond.EUnauthorized {
		http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	v := s.view(r, "error")
	v.Data = map[string]any{"Code": e.Code, "Message": e.Message, "Fields": e.Fields, "RequestID": requestID(r), "Status": statusOf[e.Code]}
	s.render(w, r, statusOf[e.Code], "error", v)
}
