package insurance

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// Claim statuses.
const (
	ClaimSubmitted = "submitted" // passed the fraud checks, waiting for review
	ClaimFlagged   = "flagged"   // a fraud check fired; a reviewer must look
	ClaimPaid      = "paid"
	ClaimRejected  = "rejected"
)

// Fraud checks that can flag a claim.
const (
	FlagDuplicate    = "duplicate"     // same person, category, hospital, date and amount as an earlier claim
	FlagOutsideCover = "outside_cover" // incurred outside every cover period of the person
	FlagOverLimit    = "over_limit"    // more than what is left of the benefit limit
)

// ClaimRequest is a claim as a household or an officer files it.
type ClaimRequest struct {
	IdempotencyKey string
	MemberID       string
	Category       string // a benefit category of the plan
	Hospital       string
	Amount         fishpond.Money
	IncurredOn     string   // YYYY-MM-DD, diagnosis or admission
	Documents      []string // references of the scanned diagnosis, invoices, discharge summary
}

// Claim is a filed claim.
type Claim struct {
	ID             string
	EnrolmentID    string
	PlanID         string
	HouseholdID    string
	MemberID       string
	CountyCode     string
	Category       string
	Hospital       string
	Amount         fishpond.Money
	IncurredOn     string
	Documents      []string
	Flags          []string
	Status         string
	ApprovedAmount fishpond.Money
	Reason         string
	SubmittedBy    string
	ReviewedBy     string
	ReviewedAt     time.Time
	TransferID     string
	CreatedAt      time.Time
}

