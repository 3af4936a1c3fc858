package credit

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
)

// Application statuses.
const (
	AppApproved = "approved" // a loan was disbursed (loan_id)
	AppReferred = "referred" // waiting for an officer
	AppDeclined = "declined"
)

// ApplicationRequest is a loan application of a household (HouseholdID) or of a
// farm cooperative (CoopID, applied for by its manager or an officer).
type ApplicationRequest struct {
	IdempotencyKey string
	HouseholdID    string
	CoopID         string
	ProductID      string
	Amount         fishpond.Money
	Note           string // what the money is for, in the applicant's words
	Supplier       string // input supplier paid directly (in-kind products)
}

// Application is an application with its recorded decision.
type Application struct {
	ID           string
	HouseholdID  string // "" for a cooperative's application
	CoopID       string // "" for a household's
	CountyCode   string
	BorrowerKind string
	ProductID    string
	Amount       fishpond.Money
	Note         string
	Supplier     string
	Decision     Decision
	Inputs       Inputs
	ModelName    string
	Status       string
	AppliedBy    string
	ReviewedBy   string
	ReviewNote   string
	ReviewedAt   time.Time
	LoanID       string
	CreatedAt    time.Time
}

// BorrowerID is the household's or the cooperative's id.
func (a Application) BorrowerID() string {
	if a.CoopID != "" {
		return a.CoopID
	}
	return a.HouseholdID
}

// borrowerColumn is the column naming a borrower of the kind.
func borrowerColumn(kind string) string {
	if kind == BorrowerCoop {
		return "coop_id"
	}
	return "household_id"
}

// canReview reports whether p may decide referred applications and restructure
// loans of the county.
func canReview(p fishpond.Principal, county string) bool {
	switch p.Role {
	case fishpond.RoleAdmin, fishpond.RoleFundAdmin:
		return true
	case fishpond.RoleCountyOfficer:
		return p.CanSeeCounty(county)
	}
	return false
}

