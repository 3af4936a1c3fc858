package farms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
)

// Contract statuses.
const (
	ContractActive     = "active"
	ContractTerminated = "terminated"
)

// Installment statuses.
const (
	RentDue       = "due"
	RentPaid      = "paid"
	RentCancelled = "cancelled"
)

// Contract is a land-transfer contract (土地流转合同): the household transfers Area to
// the cooperative for Years at Rate per mu per year, paid PaymentsPerYear times a
// year in arrears (each period's rent falls due at its end), so that termination
// settles a partial period without ever asking a household to pay back.
type Contract struct {
	ID                string
	CoopID            string
	HouseholdID       string
	CountyCode        string
	Area              Area
	Rate              fishpond.Money // per mu per year
	Years             int
	PaymentsPerYear   int
	StartsOn, EndsOn  string // YYYY-MM-DD; EndsOn is exclusive
	Status            string
	TerminatedOn      string
	TerminationReason string
	CreatedAt         time.Time
	Schedule          []Installment // filled by Contract, not by lists
	Replayed          bool
}

// AnnualRent is the rent of one full year, rounded down to the fen.
func (c Contract) AnnualRent() fishpond.Money { return annualRent(c.Area, c.Rate) }

func annualRent(a Area, rate fishpond.Money) fishpond.Money {
	return fishpond.Money(int64(a) * int64(rate) / 100)
}

// Installment is one scheduled rent payment.
type Installment struct {
	Seq         int
	PeriodStart string // YYYY-MM-DD
	PeriodEnd   string // exclusive
	DueAt       time.Time
	Amount      fishpond.Money
	Status      string
	TransferID  string
	PaidAt      time.Time
}

// ContractInput is what the cooperative's manager enters when signing.
type ContractInput struct {
	HouseholdID     string
	Area            Area
	Rate            fishpond.Money // per mu per year
	Years           int
	PaymentsPerYear int // 1, 2, 4 or 12
	StartsOn        string
	// IdempotencyKey makes a re-submitted signing return the first contract.
	IdempotencyKey string
}

// Limits that keep a typo from becoming a contract.
const (
	MaxContractYears = 30
	MaxRatePerMu     = fishpond.Money(1_000_000) // 10,000 yuan per mu per year
	MaxContractArea  = Area(100_000 * 100)
)

func (in *ContractInput) validate() map[string]string {
	f := map[string]string{}
	if in.HouseholdID == "" {
		f["household_id"] = "必填 required"
	}
	if in.Area <= 0 || in.Area > MaxContractArea {
		f["area"] = "面积须大于0且不超过10万亩 area must be above 0 and at most 100,000 mu"
	}
	if in.Rate <= 0 || in.Rate > MaxRatePerMu {
		f["rate"] = "每亩年租金须在0到1万元之间 rent per mu per year must be above 0 and at most 10,000 yuan"
	}
	if in.Years < 1 || in.Years > MaxContractYears {
		f["years"] = fmt.Sprintf("年限须为1到%d年 years must be 1–%d", MaxContractYears, MaxContractYears)
	}
	switch in.PaymentsPerYear {
	case 1, 2, 4, 12:
	default:
		f["payments_per_year"] = "每年支付次数须为1、2、4或12 payments per year must be 1, 2, 4 or 12"
	}
	if _, ok := parseDate(in.StartsOn); !ok {
		f["starts_on"] = "日期格式为 YYYY-MM-DD date as YYYY-MM-DD"
	}
	if in.IdempotencyKey == "" || len(in.IdempotencyKey) > 100 {
		f["idempotency_key"] = "必填，最多100字节 required, at most 100 bytes"
	}
	if in.Area > 0 && in.Rate > 0 && in.Area <= MaxContractArea && in.Rate <= MaxRatePerMu && annualRent(in.Area, in.Rate) < fishpond.Money(in.PaymentsPerYear) {
		f["rate"] = "租金太少，无法分期 rent too small to schedule"
	}
	return f
}

