package web

import (
	"net/http"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/assess"
)

type unitJSON struct {
	ID         string     `json:"id"`
	Label      string     `json:"label"`
	Finding    string     `json:"finding,omitempty"`
	Note       string     `json:"note,omitempty"`
	RecordedAt *time.Time `json:"recorded_at,omitempty"`
}

type sampleJSON struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	Scope      string     `json:"scope"`
	Year       int        `json:"year"`
	RateBp     int64      `json:"rate_bp"`
	Seed       int64      `json:"seed"`
	Population int        `json:"population"`
	Size       int        `json:"size"`
	DrawnAt    time.Time  `json:"drawn_at"`
	Units      []unitJSON `json:"units,omitempty"`
}

func toSample(s assess.Sample) sampleJSON {
	out := sampleJSON{s.ID, s.Kind, s.Scope, s.Year, int64(s.RateBp), s.Seed, s.Population, s.Size, s.DrawnAt, nil}
	for _, u := range s.Units {
		j := unitJSON{ID: u.ID, Label: u.Label, Finding: u.Finding, Note: u.Note}
		if !u.RecordedAt.IsZero() {
			t := u.RecordedAt
			j.RecordedAt = &t
		}
		out.Units = append(out.Units, j)
	}
	return out
}

type auditJSON struct {
	Sample        sampleJSON      `json:"sample"`
	Checked       int             `json:"checked"`
	Pending       int             `json:"pending"`
	WrongExits    int             `json:"wrong_exits"`
	Missed        int             `json:"missed"`
	WrongExitRate rateJSON        `json:"wrong_exit_rate"`
	MissedRate    rateJSON        `json:"missed_rate"`
	Respondents   int             `json:"respondents"`
	Approvals     int             `json:"approvals"`
	Approval      rateJSON        `json:"approval"`
	Criteria      []criterionJSON `json:"criteria"`
	Passed        bool            `json:"passed"`
}

func toAudit(a assess.AuditReport) auditJSON {
	return auditJSON{toSample(a.Sample), a.Checked, a.Pending, a.WrongExits, a.Missed, toRate(a.WrongExitRate), toRate(a.MissedRate),
		a.Respondents, a.Approvals, toRate(a.Approval), toCriteria(a.Criteria), a.Passed}
}

func (s *Server) apiAudits(w http.ResponseWriter, r *http.Request, u access.User) error {
	ss, err := s.Assessor.Samples(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	out := make([]sampleJSON, 0, len(ss))
	for _, x := range ss {
		out = append(out, toSample(x))
	}
	writeJSON(w, http.StatusOK, listPage[sampleJSON]{Items: out})
	return nil
}

func (s *Server) apiDrawSample(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Kind   string `json:"kind"`
		Scope  string `json:"scope"`
		Year   int    `json:"year"`
		RateBp int64  `json:"rate_bp"`
		Seed   int64  `json:"seed"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	smp, err := s.Assessor.DrawSample(r.Context(), u.Principal(), assess.SampleRequest{Kind: in.Kind, Scope: in.Scope, Year: in.Year, RateBp: fishpond.Bp(in.RateBp), Seed: in.Seed})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toSample(smp))
	return nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, u access.User) error {
	rep, err := s.Assessor.AuditReport(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAudit(rep))
	return nil
}

func (s *Server) apiRecordFinding(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		UnitID  string `json:"unit_id"`
		Finding string `json:"finding"`
		Note    string `json:"note"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.Assessor.RecordFinding(r.Context(), u.Principal(), r.PathValue("id"), in.UnitID, in.Finding, in.Note); err != nil {
		return err
	}
	return s.apiAudit(w, r, u)
}

func (s *Server) apiRecordSurvey(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Answers []struct {
			Respondent string `json:"respondent"`
			Approve    bool   `json:"approve"`
			Note       string `json:"note"`
		} `json:"answers"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	answers := make([]assess.SurveyAnswer, 0, len(in.Answers))
	for _, a := range in.Answers {
		answers = append(answers, assess.SurveyAnswer{Respondent: a.Respondent, Approve: a.Approve, Note: a.Note})
	}
	if err := s.Assessor.RecordSurvey(r.Context(), u.Principal(), r.PathValue("id"), answers); err != nil {
		return err
	}
	return s.apiAudit(w, r, u)
}
