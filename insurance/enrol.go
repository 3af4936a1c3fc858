package insurance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// Enrolment is one insured person for one cover period.
type Enrolment struct {
	ID          string
	PlanID      string
	HouseholdID string
	MemberID    string
	CountyCode  string
	CoverFrom   string // first day covered
	CoverTo     string // last day covered
	Premium     fishpond.Money
	TransferID  string
	CreatedAt   time.Time
}

// Covers reports whether the enrolment covers the date.
func (e Enrolment) Covers(day string) bool { return e.CoverFrom <= day && day <= e.CoverTo }

// ageOn is the age in whole years on day of someone born on birth (YYYY-MM-DD).
func ageOn(birth, day string) (int, bool) {
	b, err1 := time.Parse("2006-01-02", birth)
	d, err2 := time.Parse("2006-01-02", day)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	age := d.Year() - b.Year()
	if d.Month() < b.Month() || (d.Month() == b.Month() && d.Day() < b.Day()) {
		age--
	}
	return age, true
}

// canAct reports whether p may enrol or claim for the household: the household
// itself (claims only), an officer of its county, an administrator.
func canEnrol(p fishpond.Principal, county string) bool {
	switch p.Role {
	case fishpond.RoleAdmin, fishpond.RoleFundAdmin:
		return true
	case fishpond.RoleCountyOfficer:
		return p.CanSeeCounty(county)
	}
	return false
}

// Enrol insures members of a registered household under a plan from today for the
// plan's cover period, paying each premium from the plan's fund. Every member must
// be eligible (age on the first day, labour capacity for breadwinner plans) and not
// already covered by the plan; the fund must hold the premiums. Otherwise nothing
// is enrolled. Repeating an enrolment made today returns it.
func (s *Service) Enrol(ctx context.Context, p fishpond.Principal, planID, householdID string, memberIDs []string) ([]Enrolment, error) {
	if len(memberIDs) == 0 || len(memberIDs) > 20 {
		return nil, fishpond.Invalid("参保有误 invalid enrolment", map[string]string{"member_ids": "1 到 20 人 between 1 and 20 members"})
	}
	ids := slices.Clone(memberIDs)
	sort.Strings(ids)
	if len(slices.Compact(slices.Clone(ids))) != len(ids) {
		return nil, fishpond.Invalid("参保有误 invalid enrolment", map[string]string{"member_ids": "同一人只能列一次 each member once"})
	}
	var out []Enrolment
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		out = nil
		now := s.now()
		today := Day(now)
		plan, err := loadPlan(ctx, tx, planID)
		if err != nil {
			return err
		}
		var county string
		if err := tx.QueryRowContext(ctx, "SELECT county_code FROM households WHERE id = ?", householdID).Scan(&county); err != nil || !canEnrol(p, county) {
			return fishpond.Errorf(fishpond.ENotFound, "没有这个登记户 no registered household %s", householdID)
		}
		// A retry of today's enrolment returns it.
		if prev, err := s.enrolmentsWhere(ctx, tx, "plan_id = ? AND household_id = ? AND cover_from = ?", planID, householdID, today); err == nil && len(prev) > 0 {
			var same []Enrolment
			for _, e := range prev {
				if slices.Contains(ids, e.MemberID) {
					same = append(same, e)
				}
			}
			if len(same) == len(ids) {
				out = same
				return nil
			}
		} else if err != nil {
			return err
		}
		type member struct{ birth, labour string }
		members := map[string]member{}
		rows, err := tx.QueryContext(ctx, "SELECT id, birth_date, labour FROM members WHERE household_id = ?", householdID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var m member
			if err := rows.Scan(&id, &m.birth, &m.labour); err != nil {
				rows.Close()
				return err
			}
			members[id] = m
		}
		rows.Close()
		f := map[string]string{}
		for i, id := range memberIDs {
			key := fmt.Sprintf("member_ids[%d]", i)
			m, ok := members[id]
			if !ok {
				f[key] = "不是这户的成员 not a member of this household"
				continue
			}
			age, ok := ageOn(m.birth, today)
			switch {
			case !ok || age < plan.MinAge || age > plan.MaxAge:
				f[key] = fmt.Sprintf("%d 岁，不在 %d–%d 岁之间 aged %d, outside %d–%d", age, plan.MinAge, plan.MaxAge, age, plan.MinAge, plan.MaxAge)
			case plan.BreadwinnersOnly && !slices.Contains(BreadwinnerLabour, m.labour):
				f[key] = "不是家庭主要劳动力（" + m.labour + "） not a breadwinner (labour capacity " + m.labour + ")"
			}
			var covered int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM insurance_enrolments WHERE plan_id = ? AND member_id = ? AND cover_to >= ?", planID, id, today).Scan(&covered); err != nil {
				return err
			}
			if covered > 0 {
				f[key] = "已参保，保障期未满 already insured by this plan"
			}
		}
		if !plan.Active {
			f["plan_id"] = "计划已停止 plan closed"
		}
		if len(f) > 0 {
			return fishpond.Invalid("参保有误 invalid enrolment", f)
		}
		fund, err := ensureFund(ctx, tx, plan.Fund)
		if err != nil {
			return err
		}
		pa, err := ensurePlanAccounts(ctx, tx, plan.ID)
		if err != nil {
			return err
		}
		total := plan.Premium * fishpond.Money(len(ids))
		bal, err := ledger.BalanceTx(ctx, tx, fund.wallet.ID)
		if err != nil {
			return err
		}
		if bal < total {
			return fishpond.Errorf(fishpond.EConflict, "基金 %s 余额 %s 元，不足以支付保费 %s 元 the fund holds %s yuan, premiums need %s", plan.Fund, bal, total, bal, total)
		}
		t, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{IdempotencyKey: "insurance:enrol:" + plan.ID + ":" + today + ":" + membersKey(ids),
			Kind: "insurance_premium", Memo: fmt.Sprintf("代缴保费 premiums for %d people", len(ids)), Evidence: "household " + householdID,
			Postings: []ledger.Posting{{AccountID: fund.premiums.ID, Amount: total}, {AccountID: fund.wallet.ID, Amount: -total},
				{AccountID: pa.pool.ID, Amount: total}, {AccountID: pa.premiums.ID, Amount: -total}}})
		if err != nil {
			return err
		}
		from, _ := time.ParseInLocation("2006-01-02", today, fishpond.ChinaTime)
		to := Day(from.AddDate(0, plan.CoverMonths, -1))
		for _, id := range ids {
			e := Enrolment{ID: newID(), PlanID: plan.ID, HouseholdID: householdID, MemberID: id, CountyCode: county, CoverFrom: today, CoverTo: to,
				Premium: plan.Premium, TransferID: t.ID, CreatedAt: now}
			if _, err := tx.ExecContext(ctx, "INSERT INTO insurance_enrolments ("+enrolColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				e.ID, e.PlanID, e.HouseholdID, e.MemberID, e.CountyCode, e.CoverFrom, e.CoverTo, int64(e.Premium), e.TransferID, db.FormatTime(now)); err != nil {
				if db.IsUniqueViolation(err) {
					return fishpond.Errorf(fishpond.EConflict, "已参保 already insured")
				}
				return err
			}
			out = append(out, e)
		}
		return events.Append(ctx, tx, now, events.Event{Type: "insurance.household.enrolled", Subject: householdID, CountyCode: county,
			Payload: map[string]any{"plan_id": plan.ID, "persons": len(ids), "premium_fen": int64(total), "fund": plan.Fund}})
	})
	return out, internal(err)
}

