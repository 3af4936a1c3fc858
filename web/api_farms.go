package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/farms"
)

// The farms API: cooperatives, land-transfer contracts, purchase agreements and
// deliveries, wage labour, fields and consumer claims, inputs on credit and the
// farm report. Money is *_fen, areas area_cmu (hundredths of a mu), weights *_g.
func init() {
	capabilityAPIs = append(capabilityAPIs, func(s *Server) []apiRoute {
		return []apiRoute{
			{"GET", "/api/v1/farms", s.apiFarms},
			{"POST", "/api/v1/farms", s.apiRegisterFarm},
			{"GET", "/api/v1/farms/{id}", s.apiFarm},
			{"POST", "/api/v1/farms/{id}/deposits", s.apiFarmDeposit},
			{"POST", "/api/v1/farms/{id}/dividends", s.apiFarmDividend},
			{"GET", "/api/v1/farms/{id}/contracts", s.apiFarmContracts},
			{"POST", "/api/v1/farms/{id}/contracts", s.apiSignContract},
			{"GET", "/api/v1/farm-contracts/{id}", s.apiFarmContract},
			{"POST", "/api/v1/farm-contracts/{id}/terminate", s.apiTerminateContract},
			{"POST", "/api/v1/farm-contracts/{id}/documents", s.apiContractDocument},
			{"GET", "/api/v1/farms/{id}/agreements", s.apiFarmAgreements},
			{"POST", "/api/v1/farms/{id}/agreements", s.apiSignAgreement},
			{"POST", "/api/v1/farm-agreements/{id}/deliveries", s.apiRecordDelivery},
			{"GET", "/api/v1/farms/{id}/deliveries", s.apiFarmDeliveries},
			{"GET", "/api/v1/farms/{id}/tasks", s.apiFarmTasks},
			{"POST", "/api/v1/farms/{id}/tasks", s.apiAddTask},
			{"POST", "/api/v1/farm-tasks/{id}/work", s.apiLogWork},
			{"GET", "/api/v1/farms/{id}/payrolls", s.apiFarmPayrolls},
			{"POST", "/api/v1/farms/{id}/payrolls", s.apiRunPayroll},
			{"GET", "/api/v1/farm-payrolls/{id}", s.apiFarmPayroll},
			{"GET", "/api/v1/farms/{id}/inputs", s.apiFarmInputs},
			{"POST", "/api/v1/farms/{id}/inputs", s.apiAdvanceInput},
			{"GET", "/api/v1/farms/{id}/report", s.apiFarmReport},
			{"GET", "/api/v1/fields", s.apiFields},
			{"POST", "/api/v1/farms/{id}/fields", s.apiAddField},
			{"GET", "/api/v1/fields/{id}", s.apiField},
			{"POST", "/api/v1/fields/{id}/claims", s.apiMakeClaim},
			{"POST", "/api/v1/fields/{id}/harvest", s.apiHarvest},
			{"GET", "/api/v1/fields/{id}/updates", s.apiFieldUpdates},
			{"POST", "/api/v1/fields/{id}/updates", s.apiAddFieldUpdate},
			{"GET", "/api/v1/farm-claims", s.apiMyClaims},
			{"POST", "/api/v1/farm-rent/run", s.apiRunRent},
		}
	})
}

type farmJSON struct {
	ID              string           `json:"id"`
	Name            string           `json:"name"`
	CountyCode      string           `json:"county_code"`
	ManagerUserID   string           `json:"manager_user_id"`
	LegalRep        string           `json:"legal_rep"`
	MinDailyWageFen int64            `json:"min_daily_wage_fen"`
	Members         []farmMemberJSON `json:"members,omitempty"`
}

type farmMemberJSON struct {
	ID          string `json:"id,omitempty"`
	HouseholdID string `json:"household_id,omitempty"`
	Label       string `json:"label,omitempty"`
	Shares      int64  `json:"shares"`
}

