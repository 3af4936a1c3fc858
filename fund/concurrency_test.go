package fund_test

import (
	"fmt"
	"sync"
	"testing"

	"fishpond"
	"fishpond/fund"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// Concurrent requests never overspend an allocation, and concurrent placements of
// one person through two programmes place her once: on PostgreSQL the row locks,
// on SQLite the single writer, make the checks see each other's writes.
func TestConcurrentDisbursementsAndPlacements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f, _ := e.newFund(t)
		alloc := must(e.f.Allocate(e.ctx, adminA, fund.AllocationInput{FundID: f.ID, Area: fund.AreaHealth, CountyCode: fuping, Budget: fishpond.Yuan(500_000)}))
		var wg sync.WaitGroup
		var mu sync.Mutex
		paid, refused := 0, 0
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.f.RequestDisbursement(e.ctx, adminA, fund.DisbursementInput{AllocationID: alloc.ID, PayeeKind: fund.PayeePartner, Payee: "乡卫生院",
					Purpose: "药品 medicine", Amount: fishpond.Yuan(60_000), IdempotencyKey: fmt.Sprintf("c-%d", i)})
				mu.Lock()
				defer mu.Unlock()
				switch fishpond.Code(err) {
				case "":
					paid++
				case fishpond.EInvalid:
					refused++
				default:
					t.Errorf("request %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if paid != 8 || refused != 8 {
			t.Fatalf("paid %d, refused %d; want 8 and 8 (8 × 60,000 ≤ 500,000)", paid, refused)
		}
		for _, a := range must(e.f.Allocations(e.ctx, adminA, f.ID)) {
			if a.ID == alloc.ID && a.Actual != fishpond.Yuan(480_000) {
				t.Fatalf("actual %s", a.Actual)
			}
		}

		h := e.household(t, fuping, person{rel: "户主", sex: "F", birth: "1988-02-02", labour: "普通劳动力"})
		var enrolments []fund.Enrolment
		for i := 0; i < 2; i++ {
			pr := must(e.f.CreateProgramme(e.ctx, adminA, fund.ProgrammeInput{FundID: f.ID, Area: fund.AreaEducation, Kind: fund.KindVocational,
				Name: fmt.Sprintf("培训%d", i), Capacity: 5, StartsOn: "2020-01-01", EndsOn: "2020-12-31", Counties: []string{fuping}}))
			en := must(e.f.Enrol(e.ctx, adminA, fund.EnrolInput{ProgrammeID: pr.ID, HouseholdID: h.ID, MemberID: h.Members[0].ID, Role: fund.RoleParticipant, On: "2020-01-10"}))
			must(e.f.Progress(e.ctx, adminA, en.ID, fund.EnrolCompleted, "", "2020-02-01"))
			enrolments = append(enrolments, en)
		}
		placed := make([]error, 2)
		for i, en := range enrolments {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, placed[i] = e.f.Place(e.ctx, adminA, fund.PlaceInput{EnrolmentID: en.ID, Employer: fmt.Sprint("厂", i), MonthlyWage: fishpond.Yuan(3000), StartsOn: "2020-03-01"})
			}()
		}
		wg.Wait()
		if (placed[0] == nil) == (placed[1] == nil) {
			t.Fatalf("placements: %v / %v; want exactly one", placed[0], placed[1])
		}
		if n := e.count(t, "fund_placements"); n != 1 {
			t.Fatalf("%d placements of one person at once", n)
		}
		e.verify(t)
	})
}