const enrolColumns = "id, plan_id, household_id, member_id, county_code, cover_from, cover_to, premium, transfer_id, created_at"

func (s *Service) enrolmentsWhere(ctx context.Context, q db.Querier, where string, args ...any) ([]Enrolment, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+enrolColumns+" FROM insurance_enrolments WHERE "+where+" ORDER BY cover_from DESC, id", args...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Enrolment
	for rows.Next() {
		var e Enrolment
		var created string
		if err := rows.Scan(&e.ID, &e.PlanID, &e.HouseholdID, &e.MemberID, &e.CountyCode, &e.CoverFrom, &e.CoverTo, &e.Premium, &e.TransferID, &created); err != nil {
			return nil, internal(err)
		}
		e.CreatedAt = db.MustTime(created)
		out = append(out, e)
	}
	return out, internal(rows.Err())
}

// Enrolments lists a household's enrolments, for the household and the officers
// who see it.
func (s *Service) Enrolments(ctx context.Context, p fishpond.Principal, householdID string) ([]Enrolment, error) {
	var county string
	if err := s.db.Read().QueryRowContext(ctx, "SELECT county_code FROM households WHERE id = ?", householdID).Scan(&county); err != nil || !p.CanSeeHousehold(county, householdID) {
		return nil, fishpond.Errorf(fishpond.ENotFound, "没有这个登记户 no registered household %s", householdID)
	}
	return s.enrolmentsWhere(ctx, s.db.Read(), "household_id = ?", householdID)
}

// membersKey names a set of members within an idempotency key's length limit.
func membersKey(ids []string) string {
	h := sha256.Sum256([]byte(strings.Join(ids, ",")))
	return hex.EncodeToString(h[:16])
}
