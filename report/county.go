package report

import (
	"context"
	"sort"

	"fishpond/internal/db"
)

// CountyDetail is the admin drill-down of one county for a period: unsuppressed,
// for people allowed to see the county.
type CountyDetail struct {
	Code, Name, ProvinceName string
	Months                   []MonthSales
	Categories               []Category
	ByStatus                 map[string][2]int64 // status → households, people (the period's year)
	Exited, PeopleExited     int64
	RefundsFen               int64
}

// County reads one county's facts for rg.
func County(ctx context.Context, q db.Querier, rg Range, code string) (*CountyDetail, error) {
	places, err := loadPlaces(ctx, q)
	if err != nil {
		return nil, err
	}
	p := places[code]
	cd := &CountyDetail{Code: code, Name: p.Name, ProvinceName: p.ProvinceName, ByStatus: map[string][2]int64{}}
	f, err := readFacts(ctx, q, monthlyFacts, rg.From, rg.To)
	if err != nil {
		return nil, err
	}
	yearly, err := readFacts(ctx, q, yearlyFacts, rg.Year(), rg.Year())
	if err != nil {
		return nil, err
	}
	months := map[string]*MonthSales{}
	for _, m := range rg.Months() {
		months[m] = &MonthSales{Month: m}
	}
	cats := map[string]int64{}
	for k, v := range f {
		if k.County != code {
			continue
		}
		switch k.Fact {
		case FactGMV:
			months[k.Period].GMVFen += v
		case FactOrders:
			months[k.Period].Orders += v
		case FactRefunds:
			cd.RefundsFen += v
		case FactCategory:
			cats[k.Dim] += v
		}
	}
	for _, m := range rg.Months() {
		cd.Months = append(cd.Months, *months[m])
	}
	for name, v := range cats {
		cd.Categories = append(cd.Categories, Category{Name: name, Fen: v})
	}
	sort.Slice(cd.Categories, func(i, j int) bool { return cd.Categories[i].Fen > cd.Categories[j].Fen })
	for k, v := range yearly {
		if k.County != code {
			continue
		}
		switch k.Fact {
		case FactHouseholds:
			x := cd.ByStatus[k.Dim]
			x[0] += v
			cd.ByStatus[k.Dim] = x
		case FactPeople:
			x := cd.ByStatus[k.Dim]
			x[1] += v
			cd.ByStatus[k.Dim] = x
		case FactExited:
			cd.Exited += v
		case FactPeopleExited:
			cd.PeopleExited += v
		}
	}
	return cd, nil
}
