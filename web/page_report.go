package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/report"

	"github.com/chromedp/chromedp"
)

func init() {
	capabilityPages = append(capabilityPages, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /reports", s.public(s.reportArchivePage))
		m.HandleFunc("GET /reports/{period}", s.public(s.reportPage))
		m.HandleFunc("GET /reports/{period}/{file}", s.public(s.reportFile))
		m.HandleFunc("GET /admin/reports/{period}", s.page(s.reportAdminPage))
	})
	addFunc("fig", figText)
	addFunc("yuan", func(lang string, fen int64) string { return yuanText(lang, fen) })
	addFunc("num", func(n int64) string { return thousands(n) })
	addFunc("change", func(bp *int64) string {
		if bp == nil {
			return ""
		}
		return fmt.Sprintf("%+.1f%%", float64(*bp)/100)
	})
	addMessages(map[string]string{
		"Transparency report":          "透明度报告",
		"Half-year report":             "半年度报告",
		"Report archive":               "报告存档",
		"Reports":                      "报告",
		"Headline figures":             "主要数据",
		"Previous period":              "上期",
		"vs previous period":           "较上期",
		"not yet measured":             "尚未统计",
		"no base to compare":           "无可比基数",
		"Sales by month":               "月度销售额",
		"Same month a year earlier":    "上年同月",
		"Poverty-county sales (yuan)":  "贫困县销售额（元）",
		"Top counties":                 "销售额前十的县",
		"Product categories":           "商品品类",
		"Household income by category": "建档立卡户收入构成",
		"Platform income":              "平台收入",
		"Declared income":              "申报收入",
		"wage":                         "工资性",
		"operating":                    "经营净",
		"property":                     "财产净",
		"transfer":                     "转移净",
		"Methodology":                  "统计方法",
		"Definition":                   "定义",
		"Source":                       "数据来源",
		"Downloads":                    "下载",
		"Open data API":                "开放数据接口",
		"Print or save as PDF":         "打印或存为PDF",
		"Refunds":                      "退款",
		"Households covered":           "覆盖户数",
		"People covered":               "覆盖人口",
		"Households exited":            "脱贫户数",
		"suppressed":                   "已隐去",
		"Counties with sales":          "有销售的县",
		"Drill down":                   "分级查看",
		"All provinces":                "全部省份",
		"Period":                       "报告期",
		"No sales recorded yet.":       "尚无销售记录。",
		"report_intro":                 "本报告完全由平台数据计算：订单、退款与建档立卡户评估结果。报告不含任何个人信息；县级数据中少于10户或10笔订单的格子已隐去。",
		"suppression_note":             "少于10户或10笔订单的县级数据已隐去，以免识别到单个农户。",
		"not_measured_note":            "“尚未统计”表示相应功能尚未上线，并非为零。",
		"Admin view (unsuppressed)":    "管理视图（未隐去小格）",
		"Public report":                "公开报告",
	})
}

// thousands renders 1234567 as 1,234,567.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// yuanText renders fen for people: 亿/万 in Chinese, million/billion in English.
func yuanText(lang string, fen int64) string {
	y := float64(fen) / 100
	if lang == "en" {
		switch {
		case y >= 1e9:
			return fmt.Sprintf("%.2f billion yuan", y/1e9)
		case y >= 1e6:
			return fmt.Sprintf("%.2f million yuan", y/1e6)
		}
		return thousands(int64(y)) + " yuan"
	}
	switch {
	case y >= 1e8:
		return fmt.Sprintf("%.2f 亿元", y/1e8)
	case y >= 1e4:
		return fmt.Sprintf("%.1f 万元", y/1e4)
	}
	return thousands(int64(y)) + " 元"
}

// figText renders a metric value in its unit.
func figText(v view, unit string, val report.Value) string {
	switch val.Status {
	case report.NotMeasured:
		return translate(v.Lang, "not yet measured")
	case report.NoBase:
		return translate(v.Lang, "no base to compare")
	}
	switch unit {
	case report.UnitFen:
		return yuanText(v.Lang, val.V)
	case report.UnitBp:
		return fmt.Sprintf("%.1f%%", float64(val.V)/100)
	}
	return thousands(val.V)
}

