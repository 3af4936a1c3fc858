package sensing

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Contribution is one feature's share of a forecast: how far the feature is from
// its usual value, times what the model learned it is worth.
type Contribution struct {
	Feature string  `json:"feature"`
	Label   string  `json:"label"`
	Value   float64 `json:"value"`
	Usual   float64 `json:"usual"`
	Effect  float64 `json:"effect"`
}

// Backtest is the forecast's error on history it was not fitted on.
type Backtest struct {
	Method string  `json:"method"`
	N      int     `json:"n"`
	MAE    float64 `json:"mae"`
	MAPE   float64 `json:"mape_pct,omitempty"`
	RMSE   float64 `json:"rmse"`
}

// Forecast is an explainable forecast: a baseline (the usual outcome) plus
// contributions, an 80% interval, and the backtest error.
type Forecast struct {
	Kind          string         `json:"kind"` // yield or mortality
	SiteID        string         `json:"site_id"`
	Unit          string         `json:"unit"`
	Value         float64        `json:"value"`
	Low           float64        `json:"low"`
	High          float64        `json:"high"`
	Baseline      float64        `json:"baseline"`
	SiteEffect    float64        `json:"site_effect,omitempty"`
	Contributions []Contribution `json:"contributions"`
	TrainedOn     int            `json:"trained_on"`
	Backtest      Backtest       `json:"backtest"`
	// Yield: expected harvest of the whole field and the quantity safe to pre-sell
	// (the interval's low end); mortality: expected deaths next week and a risk level.
	TotalKg     float64 `json:"total_kg,omitempty"`
	PresaleKg   float64 `json:"presale_kg,omitempty"`
	Deaths      float64 `json:"expected_deaths,omitempty"`
	Risk        string  `json:"risk,omitempty"`
	FeaturesFor string  `json:"features_for"`
}

// Season is one growing season of a field: its conditions and its harvest.
type Season struct {
	Year         int     `json:"year"`
	MeanTemp     float64 `json:"mean_temp"`
	MeanMoisture float64 `json:"mean_moisture"`
	DryShare     float64 `json:"dry_share"`
	YieldPerMu   float64 `json:"yield_kg_per_mu"`
}

var yieldFeatures = []struct{ name, label string }{
	{"mean_temp", "生长季平均气温 / Season mean temperature (°C)"},
	{"mean_moisture", "平均土壤湿度 / Mean soil moisture (%)"},
	{"dry_share", "干旱天数占比 / Share of dry days"},
}

func (s Season) features() []float64 { return []float64{s.MeanTemp, s.MeanMoisture, s.DryShare} }

// BarnWeek is one week of a barn: conditions and deaths.
type BarnWeek struct {
	WeekStart    string  `json:"week_start"` // 2006-01-02, a Monday
	Head         int64   `json:"head"`
	Deaths       int64   `json:"deaths"`
	HeatHours    float64 `json:"heat_hours"`
	MeanAmmonia  float64 `json:"mean_ammonia"`
	MeanHumidity float64 `json:"mean_humidity"`
}

var mortalityFeatures = []struct{ name, label string }{
	{"heat_hours", "高温小时数（>30°C）/ Hours above 30 °C"},
	{"mean_ammonia", "平均氨气浓度 / Mean ammonia (ppm)"},
	{"mean_humidity", "平均湿度 / Mean humidity (%)"},
}

func (w BarnWeek) features() []float64 { return []float64{w.HeatHours, w.MeanAmmonia, w.MeanHumidity} }
func (w BarnWeek) rate() float64       { return float64(w.Deaths) * 1000 / float64(w.Head) }