func toFarm(c farms.Coop) farmJSON {
	out := farmJSON{ID: c.ID, Name: c.Name, CountyCode: c.CountyCode, ManagerUserID: c.ManagerUserID, LegalRep: c.LegalRep, MinDailyWageFen: int64(c.MinDailyWage)}
	for _, m := range c.Members {
		out.Members = append(out.Members, farmMemberJSON{m.ID, m.HouseholdID, m.Label, m.Shares})
	}
	return out
}

func (s *Server) apiFarms(w http.ResponseWriter, r *http.Request, u access.User) error {
	cs, err := s.Farms.Coops(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	writeItems(w, cs, toFarm)
	return nil
}

func (s *Server) apiRegisterFarm(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		CoopID          string           `json:"coop_id"`
		LegalRep        string           `json:"legal_rep"`
		MinDailyWageFen int64            `json:"min_daily_wage_fen"`
		Members         []farmMemberJSON `json:"members"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ci := farms.CoopInput{CoopID: in.CoopID, LegalRep: in.LegalRep, MinDailyWage: fishpond.Money(in.MinDailyWageFen)}
	for _, m := range in.Members {
		ci.Members = append(ci.Members, farms.MemberInput{HouseholdID: m.HouseholdID, Label: m.Label, Shares: m.Shares})
	}
	c, err := s.Farms.RegisterCoop(r.Context(), u.Principal(), ci)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toFarm(c))
	return nil
}

func (s *Server) apiFarm(w http.ResponseWriter, r *http.Request, u access.User) error {
	c, err := s.Farms.Coop(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	cash, err := s.Farms.Cash(r.Context(), u.Principal(), c.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		farmJSON
		CashFen int64 `json:"cash_fen"`
	}{toFarm(c), int64(cash)})
	return nil
}

func (s *Server) apiFarmDeposit(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		AmountFen      int64  `json:"amount_fen"`
		Note           string `json:"note"`
		IdempotencyKey string `json:"idempotency_key"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	t, err := s.Farms.Deposit(r.Context(), u.Principal(), r.PathValue("id"), fishpond.Money(in.AmountFen), in.Note, in.IdempotencyKey)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"transfer_id": t.ID, "amount_fen": in.AmountFen, "replayed": t.Replayed})
	return nil
}