// reportView is what the report templates receive.
type reportView struct {
	Rep                                                                *report.Report
	Standalone                                                         bool
	Admin                                                              bool
	Periods                                                            []string
	PDF                                                                bool
	MonthChart, CountyChart, ProvinceChart, CategoryChart, IncomeChart any
	Province                                                           string
	Provinces                                                          []report.Area
	Counties                                                           []report.Area
	County                                                             *report.CountyDetail
	CountyChartMonths                                                  any
}

func (s *Server) reportArchivePage(w http.ResponseWriter, r *http.Request, u access.User) error {
	sums, err := report.Summaries(r.Context(), s.DB.Read())
	if err != nil {
		return err
	}
	type entry struct {
		Period   string
		GMV      report.Value
		Counties report.Value
	}
	var list []entry
	for _, x := range sums {
		list = append(list, entry{x.Period, report.Value{Status: report.Measured, V: x.GMVFen}, report.Value{Status: report.Measured, V: x.CountiesWithSales}})
	}
	v := s.view(r, "report_archive")
	v.Title = translate(v.Lang, "Report archive")
	v.Data = list
	s.render(w, r, http.StatusOK, "report_archive", v)
	return nil
}

func (s *Server) buildReport(ctx context.Context, period string, public bool) (*report.Report, error) {
	rg, err := report.ParseRange(period)
	if err != nil {
		return nil, err
	}
	return report.Build(ctx, s.DB.Read(), rg, time.Now(), public)
}

func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	rep, err := s.buildReport(r.Context(), r.PathValue("period"), true)
	if err != nil {
		return err
	}
	periods, err := report.Periods(r.Context(), s.DB.Read())
	if err != nil {
		return err
	}
	v := s.view(r, "report")
	v.Title = rep.Period + " " + translate(v.Lang, "Transparency report")
	rv := reportCharts(v.Lang, rep)
	rv.Periods, rv.PDF = periods, chromiumPath() != ""
	v.Data = rv
	s.render(w, r, http.StatusOK, "report", v)
	return nil
}

// reportFile serves the downloads: report.json, report.xlsx, report.pdf and
// <table>.csv, all public (suppressed).
func (s *Server) reportFile(w http.ResponseWriter, r *http.Request, u access.User) error {
	rep, err := s.buildReport(r.Context(), r.PathValue("period"), true)
	if err != nil {
		return err
	}
	file := r.PathValue("file")
	name := "fishpond-report-" + rep.Period
	var buf bytes.Buffer
	switch {
	case file == "report.json":
		w.Header().Set("Content-Type", "application/json")
		err = rep.WriteJSON(&buf)
	case file == "report.xlsx":
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		err = rep.WriteXLSX(&buf)
	case file == "report.pdf":
		b, perr := ReportPDF(r.Context(), rep, lang(r))
		if perr != nil {
			return perr
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.pdf"`)
		buf.Write(b)
	case strings.HasSuffix(file, ".csv"):
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+"-"+file+`"`)
		if err = rep.WriteCSV(&buf, strings.TrimSuffix(file, ".csv")); err != nil {
			return fishpond.Errorf(fishpond.ENotFound, "no such download: %s", file)
		}
	default:
		return fishpond.Errorf(fishpond.ENotFound, "no such download: %s", file)
	}
	if err != nil {
		return err
	}
	w.Write(buf.Bytes())
	return nil
}

// reportAdminPage is the unsuppressed drill-down: all provinces, one province's
// counties, one county. Fund administrators and admins see everything; a county
// officer only the counties of their scope.
func (s *Server) reportAdminPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	p := u.Principal()
	if !p.SeesAllCounties() && p.Role != fishpond.RoleCountyOfficer && p.Role != fishpond.RoleAuditor {
		return fishpond.Errorf(fishpond.EForbidden, "只有基金与县级管理员可查看 only fund, county and audit staff may open the admin report")
	}
	rep, err := s.buildReport(r.Context(), r.PathValue("period"), false)
	if err != nil {
		return err
	}
	v := s.view(r, "report_admin")
	v.Title = rep.Period + " " + translate(v.Lang, "Admin view (unsuppressed)")
	rv := reportCharts(v.Lang, rep)
	rv.Admin = true
	rv.Province = r.URL.Query().Get("province")
	if p.SeesAllCounties() {
		rv.Provinces = rep.Provinces
	}
	for _, a := range rep.Counties {
		if p.CanSeeCounty(a.Code) && (rv.Province == "" || a.Province == rv.Province) {
			rv.Counties = append(rv.Counties, a)
		}
	}
	if code := r.URL.Query().Get("county"); code != "" {
		if !p.CanSeeCounty(code) {
			return fishpond.Errorf(fishpond.ENotFound, "没有该县 no such county")
		}
		if rv.County, err = report.County(r.Context(), s.DB.Read(), rep.Range, code); err != nil {
			return err
		}
		var ms []string
		var gmv, orders []float64
		for _, m := range rv.County.Months {
			ms = append(ms, m.Month)
			gmv = append(gmv, float64(m.GMVFen)/100)
			orders = append(orders, float64(m.Orders))
		}
		rv.CountyChartMonths = barLine(ms, translate(v.Lang, "Sales"), gmv, translate(v.Lang, "Orders"), orders)
	}
	v.Data = rv
	s.render(w, r, http.StatusOK, "report_admin", v)
	return nil
}

