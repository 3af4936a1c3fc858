package web

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/fund"
)

// The fund's JSON API: funds and allocations, disbursements with the four-eyes
// rule and documents, programmes, enrolments, placements and pay, home visits,
// specialists, volunteer hours and the report metrics. The capability's types
// carry their JSON names, so handlers only parse and call.
func init() {
	capabilityAPIs = append(capabilityAPIs, func(s *Server) []apiRoute {
		return []apiRoute{
			{"GET", "/api/v1/funds", s.apiFunds},
			{"POST", "/api/v1/funds", s.apiCreateFund},
			{"GET", "/api/v1/funds/{id}", s.apiFund},
			{"POST", "/api/v1/funds/{id}/allocations", s.apiAllocate},
			{"PUT", "/api/v1/funds/{id}/four-eyes", s.apiSetFourEyes},
			{"GET", "/api/v1/disbursements", s.apiDisbursements},
			{"POST", "/api/v1/disbursements", s.apiRequestDisbursement},
			{"POST", "/api/v1/disbursements/{id}/approve", s.apiApproveDisbursement},
			{"POST", "/api/v1/disbursements/{id}/reject", s.apiRejectDisbursement},
			{"GET", "/api/v1/disbursements/{id}/documents", s.apiDocuments},
			{"POST", "/api/v1/disbursements/{id}/documents", s.apiAttachDocument},
			{"GET", "/api/v1/programmes", s.apiProgrammes},
			{"POST", "/api/v1/programmes", s.apiCreateProgramme},
			{"GET", "/api/v1/programmes/{id}", s.apiProgramme},
			{"GET", "/api/v1/programmes/{id}/enrolments", s.apiEnrolments},
			{"POST", "/api/v1/programmes/{id}/enrolments", s.apiEnrol},
			{"POST", "/api/v1/enrolments/{id}/progress", s.apiProgress},
			{"POST", "/api/v1/enrolments/{id}/placements", s.apiPlace},
			{"POST", "/api/v1/enrolments/{id}/piece-pay", s.apiPayPiece},
			{"POST", "/api/v1/placements/{id}/wages", s.apiPayWage},
			{"POST", "/api/v1/placements/{id}/end", s.apiEndPlacement},
			{"POST", "/api/v1/visits", s.apiLogVisit},
			{"GET", "/api/v1/households/{id}/programmes", s.apiHouseholdProgrammes},
			{"GET", "/api/v1/specialists", s.apiSpecialists},
			{"POST", "/api/v1/specialists", s.apiPostSpecialist},
			{"POST", "/api/v1/specialists/{id}/reports", s.apiSpecialistReport},
			{"GET", "/api/v1/volunteer-hours", s.apiVolunteers},
			{"POST", "/api/v1/volunteer-hours", s.apiLogVolunteer},
			{"GET", "/api/v1/fund-metrics", s.apiFundMetrics},
		}
	})
}

