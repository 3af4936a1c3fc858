package fund

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// Disbursement statuses.
const (
	StatusPending  = "pending"
	StatusPaid     = "paid"
	StatusRejected = "rejected"
)

// Payee kinds: a programme (its running costs), a partner organisation, or a
// registered household directly (transfer income).
const (
	PayeeProgramme = "programme"
	PayeePartner   = "partner"
	PayeeHousehold = "household"
)

// Disbursement is money leaving the fund against an allocation.
type Disbursement struct {
	ID             string         `json:"id"`
	FundID         string         `json:"fund_id"`
	AllocationID   string         `json:"allocation_id"`
	Area           string         `json:"area"`
	CountyCode     string         `json:"county_code"`
	ProgrammeID    string         `json:"programme_id"`
	PayeeKind      string         `json:"payee_kind"`
	Payee          string         `json:"payee"` // partner's or programme's name; for a household, its id
	HouseholdID    string         `json:"household_id"`
	EnrolmentID    string         `json:"enrolment_id"` // the student or teacher supported, for education awards
	Purpose        string         `json:"purpose"`
	Amount         fishpond.Money `json:"amount_fen"`
	Status         string         `json:"status"`
	IdempotencyKey string         `json:"idempotency_key"`
	RequestedBy    string         `json:"requested_by"`
	RequestedAt    time.Time      `json:"requested_at"`
	DecidedBy      string         `json:"decided_by"`
	DecidedAt      time.Time      `json:"decided_at"`
	Reason         string         `json:"reason"`
	TransferID     string         `json:"transfer_id"`
	PaidAt         time.Time      `json:"paid_at"`
	EffectiveOn    string         `json:"effective_on"`
	Documents      int            `json:"documents"`
	// Replayed is true when the idempotency key had been used with the same
	// request: the first result is returned and nothing new was written.
	Replayed bool `json:"replayed"`
}

// DisbursementInput requests a disbursement.
type DisbursementInput struct {
	AllocationID   string         `json:"allocation_id,omitempty"`
	PayeeKind      string         `json:"payee_kind,omitempty"`
	Payee          string         `json:"payee,omitempty"`        // partner or programme name (programme: defaults to the programme's)
	HouseholdID    string         `json:"household_id,omitempty"` // payee kind household
	ProgrammeID    string         `json:"programme_id,omitempty"` // optional; defaults to the allocation's programme
	EnrolmentID    string         `json:"enrolment_id,omitempty"` // optional: the enrolled student or teacher this supports
	Purpose        string         `json:"purpose,omitempty"`
	Amount         fishpond.Money `json:"amount_fen,omitempty"`
	IdempotencyKey string         `json:"idempotency_key,omitempty"`
	// On is the day the money counts for, when recording a payment made earlier
	// (YYYY-MM-DD, not in the future); "" is the day it is paid.
	On string `json:"on,omitempty"`
}

