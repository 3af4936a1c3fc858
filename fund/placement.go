package fund

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// Placement is a graduate's job: employer, monthly wage and dates (EndsOn "" while
// it lasts). "One person employed, the whole family out of poverty": its wages are
// paid into the household's wage income (PayWage).
type Placement struct {
	ID          string         `json:"id"`
	EnrolmentID string         `json:"enrolment_id"`
	ProgrammeID string         `json:"programme_id"`
	CountyCode  string         `json:"county_code"`
	HouseholdID string         `json:"household_id"`
	MemberID    string         `json:"member_id"`
	Employer    string         `json:"employer"`
	MonthlyWage fishpond.Money `json:"monthly_wage_fen"`
	StartsOn    string         `json:"starts_on"`
	EndsOn      string         `json:"ends_on"`
	CreatedAt   time.Time      `json:"created_at"`
}

// PlaceInput places a trained person in a job.
type PlaceInput struct {
	EnrolmentID string         `json:"enrolment_id,omitempty"`
	Employer    string         `json:"employer,omitempty"`
	MonthlyWage fishpond.Money `json:"monthly_wage_fen,omitempty"`
	StartsOn    string         `json:"starts_on,omitempty"`
}

// Place records a job placement of a vocational programme's graduate (completed
// or certified). A person already in a placement that has not ended before the
// new one starts cannot be placed again: the same job would be counted twice.
func (s *Service) Place(ctx context.Context, p fishpond.Principal, in PlaceInput) (Placement, error) {
	in.Employer = strings.TrimSpace(in.Employer)
	f := map[string]string{}
	if in.Employer == "" || tooLong(in.Employer, 100) {
		f["employer"] = "用人单位必填 / the employer is required"
	}
	if in.MonthlyWage <= 0 || in.MonthlyWage > 10_000_000 {
		f["monthly_wage_fen"] = "须为正数，最多10万元 / a positive amount up to 100,000 yuan"
	}
	if _, ok := parseDay(in.StartsOn); !ok {
		f["starts_on"] = "日期格式 YYYY-MM-DD / a date like 2020-03-01"
	}
	if len(f) > 0 {
		return Placement{}, fishpond.Invalid("就业安置有误 / invalid placement", f)
	}
	var pl Placement
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		e, err := loadEnrolment(ctx, tx, in.EnrolmentID)
		if err != nil {
			return err
		}
		if !canEnrol(p, e.CountyCode) {
			return forbidden("无权为该县安置就业 / not allowed to place people of this county")
		}
		pr, err := loadProgramme(ctx, tx, e.ProgrammeID)
		if err != nil {
			return err
		}
		if pr.Kind != KindVocational {
			return fishpond.Invalid("只有职业培训项目安置就业 / only vocational programmes place people in jobs", map[string]string{"enrolment_id": "not a vocational programme"})
		}
		if e.Status != EnrolCompleted && e.Status != EnrolCertified {
			return fishpond.Invalid("须先完成培训 / the training must be completed first", map[string]string{"enrolment_id": "status is " + e.Status})
		}
		if in.StartsOn < e.CompletedOn {
			return fishpond.Invalid("就业早于结业 / the job starts before the training ended", map[string]string{"starts_on": "must not be before " + e.CompletedOn})
		}
		// Lock every enrolment of the person, so that two placements of the same
		// person through different enrolments are checked one after the other.
		lock, err := tx.QueryContext(ctx, "SELECT id FROM fund_enrolments WHERE member_id = ? ORDER BY id"+tx.ForUpdate(), e.MemberID)
		if err != nil {
			return fishpond.Internal(err)
		}
		lock.Close()
		var open string
		err = tx.QueryRowContext(ctx, "SELECT employer FROM fund_placements WHERE member_id = ? AND (ends_on = '' OR ends_on >= ?)", e.MemberID, in.StartsOn).Scan(&open)
		if err == nil {
			return fishpond.Errorf(fishpond.EConflict, "此人已在%s就业，尚未结束 / this person is already placed (at %s) and the job has not ended", open, open)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return fishpond.Internal(err)
		}
		now := s.now()
		pl = Placement{ID: newID(), EnrolmentID: e.ID, ProgrammeID: e.ProgrammeID, CountyCode: e.CountyCode, HouseholdID: e.HouseholdID, MemberID: e.MemberID,
			Employer: in.Employer, MonthlyWage: in.MonthlyWage, StartsOn: in.StartsOn, CreatedAt: now}
		if _, err := tx.ExecContext(ctx, `INSERT INTO fund_placements (id, enrolment_id, programme_id, county_code, household_id, member_id, employer, monthly_wage,
			starts_on, ends_on, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)`, pl.ID, pl.EnrolmentID, pl.ProgrammeID, pl.CountyCode,
			pl.HouseholdID, pl.MemberID, pl.Employer, int64(pl.MonthlyWage), pl.StartsOn, p.UserID, db.FormatTime(now)); err != nil {
			return fishpond.Internal(err)
		}
		return events.Append(ctx, tx, now, events.Event{Type: "fund.placement.made", Subject: pl.ID, CountyCode: pl.CountyCode, Payload: map[string]any{
			"placement_id": pl.ID, "programme_id": pl.ProgrammeID, "county": pl.CountyCode, "monthly_wage_fen": int64(pl.MonthlyWage), "woman": e.Woman,
		}})
	})
	if err != nil {
		return Placement{}, err
	}
	return pl, nil
}

