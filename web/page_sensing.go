package web

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"fishpond/access"
	"fishpond/sensing"
)

func init() {
	capabilityPages = append(capabilityPages, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /sensing", s.page(s.sensingSitesPage))
		m.HandleFunc("GET /sensing/sites/{id}", s.page(s.sensingSitePage))
		m.HandleFunc("GET /sensing/alerts", s.page(s.sensingAlertsPage))
	})
	addMessages(map[string]string{
		"Expected deaths next week":        "下周预计死亡",
		"Farm sensors":                     "物联网监测",
		"Last 24 hours":                    "近24小时",
		"Last 7 days (hourly)":             "近7天（小时均值）",
		"Last 90 days (daily)":             "近90天（日均值）",
		"Mortality forecast":               "死亡率预测",
		"No alerts.":                       "没有告警。",
		"No readings in this period.":      "该时段没有数据。",
		"No sites yet.":                    "还没有监测站点。",
		"Readings are shown in China time": "时间为北京时间",
		"Safe to pre-sell":                 "可预售量",
		"This field's own effect":          "本田块自身影响",
		"Yield forecast":                   "产量预测",
	})
}

// Short words go through pick rather than the shared catalogue: a word like
// "Field" may mean something else to another capability.
func pick(lang, zh, en string) string {
	if lang == "en" {
		return en
	}
	return zh
}

func siteKindLabel(lang, kind string) string {
	switch kind {
	case "field":
		return pick(lang, "田块", "Field")
	case "barn":
		return pick(lang, "圈舍", "Barn")
	}
	return pick(lang, "蜂场", "Hive")
}

func (s *Server) sensingSitesPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	p := u.Principal()
	sites, err := s.Sensing.Sites(r.Context(), p)
	if err != nil {
		return err
	}
	open, err := s.Sensing.Alerts(r.Context(), p, sensing.AlertFilter{OpenOnly: true, Limit: 50})
	if err != nil {
		return err
	}
	count := map[string]int{}
	for _, a := range open {
		count[a.SiteID]++
	}
	type siteRow struct {
		sensing.Site
		KindLabel string
		Open      int
	}
	v := s.view(r, "sensing_sites")
	v.Title = translate(v.Lang, "Farm sensors")
	var rows []siteRow
	for _, st := range sites {
		rows = append(rows, siteRow{st, siteKindLabel(v.Lang, st.Kind), count[st.ID]})
	}
	v.Data = map[string]any{"Sites": rows, "Open": open}
	s.render(w, r, http.StatusOK, "sensing_sites", v)
	return nil
}

func (s *Server) sensingAlertsPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	as, err := s.Sensing.Alerts(r.Context(), u.Principal(), sensing.AlertFilter{SiteID: r.URL.Query().Get("site"), Limit: 200})
	if err != nil {
		return err
	}
	v := s.view(r, "sensing_alerts")
	v.Title = pick(v.Lang, "告警", "Alerts")
	v.Data = map[string]any{"Alerts": as}
	s.render(w, r, http.StatusOK, "sensing_alerts", v)
	return nil
}

// chartRange is one of the dashboard's time ranges and the resolution it reads.
type chartRange struct{ Key, Label, Step string }

var chartRanges = []chartRange{{"24h", "Last 24 hours", "raw"}, {"7d", "Last 7 days (hourly)", "hour"}, {"90d", "Last 90 days (daily)", "day"}}

// maxChartPoints keeps a phone's chart light: raw series are thinned to this.
const maxChartPoints = 600