// RecordSeason stores a field's season (a harvest). Features left at zero are
// computed from the field's day rollups for that year's season (April–September).
func (s *Service) RecordSeason(ctx context.Context, p fishpond.Principal, siteID string, in Season) error {
	st, err := s.Site(ctx, p, siteID)
	if err != nil {
		return err
	}
	if !canManage(p, st) {
		return fishpond.Errorf(fishpond.EForbidden, "you cannot record harvests for this site / 无权登记该站点的收成")
	}
	f := map[string]string{}
	if st.Kind != "field" {
		f["site"] = "seasons are for fields"
	}
	if in.Year < 1990 || in.Year > s.now().Year() {
		f["year"] = "a past or the current year"
	}
	if in.YieldPerMu <= 0 || in.YieldPerMu > 5000 {
		f["yield_kg_per_mu"] = "between 0 and 5,000 kg per mu"
	}
	if in.MeanTemp == 0 && in.MeanMoisture == 0 && in.DryShare == 0 && len(f) == 0 {
		from := time.Date(in.Year, 4, 1, 0, 0, 0, 0, fishpond.ChinaTime)
		feat, ok, err := s.seasonFeatures(ctx, siteID, from, time.Date(in.Year, 10, 1, 0, 0, 0, 0, fishpond.ChinaTime))
		if err != nil {
			return err
		}
		if !ok {
			f["mean_temp"] = "no readings for that season: give the season's features"
		}
		in.MeanTemp, in.MeanMoisture, in.DryShare = feat.MeanTemp, feat.MeanMoisture, feat.DryShare
	}
	if in.DryShare < 0 || in.DryShare > 1 {
		f["dry_share"] = "between 0 and 1"
	}
	if in.MeanMoisture < 0 || in.MeanMoisture > 100 {
		f["mean_moisture"] = "between 0 and 100"
	}
	if len(f) > 0 {
		return fishpond.Invalid("invalid season / 收成记录有误", f)
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		return putSeason(ctx, tx, siteID, in, s.now())
	})
}

func putSeason(ctx context.Context, tx *db.Tx, siteID string, in Season, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sensing_seasons (site_id, year, mean_temp, mean_moisture, dry_share, yield_kg_per_mu, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (site_id, year) DO UPDATE SET mean_temp = excluded.mean_temp, mean_moisture = excluded.mean_moisture, dry_share = excluded.dry_share,
		yield_kg_per_mu = excluded.yield_kg_per_mu, recorded_at = excluded.recorded_at`,
		siteID, in.Year, in.MeanTemp, in.MeanMoisture, in.DryShare, in.YieldPerMu, db.FormatTime(now))
	return err
}

// RecordBarnWeek stores a barn's week (head count, deaths, conditions).
func (s *Service) RecordBarnWeek(ctx context.Context, p fishpond.Principal, siteID string, in BarnWeek) error {
	st, err := s.Site(ctx, p, siteID)
	if err != nil {
		return err
	}
	if !canManage(p, st) {
		return fishpond.Errorf(fishpond.EForbidden, "you cannot record this barn's weeks / 无权登记该圈舍")
	}
	f := map[string]string{}
	if st.Kind != "barn" {
		f["site"] = "barn weeks are for barns"
	}
	if _, err := time.Parse("2006-01-02", in.WeekStart); err != nil {
		f["week_start"] = "a date, 2006-01-02"
	}
	if in.Head <= 0 || in.Deaths < 0 || in.Deaths > in.Head {
		f["deaths"] = "0 ≤ deaths ≤ head, head > 0"
	}
	if in.HeatHours < 0 || in.HeatHours > 168 || in.MeanAmmonia < 0 || in.MeanHumidity < 0 || in.MeanHumidity > 100 {
		f["conditions"] = "heat_hours 0–168, ammonia ≥ 0, humidity 0–100"
	}
	if len(f) > 0 {
		return fishpond.Invalid("invalid barn week / 圈舍周记录有误", f)
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error { return putBarnWeek(ctx, tx, siteID, in, s.now()) })
}

func putBarnWeek(ctx context.Context, tx *db.Tx, siteID string, in BarnWeek, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sensing_barn_weeks (site_id, week_start, head, deaths, heat_hours, mean_ammonia, mean_humidity, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (site_id, week_start) DO UPDATE SET head = excluded.head, deaths = excluded.deaths, heat_hours = excluded.heat_hours,
		mean_ammonia = excluded.mean_ammonia, mean_humidity = excluded.mean_humidity, recorded_at = excluded.recorded_at`,
		siteID, in.WeekStart, in.Head, in.Deaths, in.HeatHours, in.MeanAmmonia, in.MeanHumidity, db.FormatTime(now))
	return err
}