func (s *Server) apiFarmDividend(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		TotalFen       int64  `json:"total_fen"`
		Note           string `json:"note"`
		IdempotencyKey string `json:"idempotency_key"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.Farms.PayDividend(r.Context(), u.Principal(), r.PathValue("id"), fishpond.Money(in.TotalFen), in.Note, in.IdempotencyKey)
	if err != nil {
		return err
	}
	type lineJSON struct {
		MemberID    string `json:"member_id"`
		HouseholdID string `json:"household_id,omitempty"`
		AmountFen   int64  `json:"amount_fen"`
		TransferID  string `json:"transfer_id"`
	}
	lines := []lineJSON{}
	for _, l := range d.Lines {
		lines = append(lines, lineJSON{l.MemberID, l.HouseholdID, int64(l.Amount), l.TransferID})
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": d.ID, "total_fen": int64(d.Total), "households": d.Households, "paid_at": d.PaidAt, "lines": lines})
	return nil
}

type installmentJSON struct {
	Seq         int       `json:"seq"`
	PeriodStart string    `json:"period_start"`
	PeriodEnd   string    `json:"period_end"`
	DueAt       time.Time `json:"due_at"`
	AmountFen   int64     `json:"amount_fen"`
	Status      string    `json:"status"`
	TransferID  string    `json:"transfer_id,omitempty"`
}

type contractJSON struct {
	ID                string            `json:"id"`
	CoopID            string            `json:"coop_id"`
	HouseholdID       string            `json:"household_id"`
	CountyCode        string            `json:"county_code"`
	AreaCmu           int64             `json:"area_cmu"`
	Mu                string            `json:"mu"`
	RateFen           int64             `json:"rate_fen"`
	AnnualRentFen     int64             `json:"annual_rent_fen"`
	Years             int               `json:"years"`
	PaymentsPerYear   int               `json:"payments_per_year"`
	StartsOn          string            `json:"starts_on"`
	EndsOn            string            `json:"ends_on"`
	Status            string            `json:"status"`
	TerminatedOn      string            `json:"terminated_on,omitempty"`
	TerminationReason string            `json:"termination_reason,omitempty"`
	Schedule          []installmentJSON `json:"schedule,omitempty"`
}

func toContract(c farms.Contract) contractJSON {
	out := contractJSON{c.ID, c.CoopID, c.HouseholdID, c.CountyCode, int64(c.Area), c.Area.String(), int64(c.Rate), int64(c.AnnualRent()), c.Years,
		c.PaymentsPerYear, c.StartsOn, c.EndsOn, c.Status, c.TerminatedOn, c.TerminationReason, nil}
	for _, i := range c.Schedule {
		out.Schedule = append(out.Schedule, installmentJSON{i.Seq, i.PeriodStart, i.PeriodEnd, i.DueAt, int64(i.Amount), i.Status, i.TransferID})
	}
	return out
}

func (s *Server) apiFarmContracts(w http.ResponseWriter, r *http.Request, u access.User) error {
	cs, err := s.Farms.Contracts(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeItems(w, cs, toContract)
	return nil
}

func (s *Server) apiSignContract(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		HouseholdID     string `json:"household_id"`
		AreaCmu         int64  `json:"area_cmu"`
		RateFen         int64  `json:"rate_fen"`
		Years           int    `json:"years"`
		PaymentsPerYear int    `json:"payments_per_year"`
		StartsOn        string `json:"starts_on"`
		IdempotencyKey  string `json:"idempotency_key"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.Farms.SignContract(r.Context(), u.Principal(), r.PathValue("id"), farms.ContractInput{HouseholdID: in.HouseholdID, Area: farms.Area(in.AreaCmu),
		Rate: fishpond.Money(in.RateFen), Years: in.Years, PaymentsPerYear: in.PaymentsPerYear, StartsOn: in.StartsOn, IdempotencyKey: in.IdempotencyKey})
	if err != nil {
		return err
	}
	writeCreated(w, c.Replayed, toContract(c))
	return nil
}

func (s *Server) apiFarmContract(w http.ResponseWriter, r *http.Request, u access.User) error {
	c, err := s.Farms.Contract(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toContract(c))
	return nil
}

func (s *Server) apiTerminateContract(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		On     string `json:"on"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.Farms.Terminate(r.Context(), u.Principal(), r.PathValue("id"), in.On, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toContract(c))
	return nil
}

// apiContractDocument takes a signed contract as multipart field "file" or as the
// raw body (?filename=); farms checks its real type and size.
func (s *Server) apiContractDocument(w http.ResponseWriter, r *http.Request, u access.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, farms.MaxDocumentBytes+1<<20)
	body, name := r.Body, r.URL.Query().Get("filename")
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		f, h, err := r.FormFile("file")
		if err != nil {
			return fishpond.Invalid("no file uploaded / 未上传文件", map[string]string{"file": "choose a PDF, JPEG or PNG / 请选择 PDF、JPEG 或 PNG 文件"})
		}
		defer f.Close()
		body, name = f, h.Filename
	}
	d, err := s.Farms.AddDocument(r.Context(), u.Principal(), r.PathValue("id"), name, body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": d.ID, "filename": d.Filename, "content_type": d.ContentType, "size": d.Size, "sha256": d.SHA256,
		"url": "/farm-documents/" + d.ID})
	return nil
}

type agreementJSON struct {
	ID          string `json:"id"`
	CoopID      string `json:"coop_id"`
	HouseholdID string `json:"household_id"`
	Crop        string `json:"crop"`
	Pricing     string `json:"pricing"`
	PriceFen    int64  `json:"price_fen"`
	GradeBBp    int64  `json:"grade_b_bp"`
	GradeCBp    int64  `json:"grade_c_bp"`
	StartsOn    string `json:"starts_on"`
	EndsOn      string `json:"ends_on"`
}

func toAgreement(a farms.Agreement) agreementJSON {
	return agreementJSON{a.ID, a.CoopID, a.HouseholdID, a.Crop, a.Pricing, int64(a.Price), int64(a.GradeBBp), int64(a.GradeCBp), a.StartsOn, a.EndsOn}
}

func (s *Server) apiFarmAgreements(w http.ResponseWriter, r *http.Request, u access.User) error {
	as, err := s.Farms.Agreements(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeItems(w, as, toAgreement)
	return nil
}

func (s *Server) apiSignAgreement(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		HouseholdID    string `json:"household_id"`
		Crop           string `json:"crop"`
		Pricing        string `json:"pricing"`
		PriceFen       int64  `json:"price_fen"`
		GradeBBp       int64  `json:"grade_b_bp"`
		GradeCBp       int64  `json:"grade_c_bp"`
		StartsOn       string `json:"starts_on"`
		EndsOn         string `json:"ends_on"`
		IdempotencyKey string `json:"idempotency_key"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.Farms.SignAgreement(r.Context(), u.Principal(), r.PathValue("id"), farms.AgreementInput{HouseholdID: in.HouseholdID, Crop: in.Crop,
		Pricing: in.Pricing, Price: fishpond.Money(in.PriceFen), GradeBBp: fishpond.Bp(in.GradeBBp), GradeCBp: fishpond.Bp(in.GradeCBp),
		StartsOn: in.StartsOn, EndsOn: in.EndsOn, IdempotencyKey: in.IdempotencyKey})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toAgreement(a))
	return nil
}