// Submit files a claim. A person never insured, a category the plan does not
// cover, or a malformed claim is an error that records nothing; a duplicate, a date
// outside the cover period or an amount over the benefit left are recorded and
// flagged for the reviewer.
func (s *Service) Submit(ctx context.Context, p fishpond.Principal, req ClaimRequest) (Claim, error) {
	req.Hospital, req.Category, req.IdempotencyKey = strings.TrimSpace(req.Hospital), strings.TrimSpace(req.Category), strings.TrimSpace(req.IdempotencyKey)
	now := s.now()
	today := Day(now)
	f := map[string]string{}
	if req.IdempotencyKey == "" || len(req.IdempotencyKey) > 100 {
		f["idempotency_key"] = "必填，最多100字节 required, at most 100 bytes"
	}
	if req.Hospital == "" || utf8.RuneCountInString(req.Hospital) > 100 {
		f["hospital"] = "必填，最多100字 required, at most 100 characters"
	}
	if req.Amount <= 0 || req.Amount > fishpond.Yuan(10_000_000) {
		f["amount"] = "须为正数 must be positive"
	}
	if _, err := time.Parse("2006-01-02", req.IncurredOn); err != nil || req.IncurredOn > today {
		f["incurred_on"] = "YYYY-MM-DD，不晚于今天 a date no later than today"
	}
	if len(req.Documents) == 0 || len(req.Documents) > 10 {
		f["documents"] = "须附 1 到 10 份材料（诊断证明、发票） attach 1 to 10 documents (diagnosis, invoices)"
	}
	for _, d := range req.Documents {
		if strings.TrimSpace(d) == "" || utf8.RuneCountInString(d) > 200 {
			f["documents"] = "每份材料最多200字 each document reference at most 200 characters"
		}
	}
	if len(f) > 0 {
		return Claim{}, fishpond.Invalid("理赔申请有误 invalid claim", f)
	}
	var c Claim
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if prev, err := scanClaim(tx.QueryRowContext(ctx, "SELECT "+claimColumns+" FROM insurance_claims WHERE idem_key = ?", req.IdempotencyKey)); err == nil {
			if !canClaim(p, prev.CountyCode, prev.HouseholdID) {
				return fishpond.Invalid("理赔申请有误 invalid claim", map[string]string{"member_id": "此人未参保 this person is not insured"})
			}
			if prev.MemberID != req.MemberID || prev.Amount != req.Amount || prev.Category != req.Category {
				return fishpond.Errorf(fishpond.EConflict, "这个幂等键已用于另一份理赔 idempotency key already used for another claim")
			}
			c = prev
			return nil
		}
		ens, err := s.enrolmentsWhere(ctx, tx, "member_id = ?", req.MemberID)
		if err != nil {
			return err
		}
		if len(ens) == 0 || !canClaim(p, ens[0].CountyCode, ens[0].HouseholdID) {
			return fishpond.Invalid("理赔申请有误 invalid claim", map[string]string{"member_id": "此人未参保 this person is not insured"})
		}
		// The enrolment covering the date, else the latest (and the claim is flagged).
		e := ens[0]
		covered := false
		for _, x := range ens {
			if x.Covers(req.IncurredOn) {
				e, covered = x, true
				break
			}
		}
		plan, err := loadPlan(ctx, tx, e.PlanID)
		if err != nil {
			return err
		}
		b, ok := plan.Benefit(req.Category)
		if !ok {
			return fishpond.Invalid("理赔申请有误 invalid claim", map[string]string{"category": "计划不保此类疾病 the plan does not cover this category"})
		}
		c = Claim{ID: newID(), EnrolmentID: e.ID, PlanID: e.PlanID, HouseholdID: e.HouseholdID, MemberID: e.MemberID, CountyCode: e.CountyCode,
			Category: req.Category, Hospital: req.Hospital, Amount: req.Amount, IncurredOn: req.IncurredOn, Documents: req.Documents,
			Status: ClaimSubmitted, SubmittedBy: p.UserID, CreatedAt: now}
		var dup int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM insurance_claims WHERE member_id = ? AND category = ? AND hospital = ? AND incurred_on = ?
			AND amount = ? AND status <> ?`, c.MemberID, c.Category, c.Hospital, c.IncurredOn, int64(c.Amount), ClaimRejected).Scan(&dup); err != nil {
			return err
		}
		if dup > 0 {
			c.Flags = append(c.Flags, FlagDuplicate)
		}
		if !covered {
			c.Flags = append(c.Flags, FlagOutsideCover)
		}
		used, err := paidFor(ctx, tx, e.ID, c.Category)
		if err != nil {
			return err
		}
		if used+c.Amount > b.Limit {
			c.Flags = append(c.Flags, FlagOverLimit)
		}
		if len(c.Flags) > 0 {
			c.Status = ClaimFlagged
		}
		docs, _ := json.Marshal(c.Documents)
		_, err = tx.ExecContext(ctx, "INSERT INTO insurance_claims ("+claimColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			c.ID, req.IdempotencyKey, c.EnrolmentID, c.PlanID, c.HouseholdID, c.MemberID, c.CountyCode, c.Category, c.Hospital, int64(c.Amount), c.IncurredOn,
			string(docs), strings.Join(c.Flags, ","), c.Status, 0, "", c.SubmittedBy, "", "", "", db.FormatTime(now))
		if err != nil {
			return err
		}
		return events.Append(ctx, tx, now, events.Event{Type: "insurance.claim.submitted", Subject: c.ID, CountyCode: c.CountyCode,
			Payload: map[string]any{"plan_id": c.PlanID, "category": c.Category, "fen": int64(c.Amount), "flags": c.Flags}})
	})
	return c, internal(err)
}

func canClaim(p fishpond.Principal, county, householdID string) bool {
	if p.Role == fishpond.RoleHousehold {
		return p.HouseholdID == householdID
	}
	return canEnrol(p, county)
}

// paidFor is what the enrolment's person has been paid for a category.
func paidFor(ctx context.Context, q db.Querier, enrolmentID, category string) (fishpond.Money, error) {
	var paid int64
	err := q.QueryRowContext(ctx, "SELECT COALESCE(SUM(approved_amount), 0) FROM insurance_claims WHERE enrolment_id = ? AND category = ? AND status = ?",
		enrolmentID, category, ClaimPaid).Scan(&paid)
	return fishpond.Money(paid), internal(err)
}

// Review approves or rejects a claim. Approval pays at most what is left of the
// benefit limit from the plan's pool to the household as transfer income, in one
// transaction; a claim flagged as duplicate or outside the cover period cannot be
// approved. Rejection needs a reason the household reads. Fund administrators,
// administrators and officers of the household's county review.
func (s *Service) Review(ctx context.Context, p fishpond.Principal, claimID string, approve bool, reason string) (Claim, error) {
	reason = strings.TrimSpace(reason)
	if (!approve && reason == "") || utf8.RuneCountInString(reason) > 500 {
		return Claim{}, fishpond.Invalid("审核意见有误 invalid review", map[string]string{"reason": "拒绝须写明理由，最多500字 a rejection needs a reason, at most 500 characters"})
	}
	var c Claim
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		c, err = scanClaim(tx.QueryRowContext(ctx, "SELECT "+claimColumns+" FROM insurance_claims WHERE id = ?"+tx.ForUpdate(), claimID))
		if err != nil || !canEnrol(p, c.CountyCode) {
			return fishpond.Errorf(fishpond.ENotFound, "没有这份理赔 no claim %s", claimID)
		}
		if c.Status != ClaimSubmitted && c.Status != ClaimFlagged {
			return fishpond.Errorf(fishpond.EConflict, "理赔已处理（%s） the claim is already %s", c.Status, c.Status)
		}
		now := s.now()
		c.ReviewedBy, c.ReviewedAt, c.Reason = p.UserID, now, reason
		if !approve {
			c.Status = ClaimRejected
			if _, err := tx.ExecContext(ctx, "UPDATE insurance_claims SET status = ?, reason = ?, reviewed_by = ?, reviewed_at = ? WHERE id = ?",
				c.Status, reason, p.UserID, db.FormatTime(now), c.ID); err != nil {
				return err
			}
			return events.Append(ctx, tx, now, events.Event{Type: "insurance.claim.rejected", Subject: c.ID, CountyCode: c.CountyCode,
				Payload: map[string]any{"plan_id": c.PlanID, "category": c.Category, "fen": int64(c.Amount), "flags": c.Flags}})
		}
		if slices.Contains(c.Flags, FlagDuplicate) || slices.Contains(c.Flags, FlagOutsideCover) {
			return fishpond.Errorf(fishpond.EConflict, "理赔未通过核查（%s），只能拒绝 the claim failed the fraud checks (%s); reject it", strings.Join(c.Flags, ", "), strings.Join(c.Flags, ", "))
		}
		plan, err := loadPlan(ctx, tx, c.PlanID)
		if err != nil {
			return err
		}
		b, _ := plan.Benefit(c.Category)
		used, err := paidFor(ctx, tx, c.EnrolmentID, c.Category)
		if err != nil {
			return err
		}
		pay := min(c.Amount, b.Limit-used)
		if pay <= 0 {
			return fishpond.Errorf(fishpond.EConflict, "此类保障额度已用完 the benefit limit for %s is used up", c.Category)
		}
		pa, err := ensurePlanAccounts(ctx, tx, c.PlanID)
		if err != nil {
			return err
		}
		pool, err := ledger.BalanceTx(ctx, tx, pa.pool.ID)
		if err != nil {
			return err
		}
		if pool < pay {
			return fishpond.Errorf(fishpond.EConflict, "保险资金池余额 %s 元不足 the plan's pool holds only %s yuan", pool, pool)
		}
		hh, err := ledger.EnsureHouseholdAccounts(ctx, tx, c.HouseholdID)
		if err != nil {
			return err
		}
		t, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{IdempotencyKey: "insurance:claim:" + c.ID + ":payout", Kind: "insurance_payout",
			Memo: "大病保险赔付 health insurance payout (" + c.Category + ")", Evidence: "claim " + c.ID,
			Postings: []ledger.Posting{{AccountID: pa.claims.ID, Amount: pay}, {AccountID: pa.pool.ID, Amount: -pay},
				{AccountID: hh.Wallet.ID, Amount: pay}, {AccountID: hh.Transfer.ID, Amount: -pay}}})
		if err != nil {
			return err
		}
		c.Status, c.ApprovedAmount, c.TransferID = ClaimPaid, pay, t.ID
		if _, err := tx.ExecContext(ctx, "UPDATE insurance_claims SET status = ?, approved_amount = ?, reason = ?, reviewed_by = ?, reviewed_at = ?, transfer_id = ? WHERE id = ?",
			c.Status, int64(pay), reason, p.UserID, db.FormatTime(now), t.ID, c.ID); err != nil {
			return err
		}
		return events.Append(ctx, tx, now, events.Event{Type: "insurance.claim.paid", Subject: c.ID, CountyCode: c.CountyCode,
			Payload: map[string]any{"plan_id": c.PlanID, "category": c.Category, "fen": int64(pay), "claimed_fen": int64(c.Amount)}})
	})
	return c, internal(err)
}

const claimColumns = `id, idem_key, enrolment_id, plan_id, household_id, member_id, county_code, category, hospital, amount, incurred_on, documents,
	flags, status, approved_amount, reason, submitted_by, reviewed_by, reviewed_at, transfer_id, created_at`

func scanClaim(row interface{ Scan(...any) error }) (Claim, error) {
	var c Claim
	var key, docs, flags, reviewed, created string
	err := row.Scan(&c.ID, &key, &c.EnrolmentID, &c.PlanID, &c.HouseholdID, &c.MemberID, &c.CountyCode, &c.Category, &c.Hospital, &c.Amount,
		&c.IncurredOn, &docs, &flags, &c.Status, &c.ApprovedAmount, &c.Reason, &c.SubmittedBy, &c.ReviewedBy, &reviewed, &c.TransferID, &created)
	if err != nil {
		return c, err
	}
	json.Unmarshal([]byte(docs), &c.Documents)
	if flags != "" {
		c.Flags = strings.Split(flags, ",")
	}
	if reviewed != "" {
		c.ReviewedAt = db.MustTime(reviewed)
	}
	c.CreatedAt = db.MustTime(created)
	return c, nil
}

// Claim reads one claim for the household and those who review it.
func (s *Service) Claim(ctx context.Context, p fishpond.Principal, id string) (Claim, error) {
	c, err := scanClaim(s.db.Read().QueryRowContext(ctx, "SELECT "+claimColumns+" FROM insurance_claims WHERE id = ?", id))
	if err != nil || !p.CanSeeHousehold(c.CountyCode, c.HouseholdID) {
		return Claim{}, fishpond.Errorf(fishpond.ENotFound, "没有这份理赔 no claim %s", id)
	}
	return c, nil
}

// Claims lists a household's claims, newest first.
func (s *Service) Claims(ctx context.Context, p fishpond.Principal, householdID string) ([]Claim, error) {
	var county string
	if err := s.db.Read().QueryRowContext(ctx, "SELECT county_code FROM households WHERE id = ?", householdID).Scan(&county); err != nil || !p.CanSeeHousehold(county, householdID) {
		return nil, fishpond.Errorf(fishpond.ENotFound, "没有这个登记户 no registered household %s", householdID)
	}
	return s.claimsWhere(ctx, "household_id = ? ORDER BY created_at DESC, id DESC LIMIT 200", householdID)
}

// ClaimQueue lists claims waiting for review in the counties p reviews, oldest first.
func (s *Service) ClaimQueue(ctx context.Context, p fishpond.Principal) ([]Claim, error) {
	switch {
	case p.Role == fishpond.RoleAdmin || p.Role == fishpond.RoleFundAdmin:
		return s.claimsWhere(ctx, "status IN (?, ?) ORDER BY created_at, id LIMIT 200", ClaimSubmitted, ClaimFlagged)
	case p.Role == fishpond.RoleCountyOfficer && len(p.Counties) > 0:
		args := []any{ClaimSubmitted, ClaimFlagged}
		for _, c := range p.Counties {
			args = append(args, c)
		}
		return s.claimsWhere(ctx, "status IN (?, ?) AND county_code IN ("+db.Placeholders(len(p.Counties))+") ORDER BY created_at, id LIMIT 200", args...)
	}
	return nil, fishpond.Errorf(fishpond.EForbidden, "无权审核理赔 not allowed to review claims")
}

func (s *Service) claimsWhere(ctx context.Context, where string, args ...any) ([]Claim, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+claimColumns+" FROM insurance_claims WHERE "+where, args...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Claim
	for rows.Next() {
		c, err := scanClaim(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, c)
	}
	return out, internal(rows.Err())
}
