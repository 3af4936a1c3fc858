package web

import (
	"net/http"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/credit"
)

func init() {
	capabilityAPIs = append(capabilityAPIs, func(s *Server) []apiRoute {
		return []apiRoute{
			{"GET", "/api/v1/loan-products", s.apiLoanProducts},
			{"POST", "/api/v1/loan-products", s.apiCreateLoanProduct},
			{"POST", "/api/v1/loan-applications", s.apiApplyLoan},
			{"GET", "/api/v1/loan-applications/{id}", s.apiLoanApplication},
			{"POST", "/api/v1/loan-applications/{id}/review", s.apiReviewLoanApplication},
			{"GET", "/api/v1/loan-queue", s.apiLoanQueue},
			{"GET", "/api/v1/households/{id}/loans", s.apiHouseholdLoans},
			{"GET", "/api/v1/farms/{id}/loans", s.apiCoopLoans},
			{"GET", "/api/v1/farms/{id}/loan-applications", s.apiCoopLoanApplications},
			{"GET", "/api/v1/loans/{id}", s.apiLoan},
			{"GET", "/api/v1/loans/{id}/statement", s.apiLoanStatement},
			{"POST", "/api/v1/loans/{id}/repayments", s.apiRepayLoan},
			{"POST", "/api/v1/loans/{id}/restructure", s.apiRestructureLoan},
			{"GET", "/api/v1/loan-portfolio", s.apiLoanPortfolio},
		}
	})
}

type loanProductJSON struct {
	ID              string `json:"id,omitempty"`
	Name            string `json:"name"`
	Purpose         string `json:"purpose"`
	MinAmountFen    int64  `json:"min_amount_fen"`
	MaxAmountFen    int64  `json:"max_amount_fen"`
	TermMonths      int    `json:"term_months"`
	Instalments     int    `json:"instalments"`
	RateBp          int64  `json:"rate_bp"`
	InterestMethod  string `json:"interest_method"`
	HarvestMonth    int    `json:"harvest_month"`
	Repayment       string `json:"repayment"`
	ShareBp         int64  `json:"share_bp"`
	PenaltyBp       int64  `json:"penalty_bp"`
	Disbursement    string `json:"disbursement"`
	IntervalMonthsR int    `json:"interval_months,omitempty"`
}

func toLoanProduct(p credit.Product) loanProductJSON {
	return loanProductJSON{p.ID, p.Name, p.Purpose, int64(p.MinAmount), int64(p.MaxAmount), p.TermMonths, p.Instalments, int64(p.RateBp), p.Interest,
		p.HarvestMonth, p.Repayment, int64(p.ShareBp), int64(p.PenaltyBp), p.Disbursement, p.IntervalMonths()}
}

func (s *Server) apiLoanProducts(w http.ResponseWriter, r *http.Request, u access.User) error {
	ps, err := s.Credit.Products(r.Context())
	if err != nil {
		return err
	}
	writeItems(w, ps, toLoanProduct)
	return nil
}

func (s *Server) apiCreateLoanProduct(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in loanProductJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.Credit.CreateProduct(r.Context(), u.Principal(), credit.Product{Name: in.Name, Purpose: in.Purpose, MinAmount: fishpond.Money(in.MinAmountFen),
		MaxAmount: fishpond.Money(in.MaxAmountFen), TermMonths: in.TermMonths, Instalments: in.Instalments, RateBp: fishpond.Bp(in.RateBp),
		Interest: in.InterestMethod, HarvestMonth: in.HarvestMonth, Repayment: in.Repayment, ShareBp: fishpond.Bp(in.ShareBp),
		PenaltyBp: fishpond.Bp(in.PenaltyBp), Disbursement: in.Disbursement})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toLoanProduct(p))
	return nil
}