// EndPlacement records the last day of a job.
func (s *Service) EndPlacement(ctx context.Context, p fishpond.Principal, placementID, endsOn string) (Placement, error) {
	if _, ok := parseDay(endsOn); !ok {
		return Placement{}, fishpond.Invalid("日期有误 / invalid date", map[string]string{"ends_on": "a date like 2020-12-31"})
	}
	var pl Placement
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		pl, err = scanPlacement(tx.QueryRowContext(ctx, "SELECT "+placementColumns+" WHERE id = ?"+tx.ForUpdate(), placementID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("就业记录不存在 / placement not found")
		} else if err != nil {
			return fishpond.Internal(err)
		}
		if !canEnrol(p, pl.CountyCode) {
			return forbidden("无权更改 / not allowed")
		}
		if pl.EndsOn != "" {
			return fishpond.Errorf(fishpond.EConflict, "已结束 / the placement has ended already")
		}
		if endsOn < pl.StartsOn {
			return fishpond.Invalid("结束早于开始 / ends before it starts", map[string]string{"ends_on": "must not be before " + pl.StartsOn})
		}
		if _, err := tx.ExecContext(ctx, "UPDATE fund_placements SET ends_on = ? WHERE id = ?", endsOn, pl.ID); err != nil {
			return fishpond.Internal(err)
		}
		pl.EndsOn = endsOn
		return nil
	})
	return pl, err
}

const placementColumns = "id, enrolment_id, programme_id, county_code, household_id, member_id, employer, monthly_wage, starts_on, ends_on, created_at FROM fund_placements"

func scanPlacement(sc interface{ Scan(...any) error }) (Placement, error) {
	var pl Placement
	var wage int64
	var created string
	err := sc.Scan(&pl.ID, &pl.EnrolmentID, &pl.ProgrammeID, &pl.CountyCode, &pl.HouseholdID, &pl.MemberID, &pl.Employer, &wage, &pl.StartsOn, &pl.EndsOn, &created)
	pl.MonthlyWage = fishpond.Money(wage)
	if err == nil {
		pl.CreatedAt = db.MustTime(created)
	}
	return pl, err
}

// Pay is one payment of wages (a placement's month) or piece-rate work (units
// of a period) into a household's wage income.
type Pay struct {
	ID          string         `json:"id"`
	EnrolmentID string         `json:"enrolment_id"`
	PlacementID string         `json:"placement_id"`
	ProgrammeID string         `json:"programme_id"`
	CountyCode  string         `json:"county_code"`
	HouseholdID string         `json:"household_id"`
	Kind        string         `json:"kind"`   // wage or piece
	Period      string         `json:"period"` // YYYY-MM
	Units       int64          `json:"units"`
	Amount      fishpond.Money `json:"amount_fen"`
	TransferID  string         `json:"transfer_id"`
	PaidAt      time.Time      `json:"paid_at"`
	Replayed    bool           `json:"replayed"`
}

// Pay kinds.
const (
	PayWage  = "wage"
	PayPiece = "piece"
)

func parseMonth(s string) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01", strings.TrimSpace(s), fishpond.ChinaTime)
	if err != nil || t.Year() < 2000 || t.Year() > 2100 {
		return time.Time{}, false
	}
	return t, true
}