// Apply scores an application and decides it at once: approved applications are
// disbursed in the same transaction, referred ones wait for an officer, declined
// ones end. Over-limit amounts, unknown products and a second application while one
// is waiting or a loan is open are errors that record nothing. Repeating a request
// with the same idempotency key returns the first application.
func (s *Service) Apply(ctx context.Context, p fishpond.Principal, req ApplicationRequest) (Application, error) {
	req.Note, req.Supplier, req.IdempotencyKey = strings.TrimSpace(req.Note), strings.TrimSpace(req.Supplier), strings.TrimSpace(req.IdempotencyKey)
	f := map[string]string{}
	if req.IdempotencyKey == "" || len(req.IdempotencyKey) > 100 {
		f["idempotency_key"] = "必填，最多100字节 required, at most 100 bytes"
	}
	if utf8.RuneCountInString(req.Note) > 200 {
		f["note"] = "最多200字 at most 200 characters"
	}
	if utf8.RuneCountInString(req.Supplier) > 100 {
		f["supplier"] = "最多100字 at most 100 characters"
	}
	req.HouseholdID, req.CoopID = strings.TrimSpace(req.HouseholdID), strings.TrimSpace(req.CoopID)
	kind, borrowerID := BorrowerHousehold, req.HouseholdID
	switch {
	case req.HouseholdID != "" && req.CoopID != "":
		f["coop_id"] = "只能为一户或一个合作社申请 name a household or a cooperative, not both"
	case req.CoopID != "":
		kind, borrowerID = BorrowerCoop, req.CoopID
	case req.HouseholdID == "":
		f["household_id"] = "须填写申请的农户或合作社 name the household (household_id) or the cooperative (coop_id) applying"
	}
	if len(f) > 0 {
		return Application{}, fishpond.Invalid("贷款申请有误 invalid application", f)
	}
	var app Application
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if prev, err := scanApplication(tx.QueryRowContext(ctx, "SELECT "+appColumns+" FROM credit_applications WHERE idem_key = ?", req.IdempotencyKey)); err == nil {
			pb, err := loadBorrower(ctx, tx, prev.BorrowerKind, prev.BorrowerID())
			if err != nil {
				return err
			}
			if !canAct(p, pb) {
				return applyDenied(p, pb)
			}
			if prev.HouseholdID != req.HouseholdID || prev.CoopID != req.CoopID || prev.ProductID != req.ProductID || prev.Amount != req.Amount {
				return fishpond.Errorf(fishpond.EConflict, "这个幂等键已用于另一份申请 idempotency key already used for another application")
			}
			app = prev
			return nil
		}
		b, err := loadBorrower(ctx, tx, kind, borrowerID)
		if err != nil {
			if fishpond.Code(err) == fishpond.ENotFound {
				return b.notFound()
			}
			return err
		}
		if !canAct(p, b) {
			return applyDenied(p, b)
		}
		county, col := b.County, borrowerColumn(kind)
		pr, err := loadProduct(ctx, tx, req.ProductID)
		if err != nil {
			if fishpond.Code(err) == fishpond.ENotFound {
				return fishpond.Invalid("贷款申请有误 invalid application", map[string]string{"product_id": "没有这个贷款产品 no such loan product"})
			}
			return err
		}
		if !pr.Active {
			return fishpond.Invalid("贷款申请有误 invalid application", map[string]string{"product_id": "产品已停用 product withdrawn"})
		}
		if req.Amount < pr.MinAmount || req.Amount > pr.MaxAmount {
			return fishpond.Invalid("贷款申请有误 invalid application", map[string]string{"amount": "金额须在 " + pr.MinAmount.String() + " 到 " + pr.MaxAmount.String() + " 元之间 amount must be between the product's limits"})
		}
		if pr.Disbursement == DisburseSupplier && req.Supplier == "" {
			return fishpond.Invalid("贷款申请有误 invalid application", map[string]string{"supplier": "实物贷款须填写农资供应商 name the input supplier"})
		}
		var open int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM credit_applications WHERE "+col+" = ? AND status = ?", borrowerID, AppReferred).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return fishpond.Errorf(fishpond.EConflict, "已有一份申请在审核中 an application is already waiting for review")
		}
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM credit_loans WHERE "+col+" = ? AND status IN (?, ?)", borrowerID, StatusActive, StatusOverdue).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return fishpond.Errorf(fishpond.EConflict, "须先还清现有贷款 repay the open loan first")
		}
		now := s.now()
		in, err := s.gatherInputs(ctx, tx, b, req.Amount, now)
		if err != nil {
			return err
		}
		dec := s.cfg.Model.Decide(in)
		app = Application{ID: newID(), HouseholdID: req.HouseholdID, CoopID: req.CoopID, CountyCode: county, BorrowerKind: kind, ProductID: pr.ID,
			Amount: req.Amount, Note: req.Note, Supplier: req.Supplier, Decision: dec, Inputs: in, ModelName: s.cfg.Model.Name,
			AppliedBy: p.UserID, CreatedAt: now}
		switch dec.Outcome {
		case Approve:
			app.Status = AppApproved
		case Refer:
			app.Status = AppReferred
		default:
			app.Status = AppDeclined
		}
		inputs, _ := json.Marshal(in)
		reasons, _ := json.Marshal(dec.Reasons)
		model, _ := json.Marshal(s.cfg.Model)
		if _, err := tx.ExecContext(ctx, "INSERT INTO credit_applications ("+appInsertColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			app.ID, req.IdempotencyKey, nullable(app.HouseholdID), nullable(app.CoopID), county, app.BorrowerKind, app.ProductID, int64(app.Amount), app.Note, app.Supplier,
			dec.Score, dec.Outcome, app.Status, string(inputs), string(reasons), string(model), app.AppliedBy, "", "", "", "", db.FormatTime(now)); err != nil {
			if db.IsUniqueViolation(err) {
				return fishpond.Errorf(fishpond.EConflict, "已有一份申请在审核中 an application is already waiting for review")
			}
			return err
		}
		if app.Status == AppApproved {
			if _, err := s.disburse(ctx, tx, now, &app, pr); err != nil {
				return err
			}
		}
		return events.Append(ctx, tx, now, events.Event{Type: "credit.application.decided", Subject: app.ID, CountyCode: county,
			Payload: map[string]any{"outcome": dec.Outcome, "score": dec.Score, "amount_fen": int64(app.Amount), "borrower_kind": app.BorrowerKind}})
	})
	return app, internal(err)
}

// Review decides a referred application: approve disburses the loan at once,
// decline needs a reason the applicant will read. Only officers of the household's
// county (and administrators) review.
func (s *Service) Review(ctx context.Context, p fishpond.Principal, appID string, approve bool, note string) (Application, error) {
	note = strings.TrimSpace(note)
	if !approve && note == "" {
		return Application{}, fishpond.Invalid("审核意见有误 invalid review", map[string]string{"note": "拒绝须写明理由 a decline needs a reason"})
	}
	if utf8.RuneCountInString(note) > 500 {
		return Application{}, fishpond.Invalid("审核意见有误 invalid review", map[string]string{"note": "最多500字 at most 500 characters"})
	}
	var app Application
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		app, err = scanApplication(tx.QueryRowContext(ctx, "SELECT "+appColumns+" FROM credit_applications WHERE id = ?"+tx.ForUpdate(), appID))
		if err != nil || !canReview(p, app.CountyCode) {
			return fishpond.Errorf(fishpond.ENotFound, "没有这份申请 no application %s", appID)
		}
		if app.Status != AppReferred {
			return fishpond.Errorf(fishpond.EConflict, "申请已决定（%s），不能再审核 the application is already %s", app.Status, app.Status)
		}
		now := s.now()
		app.ReviewedBy, app.ReviewNote, app.ReviewedAt = p.UserID, note, now
		app.Status = AppDeclined
		if approve {
			app.Status = AppApproved
		}
		if _, err := tx.ExecContext(ctx, "UPDATE credit_applications SET status = ?, reviewed_by = ?, review_note = ?, reviewed_at = ? WHERE id = ?",
			app.Status, p.UserID, note, db.FormatTime(now), app.ID); err != nil {
			return err
		}
		if approve {
			pr, err := loadProduct(ctx, tx, app.ProductID)
			if err != nil {
				return err
			}
			if _, err := s.disburse(ctx, tx, now, &app, pr); err != nil {
				return err
			}
		}
		outcome := "declined_by_officer"
		if approve {
			outcome = "approved_by_officer"
		}
		return events.Append(ctx, tx, now, events.Event{Type: "credit.application.reviewed", Subject: app.ID, CountyCode: app.CountyCode,
			Payload: map[string]any{"outcome": outcome, "amount_fen": int64(app.Amount), "borrower_kind": app.BorrowerKind}})
	})
	return app, internal(err)
}

