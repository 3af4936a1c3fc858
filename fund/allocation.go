package fund

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Allocation is a budget: an area's share of the fund (ParentID ""), or a county's
// or a programme's share of its area. Actual is what was paid against it and its
// children; Pending what waits for a second approver (already reserved, so that
// two requests cannot together overspend the budget).
type Allocation struct {
	ID          string         `json:"id"`
	FundID      string         `json:"fund_id"`
	ParentID    string         `json:"parent_id"`
	Area        string         `json:"area"`
	CountyCode  string         `json:"county_code"`
	ProgrammeID string         `json:"programme_id"`
	Budget      fishpond.Money `json:"budget_fen"`
	Note        string         `json:"note"`
	CreatedBy   string         `json:"created_by"`
	CreatedAt   time.Time      `json:"created_at"`
	Actual      fishpond.Money `json:"actual_fen"`
	Pending     fishpond.Money `json:"pending_fen"`
}

// Remaining is what can still be requested against the allocation.
func (a Allocation) Remaining() fishpond.Money { return a.Budget - a.Actual - a.Pending }

// AllocationInput allocates part of a fund: to an area (county and programme
// empty), or under that area to one county or one programme.
type AllocationInput struct {
	FundID      string         `json:"fund_id,omitempty"`
	Area        string         `json:"area,omitempty"`
	CountyCode  string         `json:"county_code,omitempty"`
	ProgrammeID string         `json:"programme_id,omitempty"`
	Budget      fishpond.Money `json:"budget_fen,omitempty"`
	Note        string         `json:"note,omitempty"`
}