type siteSeason struct {
	site string
	Season
}

// seasons returns every recorded season of fields growing the crop.
func (s *Service) seasons(ctx context.Context, crop string) ([]siteSeason, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT x.site_id, x.year, x.mean_temp, x.mean_moisture, x.dry_share, x.yield_kg_per_mu FROM sensing_seasons x
		JOIN sensing_sites s ON s.id = x.site_id WHERE s.crop = ? ORDER BY x.year, x.site_id`, crop)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []siteSeason
	for rows.Next() {
		var r siteSeason
		if err := rows.Scan(&r.site, &r.Year, &r.MeanTemp, &r.MeanMoisture, &r.DryShare, &r.YieldPerMu); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// yieldModel is the pooled regression plus each field's own effect (its mean
// residual, shrunk towards zero when it has few seasons).
type yieldModel struct {
	lin    linear
	effect map[string]float64
}

func fitYield(hist []siteSeason) (yieldModel, error) {
	var x [][]float64
	var y []float64
	for _, h := range hist {
		x = append(x, h.features())
		y = append(y, h.YieldPerMu)
	}
	lin, err := fitLinear(x, y)
	if err != nil {
		return yieldModel{}, err
	}
	sum, n := map[string]float64{}, map[string]float64{}
	for _, h := range hist {
		sum[h.site] += h.YieldPerMu - lin.predict(h.features())
		n[h.site]++
	}
	m := yieldModel{lin: lin, effect: map[string]float64{}}
	for site := range sum {
		m.effect[site] = sum[site] / (n[site] + 2)
	}
	return m, nil
}

func (m yieldModel) predict(site string, f []float64) float64 {
	return m.lin.predict(f) + m.effect[site]
}

// backtestYield: for each year with enough earlier history, fit on the earlier
// years only and forecast that year's fields (rolling origin).
func backtestYield(hist []siteSeason) Backtest {
	bt := Backtest{Method: "按年滚动回测 / rolling origin by year"}
	var years []int
	for _, h := range hist {
		if !slices.Contains(years, h.Year) {
			years = append(years, h.Year)
		}
	}
	var se, ae, ape float64
	for _, y := range years {
		var train []siteSeason
		for _, h := range hist {
			if h.Year < y {
				train = append(train, h)
			}
		}
		if len(train) < 12 {
			continue
		}
		m, err := fitYield(train)
		if err != nil {
			continue
		}
		for _, h := range hist {
			if h.Year != y {
				continue
			}
			e := m.predict(h.site, h.features()) - h.YieldPerMu
			se += e * e
			ae += math.Abs(e)
			ape += math.Abs(e) / h.YieldPerMu
			bt.N++
		}
	}
	if bt.N > 0 {
		bt.MAE, bt.RMSE, bt.MAPE = ae/float64(bt.N), math.Sqrt(se/float64(bt.N)), 100*ape/float64(bt.N)
	}
	return bt
}

// seasonFeatures computes a season's features from the site's day rollups.
func (s *Service) seasonFeatures(ctx context.Context, siteID string, from, to time.Time) (Season, bool, error) {
	q := `SELECT s.metric, r.total / r.n FROM sensing_rollups r JOIN sensing_series s ON s.id = r.series_id JOIN sensing_devices d ON d.id = s.device_id
		WHERE d.site_id = ? AND s.metric IN ('air_temp', 'soil_moisture') AND r.bucket = 'd' AND r.start_ms >= ? AND r.start_ms < ?`
	rows, err := s.db.Read().QueryContext(ctx, q, siteID, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return Season{}, false, err
	}
	defer rows.Close()
	var tSum, mSum, tN, mN, dry float64
	for rows.Next() {
		var m string
		var v float64
		if err := rows.Scan(&m, &v); err != nil {
			return Season{}, false, err
		}
		if m == "air_temp" {
			tSum, tN = tSum+v, tN+1
		} else {
			mSum, mN = mSum+v, mN+1
			if v < dryMoisture {
				dry++
			}
		}
	}
	if err := rows.Err(); err != nil || tN == 0 || mN == 0 {
		return Season{}, false, err
	}
	return Season{MeanTemp: tSum / tN, MeanMoisture: mSum / mN, DryShare: dry / mN}, true, nil
}

// dryMoisture: a day whose mean soil moisture is below this is a dry day (the
// default soil rule's threshold).
const dryMoisture = 20

// YieldForecast forecasts this year's yield of a field from the season so far
// (its day rollups since April 1) and the recorded seasons of fields growing
// the same crop.
func (s *Service) YieldForecast(ctx context.Context, p fishpond.Principal, siteID string) (Forecast, error) {
	st, err := s.Site(ctx, p, siteID)
	if err != nil {
		return Forecast{}, err
	}
	if st.Kind != "field" {
		return Forecast{}, fishpond.Invalid("yield forecasts are for fields / 产量预测仅适用于田块", map[string]string{"site": "not a field"})
	}
	now := s.now().In(fishpond.ChinaTime)
	from := time.Date(now.Year(), 4, 1, 0, 0, 0, 0, fishpond.ChinaTime)
	if now.Before(from) {
		from = now.AddDate(0, 0, -120)
	}
	cur, ok, err := s.seasonFeatures(ctx, siteID, from, now.Add(time.Hour))
	if err != nil {
		return Forecast{}, err
	}
	if !ok {
		return Forecast{}, fishpond.Errorf(fishpond.ENotFound, "no soil moisture and air temperature readings this season yet / 本季尚无土壤湿度和气温数据")
	}
	hist, err := s.seasons(ctx, st.Crop)
	if err != nil {
		return Forecast{}, err
	}
	m, err := fitYield(hist)
	if err != nil {
		return Forecast{}, fishpond.Errorf(fishpond.ENotFound, "not enough recorded seasons of %s to forecast (%d) / 历史收成记录不足", st.Crop, len(hist))
	}
	fc := Forecast{Kind: "yield", SiteID: siteID, Unit: "kg/mu", TrainedOn: m.lin.n, Backtest: backtestYield(hist),
		FeaturesFor: fmt.Sprintf("%s – %s", from.Format("2006-01-02"), now.Format("2006-01-02"))}
	explain(&fc, m.lin, cur.features(), yieldFeatures)
	fc.SiteEffect = m.effect[siteID]
	fc.Value = math.Max(0, m.predict(siteID, cur.features()))
	fc.Low, fc.High = math.Max(0, fc.Value-z80*m.lin.sigma), fc.Value+z80*m.lin.sigma
	fc.TotalKg = math.Round(fc.Value * st.AreaMu)
	fc.PresaleKg = math.Round(fc.Low * st.AreaMu)
	return fc, nil
}

func explain(fc *Forecast, l linear, x []float64, names []struct{ name, label string }) {
	fc.Baseline = l.predict(l.means)
	for j, v := range x {
		fc.Contributions = append(fc.Contributions, Contribution{Feature: names[j].name, Label: names[j].label, Value: v, Usual: l.means[j], Effect: l.coef[j+1] * (v - l.means[j])})
	}
}

func (s *Service) barnWeeks(ctx context.Context) ([]BarnWeek, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT week_start, head, deaths, heat_hours, mean_ammonia, mean_humidity FROM sensing_barn_weeks ORDER BY week_start, site_id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []BarnWeek
	for rows.Next() {
		var w BarnWeek
		if err := rows.Scan(&w.WeekStart, &w.Head, &w.Deaths, &w.HeatHours, &w.MeanAmmonia, &w.MeanHumidity); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

func fitMortality(weeks []BarnWeek) (linear, error) {
	var x [][]float64
	var y []float64
	for _, w := range weeks {
		x = append(x, w.features())
		y = append(y, w.rate())
	}
	return fitLinear(x, y)
}

// backtestMortality fits on the earliest 75% of weeks and scores the rest.
func backtestMortality(weeks []BarnWeek) Backtest {
	bt := Backtest{Method: "前75%的周训练、后25%检验 / trained on the first 75% of weeks, tested on the last 25%"}
	cut := len(weeks) * 3 / 4
	l, err := fitMortality(weeks[:cut])
	if err != nil {
		return bt
	}
	var se, ae float64
	for _, w := range weeks[cut:] {
		e := l.predict(w.features()) - w.rate()
		se += e * e
		ae += math.Abs(e)
		bt.N++
	}
	if bt.N > 0 {
		bt.MAE, bt.RMSE = ae/float64(bt.N), math.Sqrt(se/float64(bt.N))
	}
	return bt
}

// MortalityForecast forecasts next week's deaths per 1,000 head of a barn from
// its last seven days of readings (hours above 30 °C, ammonia, humidity) and the
// recorded weeks of every barn.
func (s *Service) MortalityForecast(ctx context.Context, p fishpond.Principal, siteID string) (Forecast, error) {
	st, err := s.Site(ctx, p, siteID)
	if err != nil {
		return Forecast{}, err
	}
	if st.Kind != "barn" {
		return Forecast{}, fishpond.Invalid("mortality forecasts are for barns / 死亡率预测仅适用于圈舍", map[string]string{"site": "not a barn"})
	}
	to := s.now()
	from := to.Add(-7 * 24 * time.Hour)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT s.metric, r.total / r.n FROM sensing_rollups r JOIN sensing_series s ON s.id = r.series_id JOIN sensing_devices d ON d.id = s.device_id
		WHERE d.site_id = ? AND d.type = 'barn' AND r.bucket = 'h' AND r.start_ms >= ? AND r.start_ms < ?`, siteID, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return Forecast{}, err
	}
	var cur BarnWeek
	var nA, nH, nT float64
	for rows.Next() {
		var m string
		var v float64
		if err := rows.Scan(&m, &v); err != nil {
			rows.Close()
			return Forecast{}, err
		}
		switch m {
		case "barn_temp":
			nT++
			if v > 30 {
				cur.HeatHours++
			}
		case "ammonia":
			cur.MeanAmmonia, nA = cur.MeanAmmonia+v, nA+1
		case "humidity":
			cur.MeanHumidity, nH = cur.MeanHumidity+v, nH+1
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil && err != sql.ErrNoRows {
		return Forecast{}, err
	}
	if nT == 0 || nA == 0 || nH == 0 {
		return Forecast{}, fishpond.Errorf(fishpond.ENotFound, "no barn readings in the last 7 days / 近7天无圈舍数据")
	}
	// Scale to a full week of hours when the sensors reported part of it.
	cur.HeatHours *= 168 / math.Min(168, nT)
	cur.MeanAmmonia /= nA
	cur.MeanHumidity /= nH
	weeks, err := s.barnWeeks(ctx)
	if err != nil {
		return Forecast{}, err
	}
	l, err := fitMortality(weeks)
	if err != nil {
		return Forecast{}, fishpond.Errorf(fishpond.ENotFound, "not enough recorded barn weeks to forecast (%d) / 圈舍历史记录不足", len(weeks))
	}
	fc := Forecast{Kind: "mortality", SiteID: siteID, Unit: "‰/week", TrainedOn: l.n, Backtest: backtestMortality(weeks),
		FeaturesFor: fmt.Sprintf("%s – %s", from.In(fishpond.ChinaTime).Format("2006-01-02 15:04"), to.In(fishpond.ChinaTime).Format("2006-01-02 15:04"))}
	explain(&fc, l, cur.features(), mortalityFeatures)
	fc.Value = math.Max(0, l.predict(cur.features()))
	fc.Low, fc.High = math.Max(0, fc.Value-z80*l.sigma), fc.Value+z80*l.sigma
	fc.Deaths = fc.Value * float64(st.HeadCount) / 1000
	switch {
	case fc.Value > 1.5*fc.Baseline:
		fc.Risk = "high"
	case fc.Value > 1.1*fc.Baseline:
		fc.Risk = "elevated"
	default:
		fc.Risk = "normal"
	}
	return fc, nil
}