type loanApplicationJSON struct {
	ID           string          `json:"id"`
	HouseholdID  string          `json:"household_id,omitempty"`
	CoopID       string          `json:"coop_id,omitempty"`
	CountyCode   string          `json:"county_code"`
	BorrowerKind string          `json:"borrower_kind"`
	ProductID    string          `json:"product_id"`
	AmountFen    int64           `json:"amount_fen"`
	Note         string          `json:"note"`
	Supplier     string          `json:"supplier"`
	Status       string          `json:"status"`
	Decision     credit.Decision `json:"decision"`
	Inputs       credit.Inputs   `json:"inputs"`
	Model        string          `json:"model"`
	ReviewNote   string          `json:"review_note,omitempty"`
	ReviewedAt   *time.Time      `json:"reviewed_at,omitempty"`
	LoanID       string          `json:"loan_id,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
}

func toLoanApplication(a credit.Application) loanApplicationJSON {
	out := loanApplicationJSON{ID: a.ID, HouseholdID: a.HouseholdID, CoopID: a.CoopID, CountyCode: a.CountyCode, BorrowerKind: a.BorrowerKind, ProductID: a.ProductID,
		AmountFen: int64(a.Amount), Note: a.Note, Supplier: a.Supplier, Status: a.Status, Decision: a.Decision, Inputs: a.Inputs, Model: a.ModelName,
		ReviewNote: a.ReviewNote, LoanID: a.LoanID, CreatedAt: a.CreatedAt}
	if !a.ReviewedAt.IsZero() {
		t := a.ReviewedAt
		out.ReviewedAt = &t
	}
	if out.Decision.Reasons == nil {
		out.Decision.Reasons = []credit.Reason{}
	}
	return out
}

// apiApplyLoan scores and decides an application at once — a household's, or a
// farm cooperative's (coop_id) by its manager; the Idempotency-Key header makes a
// retried request return the first application.
func (s *Server) apiApplyLoan(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		HouseholdID string `json:"household_id"`
		CoopID      string `json:"coop_id"`
		ProductID   string `json:"product_id"`
		AmountFen   int64  `json:"amount_fen"`
		Note        string `json:"note"`
		Supplier    string `json:"supplier"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if key == "" {
		return fishpond.Invalid("missing Idempotency-Key header", map[string]string{"Idempotency-Key": "required: one key per application, reused on retry / 必填"})
	}
	a, err := s.Credit.Apply(r.Context(), u.Principal(), credit.ApplicationRequest{IdempotencyKey: key, HouseholdID: in.HouseholdID, CoopID: in.CoopID, ProductID: in.ProductID,
		Amount: fishpond.Money(in.AmountFen), Note: in.Note, Supplier: in.Supplier})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toLoanApplication(a))
	return nil
}

func (s *Server) apiLoanApplication(w http.ResponseWriter, r *http.Request, u access.User) error {
	a, err := s.Credit.Application(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toLoanApplication(a))
	return nil
}

func (s *Server) apiReviewLoanApplication(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Decision string `json:"decision"`
		Note     string `json:"note"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Decision != "approve" && in.Decision != "decline" {
		return fishpond.Invalid("invalid review", map[string]string{"decision": "approve or decline / 批准或拒绝"})
	}
	a, err := s.Credit.Review(r.Context(), u.Principal(), r.PathValue("id"), in.Decision == "approve", in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toLoanApplication(a))
	return nil
}

func (s *Server) apiLoanQueue(w http.ResponseWriter, r *http.Request, u access.User) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	as, err := s.Credit.Queue(r.Context(), u.Principal(), limit)
	if err != nil {
		return err
	}
	writeItems(w, as, toLoanApplication)
	return nil
}

type instalmentJSON struct {
	No           int    `json:"no"`
	DueOn        string `json:"due_on"`
	PrincipalFen int64  `json:"principal_fen"`
	InterestFen  int64  `json:"interest_fen"`
	PaidFen      int64  `json:"paid_fen"`
	State        string `json:"state"`
}

type loanJSON struct {
	ID             string           `json:"id"`
	ApplicationID  string           `json:"application_id"`
	ProductID      string           `json:"product_id"`
	HouseholdID    string           `json:"household_id,omitempty"`
	CoopID         string           `json:"coop_id,omitempty"`
	CountyCode     string           `json:"county_code"`
	BorrowerKind   string           `json:"borrower_kind"`
	PrincipalFen   int64            `json:"principal_fen"`
	RateBp         int64            `json:"rate_bp"`
	InterestMethod string           `json:"interest_method"`
	Repayment      string           `json:"repayment"`
	ShareBp        int64            `json:"share_bp"`
	Disbursement   string           `json:"disbursement"`
	Status         string           `json:"status"`
	OwedFen        int64            `json:"owed_fen"`
	OutstandingFen int64            `json:"outstanding_fen"`
	RepaidFen      int64            `json:"repaid_fen"`
	OverdueFen     int64            `json:"overdue_fen"`
	DaysLate       int              `json:"days_late"`
	PenaltiesFen   int64            `json:"penalties_fen"`
	Restructures   int              `json:"restructures"`
	DisbursedAt    time.Time        `json:"disbursed_at"`
	SettledAt      *time.Time       `json:"settled_at,omitempty"`
	Schedule       []instalmentJSON `json:"schedule"`
}

func toLoan(l credit.Loan) loanJSON {
	out := loanJSON{ID: l.ID, ApplicationID: l.ApplicationID, ProductID: l.ProductID, HouseholdID: l.HouseholdID, CoopID: l.CoopID, CountyCode: l.CountyCode,
		BorrowerKind: l.BorrowerKind, PrincipalFen: int64(l.Principal), RateBp: int64(l.RateBp), InterestMethod: l.Interest, Repayment: l.Repayment,
		ShareBp: int64(l.ShareBp), Disbursement: l.Disbursement, Status: l.Status, OwedFen: int64(l.Owed), OutstandingFen: int64(l.Outstanding()),
		RepaidFen: int64(l.Repaid), OverdueFen: int64(l.OverdueAmount), DaysLate: l.DaysLate, PenaltiesFen: int64(l.Penalties), Restructures: l.Restructures,
		DisbursedAt: l.DisbursedAt, Schedule: []instalmentJSON{}}
	if !l.SettledAt.IsZero() {
		t := l.SettledAt
		out.SettledAt = &t
	}
	for _, i := range l.Schedule {
		out.Schedule = append(out.Schedule, instalmentJSON{i.No, i.DueOn, int64(i.Principal), int64(i.Interest), int64(i.Paid), i.State})
	}
	return out
}

func (s *Server) apiHouseholdLoans(w http.ResponseWriter, r *http.Request, u access.User) error {
	ls, err := s.Credit.Loans(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeItems(w, ls, toLoan)
	return nil
}

func (s *Server) apiCoopLoans(w http.ResponseWriter, r *http.Request, u access.User) error {
	ls, err := s.Credit.CoopLoans(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeItems(w, ls, toLoan)
	return nil
}

func (s *Server) apiCoopLoanApplications(w http.ResponseWriter, r *http.Request, u access.User) error {
	as, err := s.Credit.CoopApplications(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeItems(w, as, toLoanApplication)
	return nil
}

func (s *Server) apiLoan(w http.ResponseWriter, r *http.Request, u access.User) error {
	l, err := s.Credit.Loan(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toLoan(l))
	return nil
}

func (s *Server) apiLoanStatement(w http.ResponseWriter, r *http.Request, u access.User) error {
	st, err := s.Credit.Statement(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	type lineJSON struct {
		At        time.Time `json:"at"`
		Kind      string    `json:"kind"`
		Memo      string    `json:"memo"`
		ByRule    bool      `json:"by_rule"`
		AmountFen int64     `json:"amount_fen"`
		OwedFen   int64     `json:"owed_fen"`
	}
	out := struct {
		Loan  loanJSON   `json:"loan"`
		Lines []lineJSON `json:"lines"`
	}{Loan: toLoan(st.Loan), Lines: []lineJSON{}}
	for _, l := range st.Lines {
		out.Lines = append(out.Lines, lineJSON{l.At, l.Kind, l.Memo, l.ByRule, int64(l.Amount), int64(l.Owed)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiRepayLoan(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		AmountFen int64 `json:"amount_fen"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if key == "" {
		return fishpond.Invalid("missing Idempotency-Key header", map[string]string{"Idempotency-Key": "required / 必填"})
	}
	l, err := s.Credit.Repay(r.Context(), u.Principal(), r.PathValue("id"), fishpond.Money(in.AmountFen), key)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toLoan(l))
	return nil
}