// Allocate records an allocation. Area allocations together never exceed the
// committed total; a county's or programme's never exceed their area's.
func (s *Service) Allocate(ctx context.Context, p fishpond.Principal, in AllocationInput) (Allocation, error) {
	if !canManage(p) {
		return Allocation{}, forbidden("只有基金管理员可以分配资金 / only fund administrators may allocate the fund")
	}
	in.CountyCode, in.ProgrammeID, in.Note = strings.TrimSpace(in.CountyCode), strings.TrimSpace(in.ProgrammeID), strings.TrimSpace(in.Note)
	f := map[string]string{}
	if !validArea(in.Area) {
		f["area"] = "须为 ecommerce, education, health, women, ecology 之一 / one of ecommerce, education, health, women, ecology"
	}
	if in.Budget <= 0 {
		f["budget_fen"] = "须为正数 / must be a positive amount"
	}
	if in.CountyCode != "" && in.ProgrammeID != "" {
		f["programme_id"] = "县和项目只能选一个 / allocate to a county or to a programme, not both"
	}
	if tooLong(in.Note, 500) {
		f["note"] = "最长500字 / at most 500 characters"
	}
	if in.CountyCode != "" {
		if _, err := s.reg.County(ctx, in.CountyCode); err != nil {
			f["county_code"] = "未知的县 / unknown county"
		}
	}
	if len(f) > 0 {
		return Allocation{}, fishpond.Invalid("分配有误 / invalid allocation", f)
	}
	a := Allocation{ID: newID(), FundID: in.FundID, Area: in.Area, CountyCode: in.CountyCode, ProgrammeID: in.ProgrammeID, Budget: in.Budget, Note: in.Note, CreatedBy: p.UserID}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		fd, err := loadFundForUpdate(ctx, tx, in.FundID)
		if err != nil {
			return err
		}
		if in.ProgrammeID != "" {
			pr, err := loadProgramme(ctx, tx, in.ProgrammeID)
			if err != nil || pr.FundID != fd.ID {
				return fishpond.Invalid("项目不属于该基金 / the programme is not one of this fund's", map[string]string{"programme_id": "unknown programme of this fund"})
			}
			if pr.Area != in.Area {
				return fishpond.Invalid("项目领域不一致 / the programme works in another area", map[string]string{"area": "must be the programme's area, " + pr.Area})
			}
		}
		if a.CountyCode == "" && a.ProgrammeID == "" {
			var sum int64
			if err := tx.QueryRowContext(ctx, "SELECT COALESCE(SUM(budget), 0) FROM fund_allocations WHERE fund_id = ? AND parent_id = ''", fd.ID).Scan(&sum); err != nil {
				return fishpond.Internal(err)
			}
			if fishpond.Money(sum)+a.Budget > fd.Committed {
				return fishpond.Invalid("超出基金承诺总额 / the fund's committed total would be exceeded", map[string]string{
					"budget_fen": "最多 / at most " + (fd.Committed - fishpond.Money(sum)).String() + " 元 / yuan"})
			}
		} else {
			parent, err := scanAllocation(tx.QueryRowContext(ctx, "SELECT "+allocationColumns+" WHERE fund_id = ? AND area = ? AND parent_id = ''"+tx.ForUpdate(), fd.ID, a.Area))
			if errors.Is(err, sql.ErrNoRows) {
				return fishpond.Invalid("请先给该领域分配资金 / allocate to the area first", map[string]string{"area": "no allocation to this area yet"})
			}
			if err != nil {
				return fishpond.Internal(err)
			}
			var sum int64
			if err := tx.QueryRowContext(ctx, "SELECT COALESCE(SUM(budget), 0) FROM fund_allocations WHERE parent_id = ?", parent.ID).Scan(&sum); err != nil {
				return fishpond.Internal(err)
			}
			if fishpond.Money(sum)+a.Budget > parent.Budget {
				return fishpond.Invalid("超出该领域的预算 / the area's budget would be exceeded", map[string]string{
					"budget_fen": "最多 / at most " + (parent.Budget - fishpond.Money(sum)).String() + " 元 / yuan"})
			}
			a.ParentID = parent.ID
		}
		now := s.now()
		a.CreatedAt = now
		_, err = tx.ExecContext(ctx, `INSERT INTO fund_allocations (id, fund_id, parent_id, area, county_code, programme_id, budget, note, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.FundID, a.ParentID, a.Area, a.CountyCode, a.ProgrammeID, int64(a.Budget), a.Note, a.CreatedBy, db.FormatTime(now))
		if db.IsUniqueViolation(err) {
			return fishpond.Errorf(fishpond.EConflict, "该分配已存在 / this allocation exists already")
		}
		if err != nil {
			return fishpond.Internal(err)
		}
		return nil
	})
	if err != nil {
		return Allocation{}, err
	}
	return a, nil
}

func loadFundForUpdate(ctx context.Context, tx *db.Tx, id string) (Fund, error) {
	f, err := scanFund(tx.QueryRowContext(ctx, "SELECT "+fundColumns+" WHERE id = ?"+tx.ForUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Fund{}, fishpond.Invalid("基金不存在 / no such fund", map[string]string{"fund_id": "unknown fund"})
	}
	if err != nil {
		return Fund{}, fishpond.Internal(err)
	}
	return f, nil
}

const allocationColumns = "id, fund_id, parent_id, area, county_code, programme_id, budget, note, created_by, created_at FROM fund_allocations"

func scanAllocation(sc interface{ Scan(...any) error }) (Allocation, error) {
	var a Allocation
	var budget int64
	var created string
	err := sc.Scan(&a.ID, &a.FundID, &a.ParentID, &a.Area, &a.CountyCode, &a.ProgrammeID, &budget, &a.Note, &a.CreatedBy, &created)
	a.Budget, a.CreatedAt = fishpond.Money(budget), db.MustTime(created)
	return a, err
}

// Allocations lists a fund's allocations, areas in the order of Areas each
// followed by its counties and programmes, with budget versus actual.
func (s *Service) Allocations(ctx context.Context, p fishpond.Principal, fundID string) ([]Allocation, error) {
	if !canRead(p) {
		return nil, forbidden("无权查看基金 / not allowed to see the fund")
	}
	return allocations(ctx, s.db.Read(), fundID)
}

func allocations(ctx context.Context, q db.Querier, fundID string) ([]Allocation, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+allocationColumns+" WHERE fund_id = ? ORDER BY parent_id, county_code, programme_id", fundID)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	var all []Allocation
	for rows.Next() {
		a, err := scanAllocation(rows)
		if err != nil {
			rows.Close()
			return nil, fishpond.Internal(err)
		}
		all = append(all, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fishpond.Internal(err)
	}
	spent, err := spentByAllocation(ctx, q, fundID)
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	for i, a := range all {
		idx[a.ID] = i
	}
	for id, sp := range spent {
		i, ok := idx[id]
		if !ok {
			continue
		}
		all[i].Actual += sp[0]
		all[i].Pending += sp[1]
		if pi, ok := idx[all[i].ParentID]; ok && all[i].ParentID != "" {
			all[pi].Actual += sp[0]
			all[pi].Pending += sp[1]
		}
	}
	var out []Allocation
	for _, area := range Areas {
		for _, a := range all {
			if a.Area == area && a.ParentID == "" {
				out = append(out, a)
				for _, c := range all {
					if c.ParentID == a.ID {
						out = append(out, c)
					}
				}
			}
		}
	}
	return out, nil
}

// spentByAllocation sums paid ([0]) and pending ([1]) disbursements per allocation.
func spentByAllocation(ctx context.Context, q db.Querier, fundID string) (map[string][2]fishpond.Money, error) {
	rows, err := q.QueryContext(ctx, `SELECT allocation_id, status, SUM(amount) FROM fund_disbursements
		WHERE fund_id = ? AND status IN ('paid', 'pending') GROUP BY allocation_id, status`, fundID)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	out := map[string][2]fishpond.Money{}
	for rows.Next() {
		var id, st string
		var sum int64
		if err := rows.Scan(&id, &st, &sum); err != nil {
			return nil, fishpond.Internal(err)
		}
		v := out[id]
		if st == StatusPaid {
			v[0] += fishpond.Money(sum)
		} else {
			v[1] += fishpond.Money(sum)
		}
		out[id] = v
	}
	return out, rows.Err()
}