// barLine is an echarts option: bars for the first series, a line on a second
// axis for the other.
func barLine(x []string, barName string, bars []float64, lineName string, line []float64) map[string]any {
	return map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"bottom": 0},
		"grid":    map[string]any{"left": 8, "right": 8, "top": 16, "bottom": 36, "containLabel": true},
		"xAxis":   map[string]any{"type": "category", "data": x},
		"yAxis":   []any{map[string]any{"type": "value"}, map[string]any{"type": "value", "splitLine": map[string]any{"show": false}}},
		"series": []any{
			map[string]any{"name": barName, "type": "bar", "data": bars},
			map[string]any{"name": lineName, "type": "line", "yAxisIndex": 1, "data": line, "smooth": true},
		},
	}
}

func hbar(names []string, values []float64) map[string]any {
	return map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"grid":    map[string]any{"left": 8, "right": 40, "top": 8, "bottom": 8, "containLabel": true},
		"xAxis":   map[string]any{"type": "value"},
		"yAxis":   map[string]any{"type": "category", "inverse": true, "data": names},
		"series":  []any{map[string]any{"type": "bar", "data": values}},
	}
}

// reportCharts prepares the charts' echarts options (yuan, not fen).
func reportCharts(lang string, rep *report.Report) reportView {
	rv := reportView{Rep: rep}
	var ms []string
	var now, before []float64
	for _, m := range rep.Months {
		ms = append(ms, m.Month)
		now = append(now, float64(m.GMVFen)/100)
		before = append(before, float64(m.YearBeforeFen)/100)
	}
	rv.MonthChart = map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"bottom": 0},
		"grid":    map[string]any{"left": 8, "right": 8, "top": 16, "bottom": 36, "containLabel": true},
		"xAxis":   map[string]any{"type": "category", "data": ms},
		"yAxis":   map[string]any{"type": "value"},
		"series": []any{
			map[string]any{"name": translate(lang, "Poverty-county sales (yuan)"), "type": "bar", "data": now},
			map[string]any{"name": translate(lang, "Same month a year earlier"), "type": "line", "data": before},
		},
	}
	var names []string
	var vals []float64
	for _, a := range rep.Counties {
		if len(names) == 10 || a.GMVFen == 0 {
			break
		}
		names, vals = append(names, a.Name), append(vals, float64(a.GMVFen)/100)
	}
	rv.CountyChart = hbar(names, vals)
	names, vals = nil, nil
	for _, a := range rep.Provinces {
		if len(names) == 15 || a.GMVFen == 0 {
			break
		}
		names, vals = append(names, a.Name), append(vals, float64(a.GMVFen)/100)
	}
	rv.ProvinceChart = hbar(names, vals)
	var pie []map[string]any
	for _, c := range rep.Categories {
		pie = append(pie, map[string]any{"name": c.Name, "value": float64(c.Fen) / 100})
	}
	rv.CategoryChart = map[string]any{
		"tooltip": map[string]any{"trigger": "item"},
		"legend":  map[string]any{"bottom": 0},
		"series":  []any{map[string]any{"type": "pie", "radius": []string{"36%", "62%"}, "center": []string{"50%", "42%"}, "data": pie, "label": map[string]any{"formatter": "{d}%"}}},
	}
	var cats []string
	var plat, decl []float64
	for _, c := range rep.Income {
		cats = append(cats, translate(lang, c.Category))
		plat, decl = append(plat, float64(c.PlatformFen)/100), append(decl, float64(c.DeclaredFen)/100)
	}
	rv.IncomeChart = map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"bottom": 0},
		"grid":    map[string]any{"left": 8, "right": 8, "top": 16, "bottom": 36, "containLabel": true},
		"xAxis":   map[string]any{"type": "category", "data": cats},
		"yAxis":   map[string]any{"type": "value"},
		"series": []any{
			map[string]any{"name": translate(lang, "Platform income"), "type": "bar", "stack": "i", "data": plat},
			map[string]any{"name": translate(lang, "Declared income"), "type": "bar", "stack": "i", "data": decl},
		},
	}
	return rv
}