// schedule splits the contract into installments: each year's rent into n equal
// parts, the fen left over added to the year's last part, so every year pays
// exactly the annual rent.
func schedule(start time.Time, years, n int, annual fishpond.Money) []Installment {
	months := 12 / n
	per := annual / fishpond.Money(n)
	var out []Installment
	for y := 0; y < years; y++ {
		for k := 0; k < n; k++ {
			ps := start.AddDate(0, (y*n+k)*months, 0)
			pe := start.AddDate(0, (y*n+k+1)*months, 0)
			amt := per
			if k == n-1 {
				amt = annual - per*fishpond.Money(n-1)
			}
			out = append(out, Installment{Seq: y*n + k + 1, PeriodStart: ps.Format(dateLayout), PeriodEnd: pe.Format(dateLayout),
				DueAt: pe.UTC(), Amount: amt, Status: RentDue})
		}
	}
	return out
}

// SignContract records a land-transfer contract and its rent schedule. The
// household must be registered in the cooperative's county; the same key returns
// the first contract.
func (s *Service) SignContract(ctx context.Context, p fishpond.Principal, coopID string, in ContractInput) (Contract, error) {
	f := in.validate()
	var c Contract
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		co, err := managedCoop(ctx, tx, p, coopID, false)
		if err != nil {
			return err
		}
		var existing string
		switch err := tx.QueryRowContext(ctx, "SELECT id FROM farms_contracts WHERE coop_id = ? AND idem_key = ?", co.ID, in.IdempotencyKey).Scan(&existing); {
		case err == nil:
			c, err = loadContract(ctx, tx, existing, true)
			if err == nil && (c.HouseholdID != in.HouseholdID || c.Area != in.Area || c.Rate != in.Rate || c.Years != in.Years || c.StartsOn != in.StartsOn) {
				return conflict("该幂等键已用于另一份合同 the idempotency key was used for another contract")
			}
			c.Replayed = true
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return internal(err)
		}
		if err := checkCoopHousehold(ctx, tx, in.HouseholdID, co.CountyCode, f); err != nil {
			return err
		}
		if len(f) > 0 {
			return fishpond.Invalid("合同信息有误 invalid contract", f)
		}
		start, _ := parseDate(in.StartsOn)
		now := s.now()
		c = Contract{ID: newID(), CoopID: co.ID, HouseholdID: in.HouseholdID, CountyCode: co.CountyCode, Area: in.Area, Rate: in.Rate,
			Years: in.Years, PaymentsPerYear: in.PaymentsPerYear, StartsOn: in.StartsOn, EndsOn: start.AddDate(in.Years, 0, 0).Format(dateLayout),
			Status: ContractActive, CreatedAt: now}
		c.Schedule = schedule(start, in.Years, in.PaymentsPerYear, c.AnnualRent())
		if _, err := tx.ExecContext(ctx, `INSERT INTO farms_contracts (id, coop_id, household_id, county_code, idem_key, area_cmu, rate, years,
			payments_per_year, starts_on, ends_on, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.CoopID, c.HouseholdID, c.CountyCode, in.IdempotencyKey, int64(c.Area), int64(c.Rate), c.Years, c.PaymentsPerYear,
			c.StartsOn, c.EndsOn, c.Status, db.FormatTime(now)); err != nil {
			return insertErr(err)
		}
		st, err := tx.Stmt(ctx, "INSERT INTO farms_rent (contract_id, seq, period_start, period_end, due_at, amount, status) VALUES (?, ?, ?, ?, ?, ?, ?)")
		if err != nil {
			return internal(err)
		}
		for _, i := range c.Schedule {
			if _, err := st.ExecContext(ctx, c.ID, i.Seq, i.PeriodStart, i.PeriodEnd, db.FormatTime(i.DueAt), int64(i.Amount), i.Status); err != nil {
				return internal(err)
			}
		}
		return events.Append(ctx, tx, now, events.Event{Type: "farms.contract.signed", Subject: c.ID, CountyCode: c.CountyCode,
			Payload: map[string]any{"coop_id": c.CoopID, "mu": c.Area.String(), "area_cmu": int64(c.Area), "rate_fen": int64(c.Rate),
				"annual_fen": int64(c.AnnualRent()), "years": c.Years, "households": 1}})
	})
	if err != nil {
		return Contract{}, err
	}
	return c, nil
}

const contractColumns = `id, coop_id, household_id, county_code, area_cmu, rate, years, payments_per_year, starts_on, ends_on,
	status, terminated_on, termination_reason, created_at FROM farms_contracts`

func scanContract(row interface{ Scan(...any) error }) (Contract, error) {
	var c Contract
	var area, rate int64
	var created string
	err := row.Scan(&c.ID, &c.CoopID, &c.HouseholdID, &c.CountyCode, &area, &rate, &c.Years, &c.PaymentsPerYear, &c.StartsOn, &c.EndsOn,
		&c.Status, &c.TerminatedOn, &c.TerminationReason, &created)
	if err != nil {
		return Contract{}, err
	}
	c.Area, c.Rate, c.CreatedAt = Area(area), fishpond.Money(rate), db.MustTime(created)
	return c, nil
}

func loadContract(ctx context.Context, q db.Querier, id string, withSchedule bool) (Contract, error) {
	c, err := scanContract(q.QueryRowContext(ctx, "SELECT "+contractColumns+" WHERE id = ?", id))
	if err != nil {
		return Contract{}, db.NotFound(err, "没有该合同 no such contract")
	}
	if !withSchedule {
		return c, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT seq, period_start, period_end, due_at, amount, status, transfer_id, paid_at
		FROM farms_rent WHERE contract_id = ? ORDER BY seq`, id)
	if err != nil {
		return Contract{}, internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var i Installment
		var due, paid string
		var amt int64
		if err := rows.Scan(&i.Seq, &i.PeriodStart, &i.PeriodEnd, &due, &amt, &i.Status, &i.TransferID, &paid); err != nil {
			return Contract{}, internal(err)
		}
		i.DueAt, i.Amount = db.MustTime(due), fishpond.Money(amt)
		if paid != "" {
			i.PaidAt = db.MustTime(paid)
		}
		c.Schedule = append(c.Schedule, i)
	}
	return c, internal(rows.Err())
}