func (s *Server) sensingSitePage(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.sensingOn(); err != nil {
		return err
	}
	ctx, p := r.Context(), u.Principal()
	st, err := s.Sensing.Site(ctx, p, r.PathValue("id"))
	if err != nil {
		return err
	}
	devs, err := s.Sensing.Devices(ctx, p, st.ID)
	if err != nil {
		return err
	}
	v := s.view(r, "sensing_site")
	v.Title = st.Name
	rng := chartRanges[0]
	for _, c := range chartRanges {
		if c.Key == r.URL.Query().Get("range") {
			rng = c
		}
	}
	to := time.Now()
	from := map[string]time.Time{"24h": to.Add(-24 * time.Hour), "7d": to.Add(-7 * 24 * time.Hour), "90d": to.Add(-90 * 24 * time.Hour)}[rng.Key]
	rules, err := s.Sensing.Rules(ctx)
	if err != nil {
		return err
	}
	// One chart per metric, one line per device measuring it.
	type chart struct {
		Label, Unit string
		Option      map[string]any
		Empty       bool
	}
	var charts []chart
	var metrics []string
	for _, d := range devs {
		for _, m := range sensing.DeviceTypes[d.Type] {
			if !slices.Contains(metrics, m) {
				metrics = append(metrics, m)
			}
		}
	}
	for _, m := range metrics {
		var series []map[string]any
		points := 0
		for _, d := range devs {
			if !slices.Contains(sensing.DeviceTypes[d.Type], m) {
				continue
			}
			pts, err := s.Sensing.Readings(ctx, p, d.ID, m, from, to, rng.Step)
			if err != nil {
				return err
			}
			step := max(1, len(pts)/maxChartPoints)
			data := make([][2]float64, 0, len(pts)/step+1)
			for i := 0; i < len(pts); i += step {
				data = append(data, [2]float64{float64(pts[i].At.UnixMilli()), pts[i].Value})
			}
			points += len(data)
			ser := map[string]any{"type": "line", "name": d.Name, "showSymbol": false, "data": data}
			var marks []map[string]any
			for _, rule := range rules {
				if rule.Enabled && rule.DeviceType == d.Type && rule.Metric == m && (rule.Kind == "above" || rule.Kind == "below") {
					marks = append(marks, map[string]any{"yAxis": rule.Threshold, "name": pick(v.Lang, "阈值", "Threshold")})
				}
			}
			if len(marks) > 0 && len(series) == 0 {
				ser["markLine"] = map[string]any{"symbol": "none", "data": marks, "lineStyle": map[string]any{"color": "#d92d20", "type": "dashed"}, "label": map[string]any{"formatter": "{c}"}}
			}
			series = append(series, ser)
		}
		meta := sensing.Metrics[m]
		charts = append(charts, chart{Label: meta.Label, Unit: meta.Unit, Empty: points == 0, Option: map[string]any{
			"tooltip": map[string]any{"trigger": "axis"},
			"legend":  map[string]any{"top": 0, "type": "scroll"},
			"grid":    map[string]any{"left": 8, "right": 16, "top": 30, "bottom": 8, "containLabel": true},
			"xAxis":   map[string]any{"type": "time"},
			"yAxis":   map[string]any{"type": "value", "scale": true, "name": meta.Unit},
			"series":  series,
		}})
	}
	alerts, err := s.Sensing.Alerts(ctx, p, sensing.AlertFilter{SiteID: st.ID, Limit: 20})
	if err != nil {
		return err
	}
	var fc *sensing.Forecast
	var fcErr string
	var f sensing.Forecast
	switch st.Kind {
	case "field":
		f, err = s.Sensing.YieldForecast(ctx, p, st.ID)
	case "barn":
		f, err = s.Sensing.MortalityForecast(ctx, p, st.ID)
	default:
		err = nil
	}
	if err != nil {
		fcErr = asError(err).Message
	} else if st.Kind != "hive" {
		fc = &f
	}
	v.Data = map[string]any{"Site": st, "KindLabel": siteKindLabel(v.Lang, st.Kind), "Devices": devs, "Charts": charts, "Ranges": chartRanges, "Range": rng.Key,
		"Alerts": alerts, "Forecast": fc, "ForecastError": fcErr, "Manage": sensing.CanManage(p, st)}
	s.render(w, r, http.StatusOK, "sensing_site", v)
	return nil
}

func fmtNum(v float64) string { return fmt.Sprintf("%.1f", v) }

func init() {
	addFunc("fnum", fmtNum)
	addFunc("pick", func(v view, zh, en string) string { return pick(v.Lang, zh, en) })
	addFunc("signed", func(v float64) string { return fmt.Sprintf("%+.1f", v) })
	addFunc("pctf", func(v float64) string { return fmt.Sprintf("%.1f%%", v) })
}