// RequestDisbursement records a disbursement against an allocation. At or below
// the fund's four-eyes amount it is paid at once; above it, it waits for a second
// fund administrator (ApproveDisbursement). Requests over what the allocation has
// left — counting what already waits for approval — are refused.
func (s *Service) RequestDisbursement(ctx context.Context, p fishpond.Principal, in DisbursementInput) (Disbursement, error) {
	if !canManage(p) {
		return Disbursement{}, forbidden("只有基金管理员可以拨付 / only fund administrators may disburse")
	}
	in.Payee, in.Purpose, in.IdempotencyKey = strings.TrimSpace(in.Payee), strings.TrimSpace(in.Purpose), strings.TrimSpace(in.IdempotencyKey)
	f := map[string]string{}
	if in.Amount <= 0 || in.Amount > ledger.MaxAmount {
		f["amount_fen"] = "须为正数 / must be a positive amount"
	}
	if in.Purpose == "" || tooLong(in.Purpose, 200) {
		f["purpose"] = "必填，最长200字 / required, at most 200 characters"
	}
	if in.IdempotencyKey == "" || len(in.IdempotencyKey) > 150 {
		f["idempotency_key"] = "必填，最长150字节 / required, at most 150 bytes"
	}
	if in.On != "" {
		if _, ok := parseDay(in.On); !ok || in.On > s.today() {
			f["on"] = "不晚于今天的日期 / a date not in the future, like 2020-06-30"
		}
	}
	switch in.PayeeKind {
	case PayeeHousehold:
		if in.HouseholdID == "" {
			f["household_id"] = "必填 / required for a household payee"
		}
	case PayeePartner:
		if in.Payee == "" || tooLong(in.Payee, 100) {
			f["payee"] = "合作伙伴名称必填 / the partner's name is required"
		}
	case PayeeProgramme:
	default:
		f["payee_kind"] = "须为 programme, partner 或 household / one of programme, partner, household"
	}
	if len(f) > 0 {
		return Disbursement{}, fishpond.Invalid("拨付有误 / invalid disbursement", f)
	}
	// The household must be one the caller can see; its county is checked
	// against the allocation's in the transaction.
	var hhCounty string
	if in.PayeeKind == PayeeHousehold {
		h, err := s.reg.Household(ctx, p, in.HouseholdID)
		if err != nil {
			return Disbursement{}, fishpond.Invalid("户不存在 / no such household", map[string]string{"household_id": "unknown household"})
		}
		hhCounty = h.CountyCode
	}
	var d Disbursement
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		prev, err := scanDisbursement(tx.QueryRowContext(ctx, "SELECT "+disbursementColumns+" WHERE d.idempotency_key = ?", in.IdempotencyKey))
		if err == nil {
			if prev.AllocationID != in.AllocationID || prev.Amount != in.Amount || prev.PayeeKind != in.PayeeKind || prev.HouseholdID != in.HouseholdID || prev.Purpose != in.Purpose ||
				(in.On != "" && prev.EffectiveOn != in.On) {
				return fishpond.Errorf(fishpond.EConflict, "幂等键已用于另一笔拨付 / the idempotency key was used for another disbursement")
			}
			d, d.Replayed = prev, true
			return nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return fishpond.Internal(err)
		}
		a, err := scanAllocation(tx.QueryRowContext(ctx, "SELECT "+allocationColumns+" WHERE id = ?"+tx.ForUpdate(), in.AllocationID))
		if errors.Is(err, sql.ErrNoRows) {
			return fishpond.Invalid("分配不存在 / no such allocation", map[string]string{"allocation_id": "unknown allocation"})
		} else if err != nil {
			return fishpond.Internal(err)
		}
		fd, err := loadFundForUpdate(ctx, tx, a.FundID)
		if err != nil {
			return err
		}
		d = Disbursement{ID: newID(), FundID: fd.ID, AllocationID: a.ID, Area: a.Area, CountyCode: a.CountyCode, ProgrammeID: a.ProgrammeID,
			PayeeKind: in.PayeeKind, Payee: in.Payee, HouseholdID: in.HouseholdID, EnrolmentID: in.EnrolmentID, Purpose: in.Purpose, Amount: in.Amount,
			Status: StatusPending, IdempotencyKey: in.IdempotencyKey, RequestedBy: p.UserID, RequestedAt: now, EffectiveOn: in.On}
		if in.On != "" && in.On < fd.StartsOn {
			return fishpond.Invalid("早于基金开始日期 / before the fund started", map[string]string{"on": "not before " + fd.StartsOn})
		}
		if in.ProgrammeID != "" && d.ProgrammeID == "" {
			d.ProgrammeID = in.ProgrammeID
		}
		if in.ProgrammeID != "" && in.ProgrammeID != d.ProgrammeID {
			return fishpond.Invalid("项目与分配不一致 / the programme is not the allocation's", map[string]string{"programme_id": "must be the allocation's programme"})
		}
		if d.ProgrammeID != "" {
			pr, err := loadProgramme(ctx, tx, d.ProgrammeID)
			if err != nil || pr.FundID != fd.ID {
				return fishpond.Invalid("项目不存在 / no such programme of this fund", map[string]string{"programme_id": "unknown programme"})
			}
			if d.PayeeKind == PayeeProgramme && d.Payee == "" {
				d.Payee = pr.Name
			}
			if d.CountyCode == "" && len(pr.Counties) == 1 {
				d.CountyCode = pr.Counties[0]
			}
		} else if d.PayeeKind == PayeeProgramme {
			return fishpond.Invalid("请指明项目 / name the programme", map[string]string{"programme_id": "required for a programme payee"})
		}
		if d.PayeeKind == PayeeHousehold {
			if d.CountyCode != "" && d.CountyCode != hhCounty {
				return fishpond.Invalid("该户不在分配的县 / the household is not in the allocation's county", map[string]string{"household_id": "must live in county " + d.CountyCode})
			}
			d.CountyCode, d.Payee = hhCounty, in.HouseholdID
		}
		if d.EnrolmentID != "" {
			e, err := loadEnrolment(ctx, tx, d.EnrolmentID)
			if err != nil || (d.ProgrammeID != "" && e.ProgrammeID != d.ProgrammeID) || (d.HouseholdID != "" && e.HouseholdID != d.HouseholdID) {
				return fishpond.Invalid("报名记录不符 / the enrolment does not match", map[string]string{"enrolment_id": "must be an enrolment of this programme and household"})
			}
			if d.ProgrammeID == "" {
				d.ProgrammeID = e.ProgrammeID
			}
			if d.CountyCode == "" {
				d.CountyCode = e.CountyCode
			}
		}
		// Budget: this allocation and, for a county or programme, its area.
		spent, err := spentByAllocation(ctx, tx, fd.ID)
		if err != nil {
			return err
		}
		used := func(id string) fishpond.Money { return spent[id][0] + spent[id][1] }
		if left := a.Budget - used(a.ID) - childrenUsed(ctx, tx, a.ID, used); d.Amount > left {
			return overBudget(left)
		}
		if a.ParentID != "" {
			parent, err := scanAllocation(tx.QueryRowContext(ctx, "SELECT "+allocationColumns+" WHERE id = ?", a.ParentID))
			if err != nil {
				return fishpond.Internal(err)
			}
			if left := parent.Budget - used(parent.ID) - childrenUsed(ctx, tx, parent.ID, used); d.Amount > left {
				return overBudget(left)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO fund_disbursements (id, fund_id, allocation_id, area, county_code, programme_id, payee_kind, payee,
			household_id, enrolment_id, purpose, amount, status, idempotency_key, requested_by, requested_at, decided_by, decided_at, reason, transfer_id, paid_at, effective_on)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', '', '', ?)`,
			d.ID, d.FundID, d.AllocationID, d.Area, d.CountyCode, d.ProgrammeID, d.PayeeKind, d.Payee, d.HouseholdID, d.EnrolmentID, d.Purpose,
			int64(d.Amount), d.Status, d.IdempotencyKey, d.RequestedBy, db.FormatTime(now), d.EffectiveOn); err != nil {
			if db.IsUniqueViolation(err) {
				return db.Retry(err) // a concurrent request with the same key: read it next time
			}
			return fishpond.Internal(err)
		}
		if d.Amount > fd.FourEyesAbove {
			return nil // waits for a second approver
		}
		return s.pay(ctx, tx, now, &d, p.UserID)
	})
	if err != nil {
		return Disbursement{}, err
	}
	return d, nil
}