type deliveryJSON struct {
	ID             string    `json:"id"`
	AgreementID    string    `json:"agreement_id"`
	HouseholdID    string    `json:"household_id"`
	Crop           string    `json:"crop"`
	WeightG        int64     `json:"weight_g"`
	Grade          string    `json:"grade"`
	MarketPriceFen int64     `json:"market_price_fen"`
	UnitPriceFen   int64     `json:"unit_price_fen"`
	AmountFen      int64     `json:"amount_fen"`
	TransferID     string    `json:"transfer_id"`
	DeliveredAt    time.Time `json:"delivered_at"`
}

func toDelivery(d farms.Delivery) deliveryJSON {
	return deliveryJSON{d.ID, d.AgreementID, d.HouseholdID, d.Crop, int64(d.Weight), d.Grade, int64(d.MarketPrice), int64(d.UnitPrice), int64(d.Amount), d.TransferID, d.DeliveredAt}
}

func (s *Server) apiRecordDelivery(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		WeightG        int64  `json:"weight_g"`
		Grade          string `json:"grade"`
		MarketPriceFen int64  `json:"market_price_fen"`
		IdempotencyKey string `json:"idempotency_key"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.Farms.RecordDelivery(r.Context(), u.Principal(), r.PathValue("id"), farms.DeliveryInput{Weight: farms.Weight(in.WeightG), Grade: in.Grade,
		MarketPrice: fishpond.Money(in.MarketPriceFen), IdempotencyKey: in.IdempotencyKey})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toDelivery(d))
	return nil
}

func (s *Server) apiFarmDeliveries(w http.ResponseWriter, r *http.Request, u access.User) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	ds, err := s.Farms.Deliveries(r.Context(), u.Principal(), r.PathValue("id"), limit)
	if err != nil {
		return err
	}
	writeItems(w, ds, toDelivery)
	return nil
}

type taskJSON struct {
	ID      string `json:"id"`
	FieldID string `json:"field_id,omitempty"`
	Kind    string `json:"kind"`
	Basis   string `json:"basis"`
	RateFen int64  `json:"rate_fen"`
	Unit    string `json:"unit,omitempty"`
	Note    string `json:"note,omitempty"`
}

func toTask(t farms.Task) taskJSON {
	return taskJSON{t.ID, t.FieldID, t.Kind, t.Basis, int64(t.Rate), t.Unit, t.Note}
}

func (s *Server) apiFarmTasks(w http.ResponseWriter, r *http.Request, u access.User) error {
	ts, err := s.Farms.Tasks(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeItems(w, ts, toTask)
	return nil
}

func (s *Server) apiAddTask(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in taskJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	t, err := s.Farms.AddTask(r.Context(), u.Principal(), r.PathValue("id"), farms.TaskInput{FieldID: in.FieldID, Kind: in.Kind, Basis: in.Basis,
		Rate: fishpond.Money(in.RateFen), Unit: in.Unit, Note: in.Note})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toTask(t))
	return nil
}

func (s *Server) apiLogWork(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		HouseholdID    string `json:"household_id"`
		Date           string `json:"date"`
		DaysX10        int64  `json:"days_x10"`
		Pieces         int64  `json:"pieces"`
		IdempotencyKey string `json:"idempotency_key"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	wk, err := s.Farms.LogWork(r.Context(), u.Principal(), r.PathValue("id"), farms.WorkInput{HouseholdID: in.HouseholdID, Date: in.Date,
		Days: farms.Days(in.DaysX10), Pieces: in.Pieces, IdempotencyKey: in.IdempotencyKey})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": wk.ID, "task_id": wk.TaskID, "household_id": wk.HouseholdID, "date": wk.Date,
		"days_x10": int64(wk.Days), "pieces": wk.Pieces, "amount_fen": int64(wk.Amount), "payroll_id": wk.PayrollID})
	return nil
}

