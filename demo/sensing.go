package demo

import (
	"context"
	"fmt"
	"math"
	"time"

	"fishpond"
	"fishpond/sensing"
)

func init() {
	steps = append(steps, step{name: "sensing", run: loadSensing})
}

// loadSensing gives the demo farmer a millet field with soil and weather sensors
// behind a gateway, and a hive; a 东乡 sheep farmer a barn. A week of readings
// goes through ingest (so rollups, rules and alerts are real): the field dried
// out two days ago (an alert raised and cleared), the barn is too hot now (an
// alert open), the hive lost weight when a swarm left. Earlier seasons and barn
// weeks are generated, so the forecasts have a history and a backtest.
func loadSensing(ctx context.Context, d Deps, l Loaded) error {
	s := d.Sensing
	if s == nil {
		return nil
	}
	p := fishpond.System
	var fuping, dongxiang []string
	for _, h := range l.Households {
		switch h.County {
		case "130624":
			if h.ID != l.FarmerHousehold {
				fuping = append(fuping, h.ID)
			}
		case "622926":
			dongxiang = append(dongxiang, h.ID)
		}
	}
	if l.FarmerHousehold == "" || len(fuping) < 5 || len(dongxiang) < 5 {
		return fmt.Errorf("sensing demo needs the foundation's households")
	}
	field, err := s.CreateSite(ctx, p, sensing.NewSite{Name: "骆驼湾村小米田", Kind: "field", OwnerKind: "household", OwnerID: l.FarmerHousehold, Crop: "小米", AreaMu: 8})
	if err != nil {
		return err
	}
	hive, err := s.CreateSite(ctx, p, sensing.NewSite{Name: "骆驼湾村蜂场", Kind: "hive", OwnerKind: "household", OwnerID: l.FarmerHousehold})
	if err != nil {
		return err
	}
	barn, err := s.CreateSite(ctx, p, sensing.NewSite{Name: "布楞沟村羊舍", Kind: "barn", OwnerKind: "household", OwnerID: dongxiang[0], HeadCount: 120})
	if err != nil {
		return err
	}
	gw, err := s.CreateDevice(ctx, p, field.ID, sensing.NewDevice{Name: "田间网关", Type: "gateway", Location: "地头电杆"})
	if err != nil {
		return err
	}
	soil, err := s.CreateDevice(ctx, p, field.ID, sensing.NewDevice{Name: "土壤墒情 1号", Type: "soil", GatewayID: gw.ID, Location: "田块中部 20cm"})
	if err != nil {
		return err
	}
	weather, err := s.CreateDevice(ctx, p, field.ID, sensing.NewDevice{Name: "小气候站", Type: "weather", GatewayID: gw.ID})
	if err != nil {
		return err
	}
	sheep, err := s.CreateDevice(ctx, p, barn.ID, sensing.NewDevice{Name: "羊舍环境 1号", Type: "barn"})
	if err != nil {
		return err
	}
	bees, err := s.CreateDevice(ctx, p, hive.ID, sensing.NewDevice{Name: "蜂箱秤 3号", Type: "hive"})
	if err != nil {
		return err
	}

	// A week of readings every 15 minutes, oldest first.
	now := time.Now().UTC().Truncate(15 * time.Minute)
	from := now.Add(-7*24*time.Hour + 15*time.Minute)
	var at []int64
	var soilV, weatherV, barnV, hiveV [][]float64
	weight := 38.0
	for t := from; !t.After(now); t = t.Add(15 * time.Minute) {
		h := float64((t.Unix()+8*3600)%86400) / 3600
		day := math.Sin(2 * math.Pi * (h - 8) / 24)
		age := now.Sub(t).Hours()
		jitter := math.Sin(float64(t.Unix()) / 977)
		// Soil dries from day -4, is irrigated at day -2.
		moist := 29 - 1.5*day + jitter
		if age < 96 && age > 48 {
			moist = 29 - (96-age)*0.25 + jitter
		}
		soilV = append(soilV, []float64{round(moist), round(17 + 4*day)})
		weatherV = append(weatherV, []float64{round(21 + 7*day + jitter), round(58 - 14*day), 0})
		// The barn heats up over the last day.
		temp := 24 + 3*day + jitter
		if age < 6 {
			temp = 31 + jitter/2
		}
		barnV = append(barnV, []float64{round(temp), round(68 - 6*day), round(14 + 3*jitter)})
		// Hives gain weight slowly; a swarm leaves 30 hours ago.
		weight += 0.01
		if age < 30 && age >= 29.75 {
			weight -= 2.4
		}
		hiveV = append(hiveV, []float64{round(weight + 0.1*day), round(34.5 + 0.4*day)})
		at = append(at, t.UnixMilli())
	}
	for _, dev := range []struct {
		d  sensing.Device
		vs [][]float64
	}{{soil, soilV}, {weather, weatherV}, {sheep, barnV}, {bees, hiveV}} {
		for start := 0; start < len(at); start += 96 { // a day per payload
			end := min(start+96, len(at))
			if _, err := s.Ingest(ctx, dev.d.ID, sensing.EncodeBatch(dev.d.ID, sensing.DeviceTypes[dev.d.Type], at[start:end], dev.vs[start:end]), true); err != nil {
				return fmt.Errorf("readings of %s: %w", dev.d.Name, err)
			}
		}
	}

	// History for the forecasts: eight seasons of this field and five neighbours'
	// fields, a year of weeks of this barn and four others (generated).
	fields := []sensing.Site{field}
	for i := range 5 {
		f, err := s.CreateSite(ctx, p, sensing.NewSite{Name: fmt.Sprintf("骆驼湾村小米田 %d", i+2), Kind: "field", OwnerKind: "household", OwnerID: fuping[i], Crop: "小米", AreaMu: 5 + float64(i)})
		if err != nil {
			return err
		}
		fields = append(fields, f)
	}
	year := time.Now().Year()
	for i, seasons := range sensing.GenerateSeasons(2026, len(fields), year-8, 8) {
		for _, se := range seasons {
			if err := s.RecordSeason(ctx, p, fields[i].ID, se); err != nil {
				return err
			}
		}
	}
	barns := []sensing.Site{barn}
	for i := range 4 {
		b, err := s.CreateSite(ctx, p, sensing.NewSite{Name: fmt.Sprintf("布楞沟村羊舍 %d", i+2), Kind: "barn", OwnerKind: "household", OwnerID: dongxiang[i+1], HeadCount: 80 + 20*int64(i)})
		if err != nil {
			return err
		}
		barns = append(barns, b)
	}
	for i, weeks := range sensing.GenerateBarnWeeks(622926, len(barns), 52, now) {
		for _, w := range weeks {
			if err := s.RecordBarnWeek(ctx, p, barns[i].ID, w); err != nil {
				return err
			}
		}
	}
	return nil
}

func round(v float64) float64 { return math.Round(v*100) / 100 }
