package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// FigureJSON is a metric in the JSON output and the open-data API. Value is null
// when the metric is not measured (no such capability yet) or has no base.
type FigureJSON struct {
	ID         string `json:"id"`
	NameZh     string `json:"name_zh"`
	NameEn     string `json:"name_en"`
	Unit       string `json:"unit"`
	Status     string `json:"status"`
	Value      *int64 `json:"value"`
	Previous   *int64 `json:"previous"`
	ChangeBp   *int64 `json:"change_bp"`
	DefZh      string `json:"definition_zh"`
	DefEn      string `json:"definition_en"`
	Source     string `json:"source"`
	Capability string `json:"capability"`
}

// MonthJSON, AreaJSON, CategoryJSON and IncomeJSON are the breakdowns.
type MonthJSON struct {
	Month         string `json:"month"`
	GMVFen        int64  `json:"gmv_fen"`
	Orders        int64  `json:"orders"`
	YearBeforeFen int64  `json:"year_before_gmv_fen"`
}

type AreaJSON struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Province   string `json:"province,omitempty"`
	GMVFen     *int64 `json:"gmv_fen"`
	Orders     *int64 `json:"orders"`
	RefundsFen *int64 `json:"refunds_fen"`
	Counties   int    `json:"counties_with_sales,omitempty"`
	Households *int64 `json:"households_covered"`
	People     *int64 `json:"people_covered"`
	Exited     *int64 `json:"households_exited"`
	Suppressed bool   `json:"suppressed,omitempty"`
}

type CategoryJSON struct {
	Category string `json:"category"`
	SalesFen int64  `json:"sales_fen"`
}

type IncomeJSON struct {
	Category    string `json:"category"`
	PlatformFen int64  `json:"platform_fen"`
	DeclaredFen int64  `json:"declared_fen"`
}

// JSON is the whole report as published.
type JSON struct {
	Period      string                `json:"period"`
	From        string                `json:"from"`
	To          string                `json:"to"`
	Previous    string                `json:"previous_period"`
	GeneratedAt time.Time             `json:"generated_at"`
	MinCell     int                   `json:"suppression_min_count,omitempty"`
	Metrics     map[string]FigureJSON `json:"metrics"`
	Order       []string              `json:"metric_order"`
	Months      []MonthJSON           `json:"months"`
	Provinces   []AreaJSON            `json:"provinces"`
	Counties    []AreaJSON            `json:"counties"`
	Categories  []CategoryJSON        `json:"categories"`
	Income      []IncomeJSON          `json:"household_income"`
	// IncomeSuppressed: fewer than the minimum count of households had income.
	IncomeSuppressed bool `json:"household_income_suppressed,omitempty"`
}

func ptr(v Value) *int64 {
	if v.Status != Measured {
		return nil
	}
	x := v.V
	return &x
}

// ToJSON converts a report to its published JSON shape.
func (r *Report) ToJSON() JSON {
	j := JSON{Period: r.Period, From: r.Range.From, To: r.Range.To, Previous: r.Previous, GeneratedAt: r.GeneratedAt.UTC(),
		Metrics: map[string]FigureJSON{}, Months: []MonthJSON{}, Provinces: []AreaJSON{}, Counties: []AreaJSON{}, Categories: []CategoryJSON{}, Income: []IncomeJSON{}}
	if r.Public {
		j.MinCell = MinCell
	}
	j.IncomeSuppressed = r.IncomeSuppressed
	for _, f := range r.Figures {
		j.Order = append(j.Order, f.ID)
		j.Metrics[f.ID] = FigureJSON{ID: f.ID, NameZh: f.NameZh, NameEn: f.NameEn, Unit: f.Unit, Status: f.Status, Value: ptr(f.Value),
			Previous: ptr(f.Previous), ChangeBp: f.ChangeBp, DefZh: f.DefZh, DefEn: f.DefEn, Source: f.Source, Capability: f.Capability}
	}
	for _, m := range r.Months {
		j.Months = append(j.Months, MonthJSON(m))
	}
	area := func(a Area) AreaJSON {
		out := AreaJSON{Code: a.Code, Name: a.Name, Province: a.Province, Counties: a.Counties, Suppressed: a.Suppressed}
		if !a.Suppressed || a.Orders > 0 {
			out.GMVFen, out.Orders, out.RefundsFen = &a.GMVFen, &a.Orders, &a.RefundsFen
		}
		if !a.Suppressed || a.Households > 0 {
			out.Households, out.People, out.Exited = &a.Households, &a.People, &a.Exited
		}
		return out
	}
	for _, a := range r.Provinces {
		j.Provinces = append(j.Provinces, area(a))
	}
	for _, a := range r.Counties {
		j.Counties = append(j.Counties, area(a))
	}
	for _, c := range r.Categories {
		j.Categories = append(j.Categories, CategoryJSON{c.Name, c.Fen})
	}
	for _, c := range r.Income {
		j.Income = append(j.Income, IncomeJSON(c))
	}
	return j
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r.ToJSON())
}