// childrenUsed sums what the children of an allocation have paid or reserved.
func childrenUsed(ctx context.Context, tx *db.Tx, parentID string, used func(string) fishpond.Money) fishpond.Money {
	rows, err := tx.QueryContext(ctx, "SELECT id FROM fund_allocations WHERE parent_id = ?", parentID)
	if err != nil {
		return 0
	}
	defer rows.Close()
	var sum fishpond.Money
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			sum += used(id)
		}
	}
	return sum
}

func overBudget(left fishpond.Money) error {
	if left < 0 {
		left = 0
	}
	return fishpond.Invalid("超出分配预算 / the disbursement exceeds what the allocation has left",
		map[string]string{"amount_fen": "最多 / at most " + left.String() + " 元 / yuan"})
}

// pay posts the disbursement to the ledger — the area's grants against the fund's
// cash, and for a household its wallet against its transfer income — marks it paid
// and appends fund.disbursement.paid, all in tx.
func (s *Service) pay(ctx context.Context, tx *db.Tx, now time.Time, d *Disbursement, decidedBy string) error {
	fd, err := loadFund(ctx, tx, d.FundID)
	if err != nil {
		return err
	}
	cash, _, err := fundAccounts(ctx, tx, fd.ID, fd.Name)
	if err != nil {
		return err
	}
	grants, err := ledger.EnsureAccount(ctx, tx, ledger.AccountSpec{Owner: FundOwner(fd.ID), Category: grantsCategory(d.Area), Kind: ledger.KindExpense,
		Name: "拨付 " + AreaWords[d.Area][0] + " grants " + AreaWords[d.Area][1]})
	if err != nil {
		return err
	}
	legs := []ledger.Posting{{AccountID: grants.ID, Amount: d.Amount}, {AccountID: cash.ID, Amount: -d.Amount}}
	memo := "基金拨付 fund disbursement: " + d.Purpose
	if d.PayeeKind == PayeeHousehold {
		hh, err := ledger.EnsureHouseholdAccounts(ctx, tx, d.HouseholdID)
		if err != nil {
			return err
		}
		legs = append(legs, ledger.Posting{AccountID: hh.Wallet.ID, Amount: d.Amount}, ledger.Posting{AccountID: hh.Transfer.ID, Amount: -d.Amount})
	} else {
		memo += " → " + d.Payee
	}
	if len(memo) > 400 {
		memo = memo[:400]
	}
	if d.EffectiveOn == "" {
		d.EffectiveOn = now.In(fishpond.ChinaTime).Format(time.DateOnly)
	}
	day, _ := parseDay(d.EffectiveOn)
	at := now
	if d.EffectiveOn != now.In(fishpond.ChinaTime).Format(time.DateOnly) {
		at = day.Add(10 * time.Hour) // a back-filled payment counts on its own day
	}
	t, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{IdempotencyKey: "fund:disbursement:" + d.ID, Kind: "fund_disbursement", Memo: strings.ToValidUTF8(memo, ""),
		Evidence: "disbursement " + d.ID, At: at, Postings: legs})
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE fund_disbursements SET status = ?, decided_by = ?, decided_at = ?, transfer_id = ?, paid_at = ?, effective_on = ? WHERE id = ?",
		StatusPaid, decidedBy, db.FormatTime(now), t.ID, db.FormatTime(now), d.EffectiveOn, d.ID); err != nil {
		return fishpond.Internal(err)
	}
	d.Status, d.DecidedBy, d.DecidedAt, d.TransferID, d.PaidAt = StatusPaid, decidedBy, now, t.ID, now
	return events.Append(ctx, tx, now, events.Event{Type: "fund.disbursement.paid", Subject: d.ID, CountyCode: d.CountyCode, Payload: map[string]any{
		"disbursement_id": d.ID, "fund_id": d.FundID, "area": d.Area, "county": d.CountyCode, "amount_fen": int64(d.Amount),
		"payee_kind": d.PayeeKind, "programme_id": d.ProgrammeID, "to_household": d.PayeeKind == PayeeHousehold, "effective_on": d.EffectiveOn,
	}})
}

