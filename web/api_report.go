package web

import (
	"net/http"
	"time"

	"fishpond/access"
	"fishpond/report"
)

// The open-data API: no authentication (the api wrapper lets /api/v1/open/
// through anonymously), public reports only: small cells suppressed, no personal data.
func init() {
	capabilityAPIs = append(capabilityAPIs, func(s *Server) []apiRoute {
		return []apiRoute{
			{"GET", "/api/v1/open/metrics", s.apiOpenMetrics},
			{"GET", "/api/v1/open/reports", s.apiOpenReports},
			{"GET", "/api/v1/open/reports/{period}", s.apiOpenReport},
		}
	})
}

type metricJSON struct {
	ID         string `json:"id"`
	NameZh     string `json:"name_zh"`
	NameEn     string `json:"name_en"`
	Unit       string `json:"unit"`
	DefZh      string `json:"definition_zh"`
	DefEn      string `json:"definition_en"`
	Source     string `json:"source"`
	Capability string `json:"capability"`
	Measured   bool   `json:"measured"`
}

func (s *Server) apiOpenMetrics(w http.ResponseWriter, r *http.Request, u access.User) error {
	out := []metricJSON{}
	for _, m := range report.Catalogue {
		out = append(out, metricJSON{m.ID, m.NameZh, m.NameEn, m.Unit, m.DefZh, m.DefEn, m.Source, m.Capability, m.Measured()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"metrics": out})
	return nil
}

func (s *Server) apiOpenReports(w http.ResponseWriter, r *http.Request, u access.User) error {
	ps, err := report.Periods(r.Context(), s.DB.Read())
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"periods": ps})
	return nil
}

func (s *Server) apiOpenReport(w http.ResponseWriter, r *http.Request, u access.User) error {
	rg, err := report.ParseRange(r.PathValue("period"))
	if err != nil {
		return err
	}
	rep, err := report.Build(r.Context(), s.DB.Read(), rg, time.Now(), true)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep.ToJSON())
	return nil
}