func cell(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

// tables are the report's sheets: the metrics, then each breakdown, as rows of
// strings with a header. CSV writes the first (or all, separated); XLSX one sheet each.
func (r *Report) tables() []table {
	j := r.ToJSON()
	mt := table{name: "metrics", header: []string{"id", "name_zh", "name_en", "unit", "status", "value", "previous", "change_bp", "definition_en", "source"}}
	for _, id := range j.Order {
		f := j.Metrics[id]
		mt.rows = append(mt.rows, []string{f.ID, f.NameZh, f.NameEn, f.Unit, f.Status, cell(f.Value), cell(f.Previous), cell(f.ChangeBp), f.DefEn, f.Source})
	}
	months := table{name: "months", header: []string{"month", "gmv_fen", "orders", "year_before_gmv_fen"}}
	for _, m := range j.Months {
		months.rows = append(months.rows, []string{m.Month, strconv.FormatInt(m.GMVFen, 10), strconv.FormatInt(m.Orders, 10), strconv.FormatInt(m.YearBeforeFen, 10)})
	}
	areas := func(name string, list []AreaJSON) table {
		t := table{name: name, header: []string{"code", "name", "gmv_fen", "orders", "refunds_fen", "households_covered", "people_covered", "households_exited", "suppressed"}}
		for _, a := range list {
			t.rows = append(t.rows, []string{a.Code, a.Name, cell(a.GMVFen), cell(a.Orders), cell(a.RefundsFen), cell(a.Households), cell(a.People), cell(a.Exited), strconv.FormatBool(a.Suppressed)})
		}
		return t
	}
	cats := table{name: "categories", header: []string{"category", "sales_fen"}}
	for _, c := range j.Categories {
		cats.rows = append(cats.rows, []string{c.Category, strconv.FormatInt(c.SalesFen, 10)})
	}
	inc := table{name: "household_income", header: []string{"category", "platform_fen", "declared_fen"}}
	for _, c := range j.Income {
		inc.rows = append(inc.rows, []string{c.Category, strconv.FormatInt(c.PlatformFen, 10), strconv.FormatInt(c.DeclaredFen, 10)})
	}
	return []table{mt, months, areas("provinces", j.Provinces), areas("counties", j.Counties), cats, inc}
}

type table struct {
	name   string
	header []string
	rows   [][]string
}

// CSVTables lists the tables WriteCSV can write.
var CSVTables = []string{"metrics", "months", "provinces", "counties", "categories", "household_income"}

// WriteCSV writes one table ("metrics" if empty) as UTF-8 CSV with a byte-order
// mark, so that spreadsheet programs read the Chinese names correctly.
func (r *Report) WriteCSV(w io.Writer, name string) error {
	if name == "" {
		name = "metrics"
	}
	for _, t := range r.tables() {
		if t.name != name {
			continue
		}
		if _, err := w.Write([]byte("\ufeff")); err != nil {
			return err
		}
		cw := csv.NewWriter(w)
		cw.Write(t.header)
		cw.WriteAll(t.rows)
		return cw.Error()
	}
	return fmt.Errorf("report: no table %q", name)
}

// WriteXLSX writes every table as a sheet of one workbook, numbers as numbers.
func (r *Report) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	for i, t := range r.tables() {
		if i == 0 {
			f.SetSheetName("Sheet1", t.name)
		} else if _, err := f.NewSheet(t.name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(t.name)
		if err != nil {
			return err
		}
		row := make([]any, len(t.header))
		for k, h := range t.header {
			row[k] = h
		}
		if err := sw.SetRow("A1", row); err != nil {
			return err
		}
		for n, rr := range t.rows {
			row := make([]any, len(rr))
			for k, v := range rr {
				if x, err := strconv.ParseInt(v, 10, 64); err == nil && k > 0 {
					row[k] = x
				} else {
					row[k] = v
				}
			}
			axis, _ := excelize.CoordinatesToCellName(1, n+2)
			if err := sw.SetRow(axis, row); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