// PayWage pays a placement's wage for a month into the household's wage income,
// once: paying the same month again returns the first payment.
func (s *Service) PayWage(ctx context.Context, p fishpond.Principal, placementID, month string) (Pay, error) {
	m, ok := parseMonth(month)
	if !ok {
		return Pay{}, fishpond.Invalid("月份有误 / invalid month", map[string]string{"month": "a month like 2020-03"})
	}
	var out Pay
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		pl, err := scanPlacement(tx.QueryRowContext(ctx, "SELECT "+placementColumns+" WHERE id = ?", placementID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("就业记录不存在 / placement not found")
		} else if err != nil {
			return fishpond.Internal(err)
		}
		if !canEnrol(p, pl.CountyCode) {
			return forbidden("无权发放工资 / not allowed to pay wages here")
		}
		first, last := m.Format("2006-01")+"-01", m.AddDate(0, 1, -1).Format(time.DateOnly)
		if last < pl.StartsOn || (pl.EndsOn != "" && first > pl.EndsOn) {
			return fishpond.Invalid("该月不在就业期间 / the month is outside the placement", map[string]string{"month": "the job runs from " + pl.StartsOn})
		}
		out, err = s.payInto(ctx, tx, Pay{EnrolmentID: pl.EnrolmentID, PlacementID: pl.ID, ProgrammeID: pl.ProgrammeID, CountyCode: pl.CountyCode,
			HouseholdID: pl.HouseholdID, Kind: PayWage, Period: m.Format("2006-01"), Units: 1, Amount: pl.MonthlyWage},
			"就业工资 placement wage "+pl.Employer, p.UserID, m)
		return err
	})
	return out, err
}

// PayPiece pays piece-rate work of a month into the worker's household wage
// income: AI-trainer units at the programme's rate, or, for a home visitor, the
// visits logged that month (units is then ignored).
func (s *Service) PayPiece(ctx context.Context, p fishpond.Principal, enrolmentID, month string, units int64) (Pay, error) {
	m, ok := parseMonth(month)
	if !ok {
		return Pay{}, fishpond.Invalid("月份有误 / invalid month", map[string]string{"month": "a month like 2020-03"})
	}
	var out Pay
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		e, err := loadEnrolment(ctx, tx, enrolmentID)
		if err != nil {
			return err
		}
		if !canEnrol(p, e.CountyCode) {
			return forbidden("无权发放报酬 / not allowed to pay here")
		}
		pr, err := loadProgramme(ctx, tx, e.ProgrammeID)
		if err != nil {
			return err
		}
		if pr.PieceRate <= 0 || e.MemberID == "" || (e.Role != RoleWorker && e.Role != RoleVisitor) {
			return fishpond.Invalid("该报名没有计件工作 / this enrolment has no piece-rate work", map[string]string{"enrolment_id": "not a worker or home visitor"})
		}
		if e.Status == EnrolDropped {
			return fishpond.Invalid("已退出 / the person has left the programme", map[string]string{"enrolment_id": "dropped"})
		}
		memo := "计件报酬 piece-rate pay " + pr.Name
		if e.Role == RoleVisitor {
			from, to := m.Format(time.DateOnly), m.AddDate(0, 1, -1).Format(time.DateOnly)
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM fund_visits WHERE enrolment_id = ? AND visited_on >= ? AND visited_on <= ?", e.ID, from, to).Scan(&units); err != nil {
				return fishpond.Internal(err)
			}
			memo = "家访报酬 home-visit pay " + pr.Name
		}
		if units <= 0 || units > 1_000_000 {
			return fishpond.Invalid("件数有误 / invalid units", map[string]string{"units": "须为正数 / a positive number (home visits: log visits first)"})
		}
		out, err = s.payInto(ctx, tx, Pay{EnrolmentID: e.ID, ProgrammeID: e.ProgrammeID, CountyCode: e.CountyCode, HouseholdID: e.HouseholdID,
			Kind: PayPiece, Period: m.Format("2006-01"), Units: units, Amount: pr.PieceRate * fishpond.Money(units)}, memo, p.UserID, m)
		return err
	})
	return out, err
}

