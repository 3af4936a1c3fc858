package registry

import (
	"strings"
	"testing"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

func TestLoadPlaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := mustStore(t, d)
		pv, pf, cs, err := s.LoadPlaces(ctx) // a second run changes nothing
		if err != nil {
			t.Fatal(err)
		}
		if pv != 31 || pf != 342 || cs != 2854 {
			t.Errorf("loaded %d provinces, %d prefectures, %d counties; want 31, 342, 2854", pv, pf, cs)
		}
		ps, err := s.Provinces(ctx)
		if err != nil || len(ps) != 31 {
			t.Fatalf("Provinces: %d, %v", len(ps), err)
		}
		yes := true
		total, pages, cursor := 0, 0, ""
		for {
			page, next, err := s.Counties(ctx, CountyFilter{Poverty: &yes, Limit: 200, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			total += len(page)
			pages++
			if next == "" {
				break
			}
			cursor = next
		}
		if total != 831 || pages != 5 {
			t.Errorf("poverty counties: %d in %d pages, want 831 distinct codes (832 listed, 632803 twice) in 5", total, pages)
		}
		m, err := s.County(ctx, "632803")
		if err != nil {
			t.Fatal(err)
		}
		if !m.Poverty || !strings.Contains(m.ListedName, "冷湖") || !strings.Contains(m.ListedName, "茫崖") || m.Region != RegionWest || m.ExitYear != 2019 {
			t.Errorf("632803 = %+v", m)
		}
		lk, err := s.County(ctx, countyB)
		if err != nil || lk.Name != "兰考县" || lk.Region != RegionCentral || !lk.Poverty || lk.ProvinceName != "河南省" {
			t.Errorf("兰考 = %+v, %v", lk, err)
		}
		bj, err := s.County(ctx, "110101")
		if err != nil || bj.Poverty || bj.Region != RegionEast || bj.PrefectureName != "北京市" || bj.ExitYear != 0 {
			t.Errorf("东城区 = %+v, %v", bj, err)
		}
		_, err = s.County(ctx, "130171") // a high-tech zone, not a statutory division
		wantCode(t, err, fishpond.ENotFound)
		found, _, err := s.Counties(ctx, CountyFilter{Query: "兰考"})
		if err != nil || len(found) != 1 || found[0].Code != countyB {
			t.Errorf("query 兰考 = %+v, %v", found, err)
		}
		no := false
		hebei, _, err := s.Counties(ctx, CountyFilter{ProvinceCode: "13", Poverty: &no, Query: "%", Limit: 500})
		if err != nil || len(hebei) != 0 {
			t.Errorf("a %% query must match literally: %d, %v", len(hebei), err)
		}
		if _, _, err := s.Counties(ctx, CountyFilter{Cursor: "!!"}); fishpond.Code(err) != fishpond.EInvalid {
			t.Errorf("bad cursor: %v", err)
		}
	})
}
