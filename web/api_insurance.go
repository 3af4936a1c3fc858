package web

import (
	"net/http"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/insurance"
)

func init() {
	capabilityAPIs = append(capabilityAPIs, func(s *Server) []apiRoute {
		return []apiRoute{
			{"GET", "/api/v1/insurance/plans", s.apiInsurancePlans},
			{"POST", "/api/v1/insurance/plans", s.apiCreateInsurancePlan},
			{"POST", "/api/v1/insurance/plans/{id}/enrolments", s.apiInsuranceEnrol},
			{"GET", "/api/v1/households/{id}/insurance", s.apiHouseholdInsurance},
			{"POST", "/api/v1/insurance/claims", s.apiSubmitClaim},
			{"GET", "/api/v1/insurance/claims/{id}", s.apiClaim},
			{"POST", "/api/v1/insurance/claims/{id}/review", s.apiReviewClaim},
			{"GET", "/api/v1/insurance/claim-queue", s.apiClaimQueue},
			{"GET", "/api/v1/charity-funds/{name}", s.apiInsuranceFund},
			{"POST", "/api/v1/charity-funds/{name}/donations", s.apiDonate},
		}
	})
}

type benefitJSON struct {
	Category string `json:"category"`
	LimitFen int64  `json:"limit_fen"`
}

type planJSON struct {
	ID               string        `json:"id,omitempty"`
	Name             string        `json:"name"`
	Fund             string        `json:"fund"`
	PremiumFen       int64         `json:"premium_fen"`
	CoverMonths      int           `json:"cover_months"`
	MinAge           int           `json:"min_age"`
	MaxAge           int           `json:"max_age"`
	BreadwinnersOnly bool          `json:"breadwinners_only"`
	Benefits         []benefitJSON `json:"benefits"`
}

func toPlan(p insurance.Plan) planJSON {
	out := planJSON{p.ID, p.Name, p.Fund, int64(p.Premium), p.CoverMonths, p.MinAge, p.MaxAge, p.BreadwinnersOnly, []benefitJSON{}}
	for _, b := range p.Benefits {
		out.Benefits = append(out.Benefits, benefitJSON{b.Category, int64(b.Limit)})
	}
	return out
}

func (s *Server) apiInsurancePlans(w http.ResponseWriter, r *http.Request, u access.User) error {
	ps, err := s.Insurance.Plans(r.Context())
	if err != nil {
		return err
	}
	writeItems(w, ps, toPlan)
	return nil
}