// payInto records a payment once per (enrolment, kind, period) and posts it to the
// household's wage income, effective on the 28th of the month (a payday inside
// the month whatever its length).
func (s *Service) payInto(ctx context.Context, tx *db.Tx, pay Pay, memo, by string, month time.Time) (Pay, error) {
	var prevAmount, prevUnits int64
	var prevID, prevTransfer, prevAt string
	err := tx.QueryRowContext(ctx, "SELECT id, amount, units, transfer_id, paid_at FROM fund_pay WHERE enrolment_id = ? AND kind = ? AND period = ?",
		pay.EnrolmentID, pay.Kind, pay.Period).Scan(&prevID, &prevAmount, &prevUnits, &prevTransfer, &prevAt)
	if err == nil {
		if fishpond.Money(prevAmount) != pay.Amount {
			return Pay{}, fishpond.Errorf(fishpond.EConflict, "%s 已付 %s 元 / %s was paid already (%s yuan)", pay.Period, fishpond.Money(prevAmount), pay.Period, fishpond.Money(prevAmount))
		}
		pay.ID, pay.Units, pay.TransferID, pay.PaidAt, pay.Replayed = prevID, prevUnits, prevTransfer, db.MustTime(prevAt), true
		return pay, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return Pay{}, fishpond.Internal(err)
	}
	hh, err := ledger.EnsureHouseholdAccounts(ctx, tx, pay.HouseholdID)
	if err != nil {
		return Pay{}, err
	}
	now := s.now()
	pay.ID = newID()
	t, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{
		IdempotencyKey: fmt.Sprintf("fund:pay:%s:%s:%s", pay.EnrolmentID, pay.Kind, pay.Period), Kind: "wage", Memo: memo,
		Evidence: "fund pay " + pay.ID, At: month.AddDate(0, 0, 27).Add(10 * time.Hour),
		Postings: []ledger.Posting{{AccountID: hh.Wallet.ID, Amount: pay.Amount}, {AccountID: hh.Wage.ID, Amount: -pay.Amount}},
	})
	if err != nil {
		return Pay{}, err
	}
	pay.TransferID, pay.PaidAt = t.ID, now
	if _, err := tx.ExecContext(ctx, `INSERT INTO fund_pay (id, enrolment_id, placement_id, programme_id, county_code, household_id, kind, period, units, amount,
		transfer_id, paid_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, pay.ID, pay.EnrolmentID, pay.PlacementID, pay.ProgrammeID, pay.CountyCode,
		pay.HouseholdID, pay.Kind, pay.Period, pay.Units, int64(pay.Amount), t.ID, db.FormatTime(now), by); err != nil {
		if db.IsUniqueViolation(err) {
			return Pay{}, db.Retry(err)
		}
		return Pay{}, fishpond.Internal(err)
	}
	return pay, nil
}

// PlacementView is a placement with what it has paid so far.
type PlacementView struct {
	Placement
	WagesPaid fishpond.Money `json:"wages_paid_fen"`
	Months    int            `json:"months_paid"`
}

// Placements lists a programme's placements with the wages paid, for its page.
func (s *Service) Placements(ctx context.Context, p fishpond.Principal, programmeID string) ([]PlacementView, error) {
	pr, err := s.Programme(ctx, p, programmeID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT pl.id, pl.enrolment_id, pl.programme_id, pl.county_code, pl.household_id, pl.member_id, pl.employer,
		pl.monthly_wage, pl.starts_on, pl.ends_on, pl.created_at, COALESCE(SUM(pay.amount), 0), COUNT(pay.id)
		FROM fund_placements pl LEFT JOIN fund_pay pay ON pay.placement_id = pl.id AND pay.kind = 'wage'
		WHERE pl.programme_id = ? GROUP BY pl.id, pl.enrolment_id, pl.programme_id, pl.county_code, pl.household_id, pl.member_id, pl.employer,
		pl.monthly_wage, pl.starts_on, pl.ends_on, pl.created_at ORDER BY pl.starts_on, pl.id`, pr.ID)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []PlacementView
	for rows.Next() {
		var v PlacementView
		var wage, paid int64
		var created string
		if err := rows.Scan(&v.ID, &v.EnrolmentID, &v.ProgrammeID, &v.CountyCode, &v.HouseholdID, &v.MemberID, &v.Employer, &wage, &v.StartsOn, &v.EndsOn,
			&created, &paid, &v.Months); err != nil {
			return nil, fishpond.Internal(err)
		}
		v.MonthlyWage, v.WagesPaid, v.CreatedAt = fishpond.Money(wage), fishpond.Money(paid), db.MustTime(created)
		if canRead(p) || p.CanSeeCounty(v.CountyCode) {
			out = append(out, v)
		}
	}
	return out, rows.Err()
}
