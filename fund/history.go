package fund

import (
	"context"

	"fishpond"
)

// HouseholdEntry is one enrolment of a household member, with its programme.
type HouseholdEntry struct {
	Enrolment
	ProgrammeName string `json:"programme_name"`
	Kind          string `json:"kind"`
	Area          string `json:"area"`
}

// HouseholdHistory is everything the programmes did for one household: its
// members' enrolments, placements, wage and piece-rate pay, direct disbursements
// and the home visits it received.
type HouseholdHistory struct {
	HouseholdID   string           `json:"household_id"`
	Enrolments    []HouseholdEntry `json:"enrolments"`
	Placements    []Placement      `json:"placements"`
	Pay           []Pay            `json:"pay"`
	Disbursements []Disbursement   `json:"disbursements"`
	Visits        []Visit          `json:"visits"`
	WagesPaid     fishpond.Money   `json:"wages_paid_fen"`
	Transfers     fishpond.Money   `json:"transfers_fen"`
}

// HouseholdProgrammes returns a household's programme history to whoever may see
// the household (the household itself, its county's officers, the fund's staff).
func (s *Service) HouseholdProgrammes(ctx context.Context, p fishpond.Principal, householdID string) (HouseholdHistory, error) {
	if _, err := s.reg.Household(ctx, p, householdID); err != nil {
		return HouseholdHistory{}, err
	}
	h := HouseholdHistory{HouseholdID: householdID}
	q := s.db.Read()
	rows, err := q.QueryContext(ctx, `SELECT e.id, e.programme_id, e.county_code, e.household_id, e.member_id, e.staff_ref, e.role, e.woman, e.course, e.status,
		e.certificate, e.enrolled_on, e.completed_on, e.created_by, e.created_at, pr.name, pr.kind, pr.area
		FROM fund_enrolments e JOIN fund_programmes pr ON pr.id = e.programme_id WHERE e.household_id = ? ORDER BY e.enrolled_on, e.id`, householdID)
	if err != nil {
		return h, fishpond.Internal(err)
	}
	for rows.Next() {
		var x HouseholdEntry
		var woman int
		var created string
		if err := rows.Scan(&x.ID, &x.ProgrammeID, &x.CountyCode, &x.HouseholdID, &x.MemberID, &x.StaffRef, &x.Role, &woman, &x.Course, &x.Status,
			&x.Certificate, &x.EnrolledOn, &x.CompletedOn, &x.CreatedBy, &created, &x.ProgrammeName, &x.Kind, &x.Area); err != nil {
			rows.Close()
			return h, fishpond.Internal(err)
		}
		x.Woman = woman != 0
		h.Enrolments = append(h.Enrolments, x)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, "SELECT "+placementColumns+" WHERE household_id = ? ORDER BY starts_on, id", householdID)
	if err != nil {
		return h, fishpond.Internal(err)
	}
	for rows.Next() {
		pl, err := scanPlacement(rows)
		if err != nil {
			rows.Close()
			return h, fishpond.Internal(err)
		}
		h.Placements = append(h.Placements, pl)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT id, enrolment_id, placement_id, programme_id, county_code, household_id, kind, period, units, amount, transfer_id, paid_at
		FROM fund_pay WHERE household_id = ? ORDER BY period, id`, householdID)
	if err != nil {
		return h, fishpond.Internal(err)
	}
	for rows.Next() {
		var x Pay
		var amount int64
		var at string
		if err := rows.Scan(&x.ID, &x.EnrolmentID, &x.PlacementID, &x.ProgrammeID, &x.CountyCode, &x.HouseholdID, &x.Kind, &x.Period, &x.Units, &amount, &x.TransferID, &at); err != nil {
			rows.Close()
			return h, fishpond.Internal(err)
		}
		x.Amount, x.PaidAt = fishpond.Money(amount), optTime(at)
		h.WagesPaid += x.Amount
		h.Pay = append(h.Pay, x)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, "SELECT "+disbursementColumns+" WHERE d.household_id = ? ORDER BY d.requested_at, d.id", householdID)
	if err != nil {
		return h, fishpond.Internal(err)
	}
	for rows.Next() {
		d, err := scanDisbursement(rows)
		if err != nil {
			rows.Close()
			return h, fishpond.Internal(err)
		}
		if d.Status == StatusPaid {
			h.Transfers += d.Amount
		}
		h.Disbursements = append(h.Disbursements, d)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT id, enrolment_id, programme_id, county_code, household_id, child_member_id, visited_on, note
		FROM fund_visits WHERE household_id = ? ORDER BY visited_on, id`, householdID)
	if err != nil {
		return h, fishpond.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v Visit
		if err := rows.Scan(&v.ID, &v.EnrolmentID, &v.ProgrammeID, &v.CountyCode, &v.HouseholdID, &v.ChildMemberID, &v.VisitedOn, &v.Note); err != nil {
			return h, fishpond.Internal(err)
		}
		h.Visits = append(h.Visits, v)
	}
	return h, rows.Err()
}