// canSeeHouseholdRecord: a household sees its own contracts, deliveries and work;
// the cooperative's manager and its county's officers see the cooperative's.
func (s *Service) canSeeRecord(ctx context.Context, q db.Querier, p fishpond.Principal, coopID, householdID string) (bool, error) {
	if p.Role == fishpond.RoleHousehold {
		return householdID != "" && p.HouseholdID == householdID, nil
	}
	c, err := loadCoop(ctx, q, coopID, false)
	if err != nil {
		return false, err
	}
	return canRead(p, &c), nil
}

// Contract reads a contract with its rent schedule.
func (s *Service) Contract(ctx context.Context, p fishpond.Principal, id string) (Contract, error) {
	c, err := loadContract(ctx, s.db.Read(), id, true)
	if err != nil {
		return Contract{}, err
	}
	if ok, err := s.canSeeRecord(ctx, s.db.Read(), p, c.CoopID, c.HouseholdID); err != nil || !ok {
		return Contract{}, firstErr(err, notFound("没有该合同 no such contract"))
	}
	return c, nil
}

// Contracts lists a cooperative's contracts (newest first), for its manager and
// officers; a household principal gets only its own.
func (s *Service) Contracts(ctx context.Context, p fishpond.Principal, coopID string) ([]Contract, error) {
	if _, err := s.Coop(ctx, p, coopID); err != nil && p.Role != fishpond.RoleHousehold {
		return nil, err
	}
	where, args := "coop_id = ?", []any{coopID}
	if p.Role == fishpond.RoleHousehold {
		where, args = "coop_id = ? AND household_id = ?", []any{coopID, p.HouseholdID}
	}
	return s.listContracts(ctx, where, args...)
}

// HouseholdContracts lists the contracts of one household, for the household's
// own page and its officers.
func (s *Service) HouseholdContracts(ctx context.Context, p fishpond.Principal, householdID string) ([]Contract, error) {
	county, err := householdCounty(ctx, s.db.Read(), householdID)
	if err != nil {
		return nil, err
	}
	if !p.CanSeeHousehold(county, householdID) {
		return nil, notFound("没有该农户 no such household")
	}
	return s.listContracts(ctx, "household_id = ?", householdID)
}

func (s *Service) listContracts(ctx context.Context, where string, args ...any) ([]Contract, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+contractColumns+" WHERE "+where+" ORDER BY created_at DESC, id DESC", args...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Contract
	for rows.Next() {
		c, err := scanContract(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, c)
	}
	return out, internal(rows.Err())
}