// ApproveDisbursement is the second pair of eyes: another fund administrator than
// the requester approves a pending disbursement, which is then paid. A pending
// disbursement needs at least one supporting document first.
func (s *Service) ApproveDisbursement(ctx context.Context, p fishpond.Principal, id string) (Disbursement, error) {
	return s.decide(ctx, p, id, func(tx *db.Tx, now time.Time, d *Disbursement) error {
		if d.Documents == 0 {
			return fishpond.Invalid("请先上传证明材料 / attach a supporting document before approval", map[string]string{"documents": "at least one is required"})
		}
		return s.pay(ctx, tx, now, d, p.UserID)
	})
}

// RejectDisbursement refuses a pending disbursement with a reason, releasing
// its reservation of the allocation.
func (s *Service) RejectDisbursement(ctx context.Context, p fishpond.Principal, id, reason string) (Disbursement, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || tooLong(reason, 500) {
		return Disbursement{}, fishpond.Invalid("请说明原因 / give a reason", map[string]string{"reason": "必填，最长500字 / required, at most 500 characters"})
	}
	return s.decide(ctx, p, id, func(tx *db.Tx, now time.Time, d *Disbursement) error {
		if _, err := tx.ExecContext(ctx, "UPDATE fund_disbursements SET status = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ?",
			StatusRejected, p.UserID, db.FormatTime(now), reason, d.ID); err != nil {
			return fishpond.Internal(err)
		}
		d.Status, d.DecidedBy, d.DecidedAt, d.Reason = StatusRejected, p.UserID, now, reason
		return nil
	})
}