type payrollJSON struct {
	ID         string            `json:"id"`
	Through    string            `json:"through"`
	TotalFen   int64             `json:"total_fen"`
	Households int               `json:"households"`
	PaidAt     time.Time         `json:"paid_at"`
	Lines      []payrollLineJSON `json:"lines,omitempty"`
}

type payrollLineJSON struct {
	HouseholdID string `json:"household_id"`
	DaysX10     int64  `json:"days_x10"`
	AmountFen   int64  `json:"amount_fen"`
	TransferID  string `json:"transfer_id"`
}

func toPayroll(p farms.Payroll) payrollJSON {
	out := payrollJSON{p.ID, p.Through, int64(p.Total), p.Households, p.PaidAt, nil}
	for _, l := range p.Lines {
		out.Lines = append(out.Lines, payrollLineJSON{l.HouseholdID, int64(l.Days), int64(l.Amount), l.TransferID})
	}
	return out
}

func (s *Server) apiFarmPayrolls(w http.ResponseWriter, r *http.Request, u access.User) error {
	ps, err := s.Farms.Payrolls(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeItems(w, ps, toPayroll)
	return nil
}

func (s *Server) apiRunPayroll(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Through        string `json:"through"`
		IdempotencyKey string `json:"idempotency_key"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.Farms.RunPayroll(r.Context(), u.Principal(), r.PathValue("id"), in.Through, in.IdempotencyKey)
	if err != nil {
		return err
	}
	writeCreated(w, p.Replayed, toPayroll(p))
	return nil
}

func (s *Server) apiFarmPayroll(w http.ResponseWriter, r *http.Request, u access.User) error {
	p, err := s.Farms.Payroll(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPayroll(p))
	return nil
}

type inputJSON struct {
	ID             string    `json:"id,omitempty"`
	HouseholdID    string    `json:"household_id,omitempty"`
	Kind           string    `json:"kind"`
	Description    string    `json:"description"`
	Quantity       int64     `json:"quantity"`
	Unit           string    `json:"unit"`
	ValueFen       int64     `json:"value_fen"`
	Supplier       string    `json:"supplier"`
	TransferID     string    `json:"transfer_id,omitempty"`
	AdvancedAt     time.Time `json:"advanced_at,omitzero"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
}

func toInput(in farms.Input) inputJSON {
	return inputJSON{in.ID, in.HouseholdID, in.Kind, in.Description, in.Quantity, in.Unit, int64(in.Value), in.Supplier, in.TransferID, in.AdvancedAt, ""}
}

func (s *Server) apiFarmInputs(w http.ResponseWriter, r *http.Request, u access.User) error {
	ins, err := s.Farms.Inputs(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeItems(w, ins, toInput)
	return nil
}

func (s *Server) apiAdvanceInput(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in inputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	out, err := s.Farms.AdvanceInput(r.Context(), u.Principal(), r.PathValue("id"), farms.InputRequest{HouseholdID: in.HouseholdID, Kind: in.Kind,
		Description: in.Description, Quantity: in.Quantity, Unit: in.Unit, Value: fishpond.Money(in.ValueFen), Supplier: in.Supplier, IdempotencyKey: in.IdempotencyKey})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toInput(out))
	return nil
}

// farmYear reads ?year= (default: this year in China time, the season under way).
func farmYear(r *http.Request) (int, error) {
	v := r.URL.Query().Get("year")
	if v == "" {
		return time.Now().In(fishpond.ChinaTime).Year(), nil
	}
	y, err := strconv.Atoi(v)
	if err != nil {
		return 0, fishpond.Invalid("bad year / 年份有误", map[string]string{"year": "a year such as 2020 / 如 2020"})
	}
	return y, nil
}

func (s *Server) apiFarmReport(w http.ResponseWriter, r *http.Request, u access.User) error {
	year, err := farmYear(r)
	if err != nil {
		return err
	}
	rep, err := s.Farms.Report(r.Context(), u.Principal(), r.PathValue("id"), year)
	if err != nil {
		return err
	}
	type hhJSON struct {
		HouseholdID  string `json:"household_id"`
		Number       string `json:"number"`
		RentFen      int64  `json:"rent_fen"`
		WagesFen     int64  `json:"wages_fen"`
		SalesFen     int64  `json:"sales_fen"`
		DividendsFen int64  `json:"dividends_fen"`
		InputsFen    int64  `json:"inputs_fen"`
		NetFen       int64  `json:"net_fen"`
		WorkDaysX10  int64  `json:"work_days_x10"`
		ContractCmu  int64  `json:"contract_area_cmu"`
	}
	hh := []hhJSON{}
	for _, h := range rep.Households {
		hh = append(hh, hhJSON{h.HouseholdID, h.Number, int64(h.Rent), int64(h.Wages), int64(h.Sales), int64(h.Dividends), int64(h.Inputs), int64(h.Net()),
			int64(h.WorkDays), int64(h.ContractMu)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"coop_id": rep.CoopID, "year": rep.Year, "benefiting_households": rep.Benefiting,
		"rent_fen": int64(rep.Rent), "wages_fen": int64(rep.Wages), "sales_fen": int64(rep.Sales), "dividends_fen": int64(rep.Dividends),
		"inputs_fen": int64(rep.Inputs), "contracted_area_cmu": int64(rep.ContractedMu), "fields": rep.Fields, "field_area_cmu": int64(rep.FieldMu),
		"yield_g": int64(rep.Yield), "claimable_mu": rep.ClaimableMu, "claimed_mu": rep.ClaimedMu, "claims": rep.Claims,
		"claim_revenue_fen": int64(rep.ClaimRevenue), "shipped_claims": rep.ShippedClaims, "households": hh})
	return nil
}

type fieldJSON struct {
	ID            string    `json:"id"`
	CoopID        string    `json:"coop_id"`
	CountyCode    string    `json:"county_code"`
	Name          string    `json:"name"`
	Crop          string    `json:"crop"`
	Season        string    `json:"season"`
	AreaCmu       int64     `json:"area_cmu"`
	ClaimableMu   int64     `json:"claimable_mu"`
	ClaimedMu     int64     `json:"claimed_mu"`
	ClaimPriceFen int64     `json:"claim_price_fen"`
	ProductID     string    `json:"product_id,omitempty"`
	Status        string    `json:"status"`
	YieldG        int64     `json:"yield_g"`
	HarvestedAt   time.Time `json:"harvested_at,omitzero"`
}

func toField(f farms.Field) fieldJSON {
	return fieldJSON{f.ID, f.CoopID, f.CountyCode, f.Name, f.Crop, f.Season, int64(f.Area), f.ClaimableMu, f.ClaimedMu, int64(f.ClaimPrice), f.ProductID,
		f.Status, int64(f.Yield), f.HarvestedAt}
}

func (s *Server) apiFields(w http.ResponseWriter, r *http.Request, u access.User) error {
	fs, err := s.Farms.Fields(r.Context(), r.URL.Query().Get("coop_id"))
	if err != nil {
		return err
	}
	writeItems(w, fs, toField)
	return nil
}

func (s *Server) apiAddField(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Name          string `json:"name"`
		Crop          string `json:"crop"`
		Season        string `json:"season"`
		AreaCmu       int64  `json:"area_cmu"`
		ClaimableMu   int64  `json:"claimable_mu"`
		ClaimPriceFen int64  `json:"claim_price_fen"`
		ShopID        string `json:"shop_id"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	f, err := s.Farms.AddField(r.Context(), u.Principal(), r.PathValue("id"), farms.FieldInput{Name: in.Name, Crop: in.Crop, Season: in.Season,
		Area: farms.Area(in.AreaCmu), ClaimableMu: in.ClaimableMu, ClaimPrice: fishpond.Money(in.ClaimPriceFen), ShopID: in.ShopID})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toField(f))
	return nil
}

func (s *Server) apiField(w http.ResponseWriter, r *http.Request, u access.User) error {
	f, err := s.Farms.Field(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toField(f))
	return nil
}

type farmClaimJSON struct {
	ID          string    `json:"id"`
	FieldID     string    `json:"field_id"`
	Mu          int64     `json:"mu"`
	OrderID     string    `json:"order_id"`
	OrderStatus string    `json:"order_status"`
	Certificate string    `json:"certificate"`
	ShareG      int64     `json:"share_g"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
}

func toFarmClaim(c farms.Claim) farmClaimJSON {
	return farmClaimJSON{c.ID, c.FieldID, c.Mu, c.OrderID, c.OrderStatus, c.Certificate, int64(c.Share), c.Status, c.CreatedAt}
}

func (s *Server) apiMakeClaim(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Mu        int64  `json:"mu"`
		AddressID string `json:"address_id"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.Farms.MakeClaim(r.Context(), u.Principal(), r.PathValue("id"), farms.ClaimInput{Mu: in.Mu, AddressID: in.AddressID,
		IdempotencyKey: r.Header.Get("Idempotency-Key")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toFarmClaim(c))
	return nil
}

func (s *Server) apiMyClaims(w http.ResponseWriter, r *http.Request, u access.User) error {
	cs, err := s.Farms.MyClaims(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	writeItems(w, cs, toFarmClaim)
	return nil
}

func (s *Server) apiHarvest(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		YieldG int64 `json:"yield_g"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	h, err := s.Farms.RecordHarvest(r.Context(), u.Principal(), r.PathValue("id"), farms.Weight(in.YieldG))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"field": toField(h.Field), "shipped": h.Shipped, "unpaid": h.Unpaid})
	return nil
}