// Terminate ends a contract on a date: the installment whose period contains the
// date is cut to the days used (rounded down to the fen) and falls due on that
// date; later installments are cancelled. Rent already paid is never taken back,
// so the date may not fall inside or before a paid period. Whatever is due by now
// is paid in the same transaction.
func (s *Service) Terminate(ctx context.Context, p fishpond.Principal, contractID, on, reason string) (Contract, error) {
	reason = strings.TrimSpace(reason)
	f := map[string]string{}
	onT, ok := parseDate(on)
	if !ok {
		f["on"] = "日期格式为 YYYY-MM-DD date as YYYY-MM-DD"
	}
	if reason == "" || utf8.RuneCountInString(reason) > 200 {
		f["reason"] = "必填，最多200字 required, at most 200 characters"
	}
	var c Contract
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		// Lock the contract's installments first, so the scheduler cannot pay one
		// between our reading the schedule and cutting it.
		if _, err := tx.ExecContext(ctx, "SELECT seq FROM farms_rent WHERE contract_id = ?"+tx.ForUpdate(), contractID); err != nil {
			return internal(err)
		}
		var err error
		c, err = loadContract(ctx, tx, contractID, true)
		if err != nil {
			return err
		}
		if _, err := managedCoop(ctx, tx, p, c.CoopID, false); err != nil {
			return err
		}
		if c.Status != ContractActive {
			return conflict("合同已终止 the contract is already terminated")
		}
		if ok && (on < c.StartsOn || on >= c.EndsOn) {
			f["on"] = fmt.Sprintf("须在合同期内 (%s 至 %s) must fall within the contract", c.StartsOn, c.EndsOn)
		}
		for _, i := range c.Schedule {
			if ok && i.Status == RentPaid && on < i.PeriodEnd {
				f["on"] = fmt.Sprintf("%s 前的租金已付 rent is paid through %s", i.PeriodEnd, i.PeriodEnd)
			}
		}
		if len(f) > 0 {
			return fishpond.Invalid("终止信息有误 invalid termination", f)
		}
		now := s.now()
		for _, i := range c.Schedule {
			if i.Status != RentDue {
				continue
			}
			ps, _ := parseDate(i.PeriodStart)
			pe, _ := parseDate(i.PeriodEnd)
			switch {
			case !onT.After(ps): // the period starts on or after the termination
				if _, err := tx.ExecContext(ctx, "UPDATE farms_rent SET status = ? WHERE contract_id = ? AND seq = ? AND status = ?", RentCancelled, c.ID, i.Seq, RentDue); err != nil {
					return internal(err)
				}
			case onT.Before(pe): // the termination cuts this period
				used := int64(onT.Sub(ps).Hours()+12) / 24
				days := int64(pe.Sub(ps).Hours()+12) / 24
				amt := fishpond.Money(int64(i.Amount) * used / days)
				if _, err := tx.ExecContext(ctx, "UPDATE farms_rent SET period_end = ?, due_at = ?, amount = ? WHERE contract_id = ? AND seq = ? AND status = ?",
					on, db.FormatTime(onT), int64(amt), c.ID, i.Seq, RentDue); err != nil {
					return internal(err)
				}
			}
		}
		res, err := tx.ExecContext(ctx, "UPDATE farms_contracts SET status = ?, terminated_on = ?, termination_reason = ? WHERE id = ? AND status = ?",
			ContractTerminated, on, reason, c.ID, ContractActive)
		if err != nil {
			return internal(err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return db.Retry(fmt.Errorf("contract %s changed under us", c.ID)) // the rerun sees it terminated
		}
		// Pay what is already due (a back-dated termination) right away.
		due, err := dueInstallments(ctx, tx, now, "contract_id = ? AND ", []any{c.ID}, 1000)
		if err != nil {
			return err
		}
		for _, k := range due {
			if _, _, err := s.payInstallment(ctx, tx, now, k); err != nil {
				return err
			}
		}
		if c, err = loadContract(ctx, tx, contractID, true); err != nil {
			return err
		}
		// The event is the transaction's last write (see events: appends serialise).
		return events.Append(ctx, tx, now, events.Event{Type: "farms.contract.terminated", Subject: c.ID, CountyCode: c.CountyCode,
			Payload: map[string]any{"coop_id": c.CoopID, "mu": c.Area.String(), "area_cmu": int64(c.Area), "households": 1}})
	})
	if err != nil {
		return Contract{}, err
	}
	return c, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