const appInsertColumns = `id, idem_key, household_id, coop_id, county_code, borrower_kind, product_id, amount, note, supplier, score, outcome, status,
	inputs, reasons, model, applied_by, reviewed_by, review_note, reviewed_at, loan_id, created_at`

const appColumns = `id, idem_key, COALESCE(household_id, ''), COALESCE(coop_id, ''), county_code, borrower_kind, product_id, amount, note, supplier, score,
	outcome, status, inputs, reasons, model, applied_by, reviewed_by, review_note, reviewed_at, loan_id, created_at`

func scanApplication(row interface{ Scan(...any) error }) (Application, error) {
	var a Application
	var key, inputs, reasons, model, reviewedAt, created string
	err := row.Scan(&a.ID, &key, &a.HouseholdID, &a.CoopID, &a.CountyCode, &a.BorrowerKind, &a.ProductID, &a.Amount, &a.Note, &a.Supplier,
		&a.Decision.Score, &a.Decision.Outcome, &a.Status, &inputs, &reasons, &model, &a.AppliedBy, &a.ReviewedBy, &a.ReviewNote, &reviewedAt, &a.LoanID, &created)
	if err != nil {
		return a, err
	}
	json.Unmarshal([]byte(inputs), &a.Inputs)
	json.Unmarshal([]byte(reasons), &a.Decision.Reasons)
	var m Model
	json.Unmarshal([]byte(model), &m)
	a.ModelName = m.Name
	a.CreatedAt = db.MustTime(created)
	if reviewedAt != "" {
		a.ReviewedAt = db.MustTime(reviewedAt)
	}
	return a, nil
}

// Application reads one application, for the applicant and the officers who see it.
func (s *Service) Application(ctx context.Context, p fishpond.Principal, id string) (Application, error) {
	a, err := scanApplication(s.db.Read().QueryRowContext(ctx, "SELECT "+appColumns+" FROM credit_applications WHERE id = ?", id))
	if err == nil {
		var b borrower
		if b, err = loadBorrower(ctx, s.db.Read(), a.BorrowerKind, a.BorrowerID()); err == nil && !canSee(p, b) {
			err = b.notFound()
		}
	}
	if err != nil {
		return Application{}, fishpond.Errorf(fishpond.ENotFound, "没有这份申请 no application %s", id)
	}
	return a, nil
}

// Applications lists a household's applications, newest first.
func (s *Service) Applications(ctx context.Context, p fishpond.Principal, householdID string) ([]Application, error) {
	return s.borrowerApps(ctx, p, BorrowerHousehold, householdID)
}

// CoopApplications lists a farm cooperative's applications, newest first, for its
// manager and the officers of its county.
func (s *Service) CoopApplications(ctx context.Context, p fishpond.Principal, coopID string) ([]Application, error) {
	return s.borrowerApps(ctx, p, BorrowerCoop, coopID)
}

func (s *Service) borrowerApps(ctx context.Context, p fishpond.Principal, kind, id string) ([]Application, error) {
	b, err := loadBorrower(ctx, s.db.Read(), kind, id)
	if err != nil || !canSee(p, b) {
		if err != nil && fishpond.Code(err) != fishpond.ENotFound {
			return nil, err
		}
		return nil, b.notFound()
	}
	return s.listApps(ctx, borrowerColumn(kind)+" = ?", []any{id}, 100)
}

// Queue lists referred applications waiting for review in the counties p reviews,
// oldest first.
func (s *Service) Queue(ctx context.Context, p fishpond.Principal, limit int) ([]Application, error) {
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	switch {
	case p.Role == fishpond.RoleAdmin || p.Role == fishpond.RoleFundAdmin:
		return s.listApps(ctx, "status = ?", []any{AppReferred}, limit)
	case p.Role == fishpond.RoleCountyOfficer && len(p.Counties) > 0:
		args := []any{AppReferred}
		for _, c := range p.Counties {
			args = append(args, c)
		}
		return s.listApps(ctx, "status = ? AND county_code IN ("+db.Placeholders(len(p.Counties))+")", args, limit)
	}
	return nil, fishpond.Errorf(fishpond.EForbidden, "只有县级工作人员可以审核 only county officers review applications")
}

func (s *Service) listApps(ctx context.Context, where string, args []any, limit int) ([]Application, error) {
	order := "created_at DESC, id DESC"
	if strings.HasPrefix(where, "status") {
		order = "created_at, id"
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+appColumns+" FROM credit_applications WHERE "+where+" ORDER BY "+order+" LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Application
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, a)
	}
	return out, internal(rows.Err())
}