// created answers 201 for a new record and 200 for an idempotent replay.
func created(w http.ResponseWriter, replayed bool, v any) {
	if replayed {
		writeJSON(w, http.StatusOK, v)
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) apiFunds(w http.ResponseWriter, r *http.Request, u access.User) error {
	fs, err := s.Fund.Funds(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPage[fund.Fund]{Items: orEmpty(fs)})
	return nil
}

func (s *Server) apiCreateFund(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in fund.FundInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.IdempotencyKey == "" {
		in.IdempotencyKey = r.Header.Get("Idempotency-Key")
	}
	f, err := s.Fund.CreateFund(r.Context(), u.Principal(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, f)
	return nil
}

func (s *Server) apiFund(w http.ResponseWriter, r *http.Request, u access.User) error {
	f, err := s.Fund.Fund(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	as, err := s.Fund.Allocations(r.Context(), u.Principal(), f.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"fund": f, "allocations": orEmpty(as)})
	return nil
}

func (s *Server) apiAllocate(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in fund.AllocationInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	in.FundID = r.PathValue("id")
	a, err := s.Fund.Allocate(r.Context(), u.Principal(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) apiSetFourEyes(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		AboveFen int64 `json:"four_eyes_above_fen"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	f, err := s.Fund.SetFourEyes(r.Context(), u.Principal(), r.PathValue("id"), fishpond.Money(in.AboveFen))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) apiDisbursements(w http.ResponseWriter, r *http.Request, u access.User) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	ds, err := s.Fund.Disbursements(r.Context(), u.Principal(), fund.DisbursementFilter{FundID: q.Get("fund"), Status: q.Get("status"),
		HouseholdID: q.Get("household"), ProgrammeID: q.Get("programme"), Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPage[fund.Disbursement]{Items: orEmpty(ds)})
	return nil
}

func (s *Server) apiRequestDisbursement(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in fund.DisbursementInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.IdempotencyKey == "" {
		in.IdempotencyKey = r.Header.Get("Idempotency-Key")
	}
	d, err := s.Fund.RequestDisbursement(r.Context(), u.Principal(), in)
	if err != nil {
		return err
	}
	created(w, d.Replayed, d)
	return nil
}

func (s *Server) apiApproveDisbursement(w http.ResponseWriter, r *http.Request, u access.User) error {
	d, err := s.Fund.ApproveDisbursement(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiRejectDisbursement(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.Fund.RejectDisbursement(r.Context(), u.Principal(), r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiDocuments(w http.ResponseWriter, r *http.Request, u access.User) error {
	ds, err := s.Fund.Documents(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPage[fund.Document]{Items: orEmpty(ds)})
	return nil
}

// apiAttachDocument takes the file as the raw request body and its name from
// ?filename=, so scripts can upload with a plain `curl --data-binary @file`.
func (s *Server) apiAttachDocument(w http.ResponseWriter, r *http.Request, u access.User) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, fund.MaxDocument+1))
	if err != nil {
		return fishpond.Invalid("could not read the file", map[string]string{"file": "upload interrupted"})
	}
	d, err := s.Fund.AttachDocument(r.Context(), u.Principal(), r.PathValue("id"), r.URL.Query().Get("filename"), body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) apiProgrammes(w http.ResponseWriter, r *http.Request, u access.User) error {
	ps, err := s.Fund.Programmes(r.Context(), u.Principal(), r.URL.Query().Get("fund"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPage[fund.Programme]{Items: orEmpty(ps)})
	return nil
}

func (s *Server) apiCreateProgramme(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in fund.ProgrammeInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.Fund.CreateProgramme(r.Context(), u.Principal(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) apiProgramme(w http.ResponseWriter, r *http.Request, u access.User) error {
	p, err := s.Fund.Programme(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	o, err := s.Fund.ProgrammeOutcome(r.Context(), u.Principal(), p.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"programme": p, "outcome": o})
	return nil
}

func (s *Server) apiEnrolments(w http.ResponseWriter, r *http.Request, u access.User) error {
	es, err := s.Fund.Enrolments(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPage[fund.Enrolment]{Items: orEmpty(es)})
	return nil
}

func (s *Server) apiEnrol(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in fund.EnrolInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	in.ProgrammeID = r.PathValue("id")
	e, err := s.Fund.Enrol(r.Context(), u.Principal(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) apiProgress(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Status      string `json:"status"`
		Certificate string `json:"certificate"`
		On          string `json:"on"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	e, err := s.Fund.Progress(r.Context(), u.Principal(), r.PathValue("id"), in.Status, in.Certificate, in.On)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) apiPlace(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in fund.PlaceInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	in.EnrolmentID = r.PathValue("id")
	p, err := s.Fund.Place(r.Context(), u.Principal(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) apiPayPiece(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Month string `json:"month"`
		Units int64  `json:"units"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.Fund.PayPiece(r.Context(), u.Principal(), r.PathValue("id"), in.Month, in.Units)
	if err != nil {
		return err
	}
	created(w, p.Replayed, p)
	return nil
}

func (s *Server) apiPayWage(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Month string `json:"month"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.Fund.PayWage(r.Context(), u.Principal(), r.PathValue("id"), in.Month)
	if err != nil {
		return err
	}
	created(w, p.Replayed, p)
	return nil
}

func (s *Server) apiEndPlacement(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		EndsOn string `json:"ends_on"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.Fund.EndPlacement(r.Context(), u.Principal(), r.PathValue("id"), in.EndsOn)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiLogVisit(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in fund.VisitInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	v, err := s.Fund.LogVisit(r.Context(), u.Principal(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) apiHouseholdProgrammes(w http.ResponseWriter, r *http.Request, u access.User) error {
	h, err := s.Fund.HouseholdProgrammes(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (s *Server) apiSpecialists(w http.ResponseWriter, r *http.Request, u access.User) error {
	sp, err := s.Fund.Specialists(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPage[fund.Specialist]{Items: orEmpty(sp)})
	return nil
}

func (s *Server) apiPostSpecialist(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in fund.SpecialistInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sp, err := s.Fund.PostSpecialist(r.Context(), u.Principal(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sp)
	return nil
}

func (s *Server) apiSpecialistReport(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		On      string `json:"on"`
		Summary string `json:"summary"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.Fund.ReportVisit(r.Context(), u.Principal(), r.PathValue("id"), in.On, in.Summary); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"status": "recorded"})
	return nil
}

func (s *Server) apiVolunteers(w http.ResponseWriter, r *http.Request, u access.User) error {
	year := time.Now().In(fishpond.ChinaTime).Year()
	if y := r.URL.Query().Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil {
			return fishpond.Invalid("bad year", map[string]string{"year": "a year such as 2020"})
		}
		year = n
	}
	v, err := s.Fund.Volunteers(r.Context(), u.Principal(), year)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) apiLogVolunteer(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in fund.VolunteerInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.IdempotencyKey == "" {
		in.IdempotencyKey = r.Header.Get("Idempotency-Key")
	}
	v, err := s.Fund.LogVolunteer(r.Context(), u.Principal(), in)
	if err != nil {
		return err
	}
	created(w, v.Replayed, v)
	return nil
}

// apiFundMetrics answers for a half-year ?period=2020H1, or for ?from=&to= dates.
func (s *Server) apiFundMetrics(w http.ResponseWriter, r *http.Request, u access.User) error {
	q := r.URL.Query()
	var m fund.Metrics
	var err error
	if p := q.Get("period"); p != "" {
		period, perr := fishpond.ParsePeriod(p)
		if perr != nil {
			return fishpond.Invalid("bad period", map[string]string{"period": perr.Error()})
		}
		m, err = s.Fund.PeriodMetrics(r.Context(), u.Principal(), period)
	} else {
		m, err = s.Fund.Metrics(r.Context(), u.Principal(), q.Get("from"), q.Get("to"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// orEmpty makes a nil list marshal as [] rather than null.
func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