// ReportHTML writes the public report as one self-contained HTML file (styles and
// scripts inlined), for `fishpond report --format html` and for PDF printing.
func ReportHTML(w io.Writer, rep *report.Report, lang string) error {
	ps := mustPages()
	v := view{Lang: lang, Page: "report", Title: rep.Period + " " + translate(lang, "Transparency report")}
	rv := reportCharts(lang, rep)
	rv.Standalone = true
	v.Data = rv
	var buf bytes.Buffer
	if err := ps.byName["report"].Execute(&buf, v); err != nil {
		return err
	}
	out := buf.String()
	inline := func(tag, file, open, close string) {
		b, err := staticFS.ReadFile("static/" + file)
		if err == nil {
			out = strings.Replace(out, tag, open+strings.ReplaceAll(string(b), "</script", `<\/script`)+close, 1)
		}
	}
	inline(`<link rel="stylesheet" href="/static/app.css">`, "app.css", "<style>", "</style>")
	inline(`<link rel="stylesheet" href="/static/report.css">`, "report.css", "<style>", "</style>")
	inline(`<script src="/static/vendor/htmx.min.js" defer></script>`, "app.js", "<script>", "</script>")
	inline(`<script src="/static/vendor/echarts.min.js" defer></script>`, "vendor/echarts.min.js", "<script>", "</script>")
	inline(`<script src="/static/app.js" defer></script>`, "app.js", "", "")
	out = strings.Replace(out, `<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">`, "", 1)
	out = strings.Replace(out, `<img src="/static/favicon.svg" alt="" width="28" height="28">`, "", 1)
	_, err := io.WriteString(w, out)
	return err
}

var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

func chromiumPath() string {
	for _, n := range browserNames {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// ReportPDF prints the self-contained report with headless chromium (A4, print
// styles). It fails with a clear error where chromium is not installed.
func ReportPDF(ctx context.Context, rep *report.Report, lang string) ([]byte, error) {
	exe := chromiumPath()
	if exe == "" {
		return nil, fishpond.Errorf(fishpond.ENotFound, "PDF 需要安装 chromium / PDF needs chromium installed (apt install chromium); download XLSX, CSV or JSON instead")
	}
	dir, err := os.MkdirTemp("", "fishpond-report-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	f := filepath.Join(dir, "report.html")
	var buf bytes.Buffer
	if err := ReportHTML(&buf, rep, lang); err != nil {
		return nil, err
	}
	if err := os.WriteFile(f, buf.Bytes(), 0o600); err != nil {
		return nil, err
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile"))}
	actx, cancel := chromedp.NewExecAllocator(context.WithoutCancel(ctx), opts...)
	defer cancel()
	bctx, cancel2 := chromedp.NewContext(actx)
	defer cancel2()
	if err := chromedp.Do(bctx, chromedp.Navigate("file://"+f)); err != nil {
		return nil, fmt.Errorf("report: open the report in %s: %w", exe, err)
	}
	tctx, cancel3 := context.WithTimeout(bctx, 60*time.Second)
	defer cancel3()
	if err := chromedp.Do(tctx, chromedp.WaitVisible(chromedp.CSS(".chart svg")), chromedp.Sleep(300*time.Millisecond)); err != nil {
		return nil, fmt.Errorf("report: charts did not draw: %w", err)
	}
	pdf, err := chromedp.Run(tctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFMargin(0.4), chromedp.PDFPrintBackground()))
	if err != nil {
		return nil, fmt.Errorf("report: print PDF with %s: %w", exe, err)
	}
	return pdf, nil
}
