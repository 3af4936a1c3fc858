package web

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/sensing"
)

func init() {
	capabilityAPIs = append(capabilityAPIs, func(s *Server) []apiRoute {
		return []apiRoute{
			{"GET", "/api/v1/sensing/sites", s.apiSensingSites},
			{"POST", "/api/v1/sensing/sites", s.apiSensingCreateSite},
			{"GET", "/api/v1/sensing/sites/{id}", s.apiSensingSite},
			{"GET", "/api/v1/sensing/sites/{id}/devices", s.apiSensingDevices},
			{"POST", "/api/v1/sensing/sites/{id}/devices", s.apiSensingCreateDevice},
			{"POST", "/api/v1/sensing/devices/{id}/secret", s.apiSensingRotate},
			{"GET", "/api/v1/sensing/devices/{id}/readings", s.apiSensingReadings},
			{"POST", "/api/v1/sensing/readings", s.apiSensingPostReadings},
			{"GET", "/api/v1/sensing/alerts", s.apiSensingAlerts},
			{"GET", "/api/v1/sensing/rules", s.apiSensingRules},
			{"PUT", "/api/v1/sensing/rules/{id}", s.apiSensingPutRule},
			{"GET", "/api/v1/sensing/sites/{id}/forecast", s.apiSensingForecast},
			{"POST", "/api/v1/sensing/sites/{id}/seasons", s.apiSensingSeason},
			{"POST", "/api/v1/sensing/sites/{id}/barn-weeks", s.apiSensingBarnWeek},
			{"GET", "/api/v1/sensing/retention", s.apiSensingRetention},
			{"PUT", "/api/v1/sensing/retention", s.apiSensingSetRetention},
		}
	})
	capabilityPages = append(capabilityPages, func(s *Server, m *http.ServeMux) {
		// Devices authenticate with their own credentials (HTTP Basic: device id
		// and secret), not as users, so this endpoint sits outside the user API.
		m.HandleFunc("POST /sensing/ingest", s.sensingIngest)
	})
}

func (s *Server) sensingOn() error {
	if s.Sensing == nil {
		return fishpond.Errorf(fishpond.ENotFound, "sensing is not enabled on this server")
	}
	return nil
}

// sensingIngest takes one payload (the JSON forms of docs/sensing.md) from a
// device and answers after the readings are committed, with what was accepted,
// deduplicated, late or refused and why.
func (s *Server) sensingIngest(w http.ResponseWriter, r *http.Request) {
	if err := s.sensingOn(); err != nil {
		s.apiError(w, r, err)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="fishpond devices"`)
		s.apiError(w, r, fishpond.Errorf(fishpond.EUnauthorized, "device credentials required (HTTP Basic: device id and secret)"))
		return
	}
	if err := s.Sensing.Authenticate(r.Context(), id, secret); err != nil {
		s.apiError(w, r, err)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, sensing.MaxPayload+1))
	if err != nil {
		s.apiError(w, r, fishpond.Errorf(fishpond.EInvalid, "could not read the body"))
		return
	}
	res, err := s.Sensing.Ingest(r.Context(), id, body, true)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// apiSensingPostReadings takes readings from a partner organisation's platform
// (an API key with the write:sensors scope) for devices of its granted counties,
// in the device payload's JSON forms; each reading is accepted or refused with a
// reason, as from a device.
func (s *Server) apiSensingPostReadings(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, sensing.MaxPayload+1))
	if err != nil {
		return fishpond.Errorf(fishpond.EInvalid, "could not read the body")
	}
	res, err := s.Sensing.IngestFor(r.Context(), u.Principal(), body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiSensingSites(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	sites, err := s.Sensing.Sites(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPage[sensing.Site]{Items: nonNil(sites)})
	return nil
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

func (s *Server) apiSensingCreateSite(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	var in sensing.NewSite
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	st, err := s.Sensing.CreateSite(r.Context(), u.Principal(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, st)
	return nil
}

func (s *Server) apiSensingSite(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	st, err := s.Sensing.Site(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) apiSensingDevices(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	ds, err := s.Sensing.Devices(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPage[sensing.Device]{Items: nonNil(ds)})
	return nil
}

func (s *Server) apiSensingCreateDevice(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	var in sensing.NewDevice
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.Sensing.CreateDevice(r.Context(), u.Principal(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) apiSensingRotate(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	d, err := s.Sensing.RotateSecret(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// timeParam reads an RFC 3339 instant, or returns def when absent.
func timeParam(r *http.Request, name string, def time.Time) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, fishpond.Invalid("bad "+name, map[string]string{name: "an RFC 3339 instant, 2026-05-01T08:00:00+08:00"})
	}
	return t, nil
}

func (s *Server) apiSensingReadings(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	now := time.Now()
	to, err := timeParam(r, "to", now)
	if err != nil {
		return err
	}
	from, err := timeParam(r, "from", to.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	step := r.URL.Query().Get("step")
	if step == "" {
		step = "raw"
	}
	pts, err := s.Sensing.Readings(r.Context(), u.Principal(), r.PathValue("id"), r.URL.Query().Get("metric"), from, to, step)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPage[sensing.Point]{Items: nonNil(pts)})
	return nil
}

func (s *Server) apiSensingAlerts(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	open, _ := strconv.ParseBool(r.URL.Query().Get("open"))
	as, err := s.Sensing.Alerts(r.Context(), u.Principal(), sensing.AlertFilter{SiteID: r.URL.Query().Get("site"), OpenOnly: open, Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPage[sensing.Alert]{Items: nonNil(as)})
	return nil
}

func (s *Server) apiSensingRules(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	rs, err := s.Sensing.Rules(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPage[sensing.Rule]{Items: nonNil(rs)})
	return nil
}

func (s *Server) apiSensingPutRule(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	var in sensing.Rule
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	in.ID = r.PathValue("id")
	rule, err := s.Sensing.PutRule(r.Context(), u.Principal(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rule)
	return nil
}

func (s *Server) apiSensingForecast(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	st, err := s.Sensing.Site(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	var fc sensing.Forecast
	switch st.Kind {
	case "field":
		fc, err = s.Sensing.YieldForecast(r.Context(), u.Principal(), st.ID)
	case "barn":
		fc, err = s.Sensing.MortalityForecast(r.Context(), u.Principal(), st.ID)
	default:
		err = fishpond.Errorf(fishpond.ENotFound, "no forecast for hives yet / 蜂箱暂无预测")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, fc)
	return nil
}

func (s *Server) apiSensingSeason(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	var in sensing.Season
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.Sensing.RecordSeason(r.Context(), u.Principal(), r.PathValue("id"), in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiSensingBarnWeek(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	var in sensing.BarnWeek
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.Sensing.RecordBarnWeek(r.Context(), u.Principal(), r.PathValue("id"), in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiSensingRetention(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	ret, err := s.Sensing.Retention(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ret)
	return nil
}

func (s *Server) apiSensingSetRetention(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	var in sensing.Retention
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.Sensing.SetRetention(r.Context(), u.Principal(), in); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}