func (s *Service) decide(ctx context.Context, p fishpond.Principal, id string, fn func(tx *db.Tx, now time.Time, d *Disbursement) error) (Disbursement, error) {
	if !canManage(p) {
		return Disbursement{}, forbidden("只有基金管理员可以审批 / only fund administrators may approve disbursements")
	}
	var d Disbursement
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		d, err = scanDisbursement(tx.QueryRowContext(ctx, "SELECT "+disbursementColumns+" WHERE d.id = ?"+tx.ForUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("拨付不存在 / disbursement not found")
		} else if err != nil {
			return fishpond.Internal(err)
		}
		if d.Status != StatusPending {
			return fishpond.Errorf(fishpond.EConflict, "该拨付已处理（%s）/ the disbursement is already %s", d.Status, d.Status)
		}
		if d.RequestedBy == p.UserID {
			return forbidden("申请人不能审批自己的拨付 / the requester may not approve or reject their own disbursement (four-eyes rule)")
		}
		return fn(tx, s.now(), &d)
	})
	if err != nil {
		return Disbursement{}, err
	}
	return d, nil
}

const disbursementColumns = `d.id, d.fund_id, d.allocation_id, d.area, d.county_code, d.programme_id, d.payee_kind, d.payee, d.household_id, d.enrolment_id,
	d.purpose, d.amount, d.status, d.idempotency_key, d.requested_by, d.requested_at, d.decided_by, d.decided_at, d.reason, d.transfer_id, d.paid_at, d.effective_on,
	(SELECT COUNT(*) FROM fund_documents x WHERE x.disbursement_id = d.id) FROM fund_disbursements d`

func scanDisbursement(sc interface{ Scan(...any) error }) (Disbursement, error) {
	var d Disbursement
	var amount int64
	var req, dec, paid string
	err := sc.Scan(&d.ID, &d.FundID, &d.AllocationID, &d.Area, &d.CountyCode, &d.ProgrammeID, &d.PayeeKind, &d.Payee, &d.HouseholdID, &d.EnrolmentID,
		&d.Purpose, &amount, &d.Status, &d.IdempotencyKey, &d.RequestedBy, &req, &d.DecidedBy, &dec, &d.Reason, &d.TransferID, &paid, &d.EffectiveOn, &d.Documents)
	d.Amount = fishpond.Money(amount)
	d.RequestedAt = optTime(req)
	d.DecidedAt = optTime(dec)
	d.PaidAt = optTime(paid)
	return d, err
}

func optTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	return db.MustTime(s)
}

// DisbursementFilter selects disbursements.
type DisbursementFilter struct {
	FundID      string
	Status      string
	HouseholdID string
	ProgrammeID string
	Limit       int // default 100, at most 500
}

// Disbursements lists disbursements, newest first. Fund staff see all; a
// household's disbursements are visible to whoever may see the household.
func (s *Service) Disbursements(ctx context.Context, p fishpond.Principal, f DisbursementFilter) ([]Disbursement, error) {
	if f.HouseholdID != "" {
		if _, err := s.reg.Household(ctx, p, f.HouseholdID); err != nil {
			return nil, err
		}
	} else if !canRead(p) {
		return nil, forbidden("无权查看基金 / not allowed to see the fund")
	}
	where, args := []string{"1 = 1"}, []any{}
	for col, v := range map[string]string{"d.fund_id": f.FundID, "d.status": f.Status, "d.household_id": f.HouseholdID, "d.programme_id": f.ProgrammeID} {
		if v != "" {
			where, args = append(where, col+" = ?"), append(args, v)
		}
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+disbursementColumns+" WHERE "+strings.Join(where, " AND ")+" ORDER BY d.requested_at DESC, d.id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []Disbursement
	for rows.Next() {
		d, err := scanDisbursement(rows)
		if err != nil {
			return nil, fishpond.Internal(err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Disbursement returns one disbursement to the fund's staff.
func (s *Service) Disbursement(ctx context.Context, p fishpond.Principal, id string) (Disbursement, error) {
	if !canRead(p) {
		return Disbursement{}, notFound("拨付不存在 / disbursement not found")
	}
	d, err := scanDisbursement(s.db.Read().QueryRowContext(ctx, "SELECT "+disbursementColumns+" WHERE d.id = ?", id))
	if err != nil {
		return Disbursement{}, db.NotFound(err, "拨付不存在 / disbursement not found")
	}
	return d, nil
}