func (s *Server) apiRestructureLoan(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Instalments    int    `json:"instalments"`
		IntervalMonths int    `json:"interval_months"`
		FirstDue       string `json:"first_due"`
		Reason         string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	l, err := s.Credit.Restructure(r.Context(), u.Principal(), r.PathValue("id"), credit.RestructureRequest{Instalments: in.Instalments,
		IntervalMonths: in.IntervalMonths, FirstDue: in.FirstDue, Reason: in.Reason})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toLoan(l))
	return nil
}

type portfolioJSON struct {
	CountyCode      string `json:"county_code"`
	CountyName      string `json:"county_name"`
	PovertyCounty   bool   `json:"poverty_county"`
	Borrowers       int    `json:"borrowers"`
	CoopBorrowers   int    `json:"coop_borrowers"`
	CoopLoans       int    `json:"coop_loans"`
	CoopLentFen     int64  `json:"coop_lent_fen"`
	Loans           int    `json:"loans"`
	Open            int    `json:"open"`
	LentFen         int64  `json:"lent_fen"`
	OwedFen         int64  `json:"owed_fen"`
	RepaidFen       int64  `json:"repaid_fen"`
	OverdueLoans    int    `json:"overdue_loans"`
	OverdueFen      int64  `json:"overdue_fen"`
	Defaulted       int    `json:"defaulted"`
	DefaultRateBp   int64  `json:"default_rate_bp"`
	RepaymentRateBp int64  `json:"repayment_rate_bp"`
}

func (s *Server) apiLoanPortfolio(w http.ResponseWriter, r *http.Request, u access.User) error {
	ps, err := s.Credit.Portfolio(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	out := listPage[portfolioJSON]{Items: []portfolioJSON{}}
	for _, c := range ps {
		out.Items = append(out.Items, portfolioJSON{c.CountyCode, c.CountyName, c.Poverty, c.Borrowers, c.CoopBorrowers, c.CoopLoans, int64(c.CoopLent), c.Loans, c.Open, int64(c.Lent), int64(c.Owed),
			int64(c.Repaid), c.OverdueLoans, int64(c.OverdueAmount), c.Defaulted, c.DefaultRateBp(), c.RepaymentRateBp()})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