func (s *Server) apiCreateInsurancePlan(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in planJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p := insurance.Plan{Name: in.Name, Fund: in.Fund, Premium: fishpond.Money(in.PremiumFen), CoverMonths: in.CoverMonths, MinAge: in.MinAge,
		MaxAge: in.MaxAge, BreadwinnersOnly: in.BreadwinnersOnly}
	for _, b := range in.Benefits {
		p.Benefits = append(p.Benefits, insurance.Benefit{Category: b.Category, Limit: fishpond.Money(b.LimitFen)})
	}
	p, err := s.Insurance.CreatePlan(r.Context(), u.Principal(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toPlan(p))
	return nil
}

type enrolmentJSON struct {
	ID          string `json:"id"`
	PlanID      string `json:"plan_id"`
	HouseholdID string `json:"household_id"`
	MemberID    string `json:"member_id"`
	CountyCode  string `json:"county_code"`
	CoverFrom   string `json:"cover_from"`
	CoverTo     string `json:"cover_to"`
	PremiumFen  int64  `json:"premium_fen"`
}

func toEnrolment(e insurance.Enrolment) enrolmentJSON {
	return enrolmentJSON{e.ID, e.PlanID, e.HouseholdID, e.MemberID, e.CountyCode, e.CoverFrom, e.CoverTo, int64(e.Premium)}
}

func (s *Server) apiInsuranceEnrol(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		HouseholdID string   `json:"household_id"`
		MemberIDs   []string `json:"member_ids"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	es, err := s.Insurance.Enrol(r.Context(), u.Principal(), r.PathValue("id"), in.HouseholdID, in.MemberIDs)
	if err != nil {
		return err
	}
	out := listPage[enrolmentJSON]{Items: []enrolmentJSON{}}
	for _, e := range es {
		out.Items = append(out.Items, toEnrolment(e))
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

type claimJSON struct {
	ID                string     `json:"id"`
	EnrolmentID       string     `json:"enrolment_id"`
	PlanID            string     `json:"plan_id"`
	HouseholdID       string     `json:"household_id"`
	MemberID          string     `json:"member_id"`
	CountyCode        string     `json:"county_code"`
	Category          string     `json:"category"`
	Hospital          string     `json:"hospital"`
	AmountFen         int64      `json:"amount_fen"`
	IncurredOn        string     `json:"incurred_on"`
	Documents         []string   `json:"documents"`
	Flags             []string   `json:"flags"`
	Status            string     `json:"status"`
	ApprovedAmountFen int64      `json:"approved_amount_fen"`
	Reason            string     `json:"reason,omitempty"`
	ReviewedAt        *time.Time `json:"reviewed_at,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
}

func toClaim(c insurance.Claim) claimJSON {
	out := claimJSON{c.ID, c.EnrolmentID, c.PlanID, c.HouseholdID, c.MemberID, c.CountyCode, c.Category, c.Hospital, int64(c.Amount), c.IncurredOn,
		c.Documents, c.Flags, c.Status, int64(c.ApprovedAmount), c.Reason, nil, c.CreatedAt}
	if out.Flags == nil {
		out.Flags = []string{}
	}
	if out.Documents == nil {
		out.Documents = []string{}
	}
	if !c.ReviewedAt.IsZero() {
		t := c.ReviewedAt
		out.ReviewedAt = &t
	}
	return out
}

func (s *Server) apiHouseholdInsurance(w http.ResponseWriter, r *http.Request, u access.User) error {
	es, err := s.Insurance.Enrolments(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	cs, err := s.Insurance.Claims(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := struct {
		Enrolments []enrolmentJSON `json:"enrolments"`
		Claims     []claimJSON     `json:"claims"`
	}{[]enrolmentJSON{}, []claimJSON{}}
	for _, e := range es {
		out.Enrolments = append(out.Enrolments, toEnrolment(e))
	}
	for _, c := range cs {
		out.Claims = append(out.Claims, toClaim(c))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiSubmitClaim(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		MemberID   string   `json:"member_id"`
		Category   string   `json:"category"`
		Hospital   string   `json:"hospital"`
		AmountFen  int64    `json:"amount_fen"`
		IncurredOn string   `json:"incurred_on"`
		Documents  []string `json:"documents"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if key == "" {
		return fishpond.Invalid("missing Idempotency-Key header", map[string]string{"Idempotency-Key": "required / 必填"})
	}
	c, err := s.Insurance.Submit(r.Context(), u.Principal(), insurance.ClaimRequest{IdempotencyKey: key, MemberID: in.MemberID, Category: in.Category,
		Hospital: in.Hospital, Amount: fishpond.Money(in.AmountFen), IncurredOn: in.IncurredOn, Documents: in.Documents})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toClaim(c))
	return nil
}

func (s *Server) apiClaim(w http.ResponseWriter, r *http.Request, u access.User) error {
	c, err := s.Insurance.Claim(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toClaim(c))
	return nil
}

func (s *Server) apiReviewClaim(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Decision string `json:"decision"`
		Reason   string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Decision != "approve" && in.Decision != "reject" {
		return fishpond.Invalid("invalid review", map[string]string{"decision": "approve or reject / 批准或拒绝"})
	}
	c, err := s.Insurance.Review(r.Context(), u.Principal(), r.PathValue("id"), in.Decision == "approve", in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toClaim(c))
	return nil
}

func (s *Server) apiClaimQueue(w http.ResponseWriter, r *http.Request, u access.User) error {
	cs, err := s.Insurance.ClaimQueue(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	writeItems(w, cs, toClaim)
	return nil
}

type fundJSON struct {
	Fund            string `json:"fund"`
	BalanceFen      int64  `json:"balance_fen"`
	PledgesFen      int64  `json:"pledges_fen"`
	DonationsFen    int64  `json:"donations_fen"`
	PremiumsPaidFen int64  `json:"premiums_paid_fen"`
	Households      int    `json:"insured_households"`
	Persons         int    `json:"insured_persons"`
	ClaimsPaid      int    `json:"claims_paid"`
	PaidFen         int64  `json:"paid_fen"`
	Counties        []struct {
		CountyCode string `json:"county_code"`
		CountyName string `json:"county_name"`
		Poverty    bool   `json:"poverty_county"`
		Households int    `json:"insured_households"`
		Persons    int    `json:"insured_persons"`
		ClaimsPaid int    `json:"claims_paid"`
		PaidFen    int64  `json:"paid_fen"`
	} `json:"counties"`
}

func toFund(f insurance.FundReport) fundJSON {
	out := fundJSON{Fund: f.Fund, BalanceFen: int64(f.Balance), PledgesFen: int64(f.Pledges), DonationsFen: int64(f.Donations),
		PremiumsPaidFen: int64(f.PremiumsPaid), Households: f.Households, Persons: f.Persons, ClaimsPaid: f.ClaimsPaid, PaidFen: int64(f.PaidAmount)}
	out.Counties = make([]struct {
		CountyCode string `json:"county_code"`
		CountyName string `json:"county_name"`
		Poverty    bool   `json:"poverty_county"`
		Households int    `json:"insured_households"`
		Persons    int    `json:"insured_persons"`
		ClaimsPaid int    `json:"claims_paid"`
		PaidFen    int64  `json:"paid_fen"`
	}, len(f.Counties))
	for i, c := range f.Counties {
		x := &out.Counties[i]
		x.CountyCode, x.CountyName, x.Poverty, x.Households, x.Persons, x.ClaimsPaid, x.PaidFen = c.CountyCode, c.CountyName, c.Poverty, c.Households, c.Persons, c.ClaimsPaid, int64(c.PaidAmount)
	}
	return out
}

func (s *Server) apiInsuranceFund(w http.ResponseWriter, r *http.Request, u access.User) error {
	f, err := s.Insurance.Fund(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toFund(f))
	return nil
}

func (s *Server) apiDonate(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		AmountFen int64  `json:"amount_fen"`
		Donor     string `json:"donor"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if err := s.Insurance.Donate(r.Context(), u.Principal(), r.PathValue("name"), fishpond.Money(in.AmountFen), in.Donor, key); err != nil {
		return err
	}
	f, err := s.Insurance.Fund(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toFund(f))
	return nil
}