type updateJSON struct {
	ID        string    `json:"id"`
	Note      string    `json:"note"`
	PhotoURL  string    `json:"photo_url,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func toUpdate(u farms.Update) updateJSON {
	out := updateJSON{ID: u.ID, Note: u.Note, CreatedAt: u.CreatedAt}
	if u.HasPhoto {
		out.PhotoURL = "/fields/" + u.FieldID + "/updates/" + u.ID + "/photo"
	}
	return out
}

func (s *Server) apiFieldUpdates(w http.ResponseWriter, r *http.Request, u access.User) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	us, err := s.Farms.Updates(r.Context(), r.PathValue("id"), limit)
	if err != nil {
		return err
	}
	writeItems(w, us, toUpdate)
	return nil
}

// apiAddFieldUpdate takes multipart fields "note" and optional "photo".
func (s *Server) apiAddFieldUpdate(w http.ResponseWriter, r *http.Request, u access.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, 6<<20)
	up, err := s.addFieldUpdate(r, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toUpdate(up))
	return nil
}

func (s *Server) apiRunRent(w http.ResponseWriter, r *http.Request, u access.User) error {
	if u.Role != fishpond.RoleAdmin {
		return fishpond.Errorf(fishpond.EForbidden, "only an admin may run the rent scheduler / 只有管理员可以运行租金发放")
	}
	run, err := s.Farms.RunDueRent(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"paid": run.Paid, "amount_fen": int64(run.Amount)})
	return nil
}
