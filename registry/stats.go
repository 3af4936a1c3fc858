package registry

import (
	"context"

	"fishpond"
)

// CountyStats summarises a county's registry for its dashboard: how many households
// and people, where, why they are poor and how many have exited.
type CountyStats struct {
	CountyCode string
	Households int
	People     int
	Villages   int
	ByStatus   map[string]int
	ByCause    map[Cause]int
	ByVillage  []VillageStats
}

// VillageStats is one village's line of CountyStats.
type VillageStats struct {
	VillageID, Town, Name string
	Households, People    int
}

// CountyStats computes the statistics of one county the principal may see.
func (s *Store) CountyStats(ctx context.Context, p fishpond.Principal, county string) (CountyStats, error) {
	if !p.SeesRegistry() || !p.CanSeeCounty(county) {
		return CountyStats{}, notFound("县不存在 / county not found")
	}
	if _, err := s.County(ctx, county); err != nil {
		return CountyStats{}, err
	}
	st := CountyStats{CountyCode: county, ByStatus: map[string]int{}, ByCause: map[Cause]int{}}
	q := s.db.Read()
	rows, err := q.QueryContext(ctx, "SELECT status, poverty_cause, COUNT(*) FROM households WHERE county_code = ? GROUP BY status, poverty_cause", county)
	if err != nil {
		return st, fishpond.Internal(err)
	}
	for rows.Next() {
		var status, cause string
		var n int
		if err := rows.Scan(&status, &cause, &n); err != nil {
			rows.Close()
			return st, fishpond.Internal(err)
		}
		st.ByStatus[status] += n
		st.ByCause[Cause(cause)] += n
		st.Households += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fishpond.Internal(err)
	}
	rows, err = q.QueryContext(ctx, `SELECT v.id, v.town, v.name,
		(SELECT COUNT(*) FROM households h WHERE h.village_id = v.id),
		(SELECT COUNT(*) FROM members m JOIN households h ON h.id = m.household_id WHERE h.village_id = v.id)
		FROM villages v WHERE v.county_code = ? ORDER BY v.town, v.name`, county)
	if err != nil {
		return st, fishpond.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v VillageStats
		if err := rows.Scan(&v.VillageID, &v.Town, &v.Name, &v.Households, &v.People); err != nil {
			return st, fishpond.Internal(err)
		}
		st.ByVillage = append(st.ByVillage, v)
		st.People += v.People
		st.Villages++
	}
	if err := rows.Err(); err != nil {
		return st, fishpond.Internal(err)
	}
	return st, nil
}
