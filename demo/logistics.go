package demo

import (
	"context"
	"fmt"
	"time"

	"fishpond"
	"fishpond/logistics"
	"fishpond/market"
)

func init() { steps = append(steps, step{name: "logistics", run: loadLogistics}) }

// stepClock is the demo's clock for laying out a week of parcel history: each
// scan moves it forward, never past the real now.
type stepClock struct{ t time.Time }

func (c *stepClock) Now() time.Time { return c.t }

func (c *stepClock) at(t time.Time) {
	if now := time.Now().UTC(); t.After(now) {
		t = now
	}
	c.t = t
}

// loadLogistics opens county warehouses and village stations in the three demo
// counties (the 骆驼湾 station run by the "farmer" household, paid per parcel),
// a city station where the demo consumer collects, and sends the consumer's orders
// along every stage of the route: one picked up and settled, some waiting with a
// pickup code, one cold-chain parcel with a reading out of range, others in the
// warehouse or on the road, and one left too long at its station.
func loadLogistics(ctx context.Context, d Deps, l Loaded) error {
	if d.Logistics == nil {
		return nil
	}
	sys := fishpond.System
	now := time.Now().UTC().Truncate(time.Second)
	clk := &stepClock{t: now.AddDate(0, 0, -6)}
	lg := d.Logistics.WithClock(clk)

	byCounty := map[string][]string{}
	for _, h := range l.Households {
		byCounty[h.County] = append(byCounty[h.County], h.ID)
	}
	type siteSpec struct {
		in  logistics.SiteInput
		key string
	}
	st := func(county, name, town string, lat, lng, alt int64, op string, pay fishpond.Money, capacity int64) logistics.SiteInput {
		return logistics.SiteInput{Kind: logistics.Station, County: county, Name: name, Town: town, LatE6: lat, LngE6: lng, AltitudeM: alt,
			OperatorHousehold: op, PayPerParcel: pay, Opens: "08:00", Closes: "20:00", Capacity: capacity}
	}
	wh := func(county, name string, lat, lng, alt int64) logistics.SiteInput {
		return logistics.SiteInput{Kind: logistics.Warehouse, County: county, Name: name, LatE6: lat, LngE6: lng, AltitudeM: alt, Opens: "07:00", Closes: "22:00", Capacity: 20000}
	}
	// Coordinates and altitudes are approximate public figures for these places.
	specs := []siteSpec{
		{wh("130624", "阜平县电商物流仓", 38_849_000, 114_195_000, 320), "fp-wh"},
		{st("130624", "骆驼湾村服务站", "龙泉关镇", 38_745_000, 113_969_000, 1060, l.FarmerHousehold, 150, 200), "fp-ltw"},
		{st("130624", "顾家台村服务站", "龙泉关镇", 38_752_000, 113_985_000, 980, byCounty["130624"][20], 150, 150), "fp-gjt"},
		{st("130624", "城南庄村服务站", "城南庄镇", 38_863_000, 114_088_000, 610, byCounty["130624"][40], 120, 200), "fp-cnz"},
		{wh("410225", "兰考县电商物流仓", 34_822_000, 114_821_000, 72), "lk-wh"},
		{st("410225", "张庄村服务站", "东坝头乡", 34_791_000, 114_749_000, 70, byCounty["410225"][10], 100, 300), "lk-zz"},
		{st("410225", "东坝头村服务站", "东坝头乡", 34_786_000, 114_766_000, 69, byCounty["410225"][30], 100, 200), "lk-dbt"},
		{wh("622926", "东乡县电商物流仓", 35_664_000, 103_389_000, 2620), "dx-wh"},
		{st("622926", "布楞沟村服务站", "锁南镇", 35_610_000, 103_420_000, 2280, byCounty["622926"][15], 200, 120), "dx-blg"},
		{st("622926", "高山乡服务站", "高山乡", 35_571_000, 103_470_000, 2640, byCounty["622926"][35], 200, 100), "dx-gs"},
		{st("110101", "东直门社区服务站", "东直门街道", 39_940_000, 116_430_000, 45, "", 0, 500), "bj-dzm"},
	}
	sites := map[string]logistics.Site{}
	for _, s := range specs {
		site, err := lg.OpenSite(ctx, sys, s.in)
		if err != nil {
			return fmt.Errorf("site %s: %w", s.in.Name, err)
		}
		sites[s.key] = site
	}

	// The consumer's orders, paid, shipped from the producers' stations.
	consumer, err := d.Access.UserByName(ctx, "consumer")
	if err != nil {
		return err
	}
	buyer := consumer.Principal()
	addr, err := d.Market.AddAddress(ctx, buyer, market.AddressInput{Name: "王晓明", Phone: "13800138000", ProvinceCode: "11", CountyCode: "110101", Detail: "东城区东直门内大街 8 号"})
	if err != nil {
		return fmt.Errorf("address: %w", err)
	}
	page, err := d.Market.Search(ctx, market.SearchQuery{Limit: 50})
	if err != nil {
		return err
	}
	product := map[string]string{}
	for _, h := range page.Hits {
		product[h.Product.Name] = h.Product.ID
	}
	journeys := []struct {
		product, origin string
		cold            bool
		stage           logistics.Status
		startDays       float64 // days ago the parcel was handed in
	}{
		{"太行山薄皮核桃 3斤", "fp-ltw", false, logistics.StatusDelivered, 5},
		{"阜平骆驼湾小米 5斤装", "fp-ltw", false, logistics.StatusAwaiting, 4},
		{"阜平大枣 2斤装", "fp-gjt", false, logistics.StatusInTransit, 2},
		{"兰考蜜瓜 一藤两瓜 2个装", "lk-zz", true, logistics.StatusAtWarehouse, 0.5},
		{"兰考红薯 5斤", "lk-dbt", false, logistics.StatusAwaiting, 3.5},
		{"东乡洋芋 10斤", "dx-blg", false, logistics.StatusAccepted, 0.3},
		{"东乡手抓羊肉 2斤", "dx-gs", true, logistics.StatusAwaiting, 3},
		{"阜平骆驼湾小米 5斤装", "fp-cnz", false, logistics.StatusAccepted, 2.5}, // left too long: a late alert
	}
	warehouseOf := map[string]string{"130624": "fp-wh", "410225": "lk-wh", "622926": "dx-wh"}
	for i, j := range journeys {
		id, ok := product[j.product]
		if !ok {
			return fmt.Errorf("demo product %s not found", j.product)
		}
		o, err := d.Market.PlaceOrder(ctx, buyer, market.OrderRequest{IdempotencyKey: fmt.Sprintf("demo-logistics-%d", i), AddressID: addr.ID,
			Lines: []market.LineRequest{{ProductID: id, Qty: 1}}})
		if err != nil {
			return fmt.Errorf("order %s: %w", j.product, err)
		}
		if _, err := d.Market.MarkPaid(ctx, o.ID, "sandbox", fmt.Sprintf("DEMO-LGX-%d", i), o.Total); err != nil {
			return err
		}
		start := now.Add(-time.Duration(j.startDays * 24 * float64(time.Hour)))
		clk.at(start.Add(-2 * time.Hour))
		spec := logistics.ParcelSpec{WeightG: 2500}
		if j.cold {
			spec = logistics.ParcelSpec{WeightG: 3000, ColdChain: true, TempMinC10: 20, TempMaxC10: 80}
		}
		origin := sites[j.origin]
		ps, err := lg.ShipOrder(ctx, sys, logistics.ShipRequest{OrderID: o.ID, OriginSiteID: origin.ID, DestSiteID: sites["bj-dzm"].ID, Parcels: []logistics.ParcelSpec{spec}})
		if err != nil {
			return fmt.Errorf("ship %s: %w", j.product, err)
		}
		tn := ps[0].TrackingNo
		scan := func(kind logistics.EventKind, site string, after time.Duration) error {
			clk.at(start.Add(after))
			_, err := lg.Scan(ctx, sys, tn, logistics.ScanRequest{Kind: kind, SiteID: sites[site].ID})
			return err
		}
		rank := map[logistics.Status]int{logistics.StatusAccepted: 1, logistics.StatusAtWarehouse: 2, logistics.StatusInTransit: 3, logistics.StatusAwaiting: 4, logistics.StatusDelivered: 5}[j.stage]
		w := warehouseOf[origin.County]
		steps := []struct {
			kind  logistics.EventKind
			site  string
			after time.Duration
		}{
			{logistics.EventAccepted, j.origin, 0},
			{logistics.EventWarehouseIn, w, 9 * time.Hour},
			{logistics.EventHandedOver, w, 15 * time.Hour},
		}
		for k, s := range steps {
			if k < rank {
				if err := scan(s.kind, s.site, s.after); err != nil {
					return fmt.Errorf("scan %s %s: %w", tn, s.kind, err)
				}
			}
		}
		if j.cold {
			for h, c := range []int64{45, 52, 61} {
				clk.at(start.Add(time.Duration(h+1) * time.Hour))
				if _, err := lg.RecordTemperature(ctx, sys, tn, origin.ID, time.Time{}, c); err != nil {
					return err
				}
			}
			if rank >= 4 {
				clk.at(start.Add(30 * time.Hour))
				if _, err := lg.RecordTemperature(ctx, sys, tn, sites[w].ID, time.Time{}, 104); err != nil {
					return err
				}
			}
		}
		if rank >= 4 {
			// The carrier's reports, then the city station's arrival scan.
			carrier := logistics.NewSandboxCarrier()
			evs, _ := carrier.Track(ctx, logistics.TrackQuery{Ref: "SBX-" + tn, TrackingNo: tn, HandedOverAt: start.Add(15 * time.Hour), Now: start.Add(60 * time.Hour)})
			for _, e := range evs {
				clk.at(e.At)
				if _, err := lg.Scan(ctx, sys, tn, logistics.ScanRequest{Kind: e.Kind, At: e.At, Place: e.Place, Ref: e.ID}); err != nil {
					return err
				}
			}
			if err := scan(logistics.EventArrived, "bj-dzm", 58*time.Hour); err != nil {
				return err
			}
		}
		if rank >= 5 {
			code, err := lg.PickupCode(ctx, sys, tn)
			if err != nil {
				return err
			}
			clk.at(start.Add(70 * time.Hour))
			if _, err := lg.Pickup(ctx, sys, sites["bj-dzm"].ID, tn, code); err != nil {
				return fmt.Errorf("pickup %s: %w", tn, err)
			}
		}
	}
	// Farmers drop off parcels at their stations for relatives in other counties.
	for i, to := range []string{"lk-zz", "dx-blg", "fp-cnz", "lk-dbt"} {
		clk.at(now.Add(-time.Duration(20-i*4) * time.Hour))
		from := "fp-ltw"
		if to == "fp-cnz" {
			from = "lk-zz"
		}
		if _, err := lg.DropOff(ctx, sys, logistics.DropOffRequest{OriginSiteID: sites[from].ID, SenderHousehold: sites[from].OperatorHousehold, DestSiteID: sites[to].ID,
			Parcel: logistics.ParcelSpec{WeightG: int64(1200 + 300*i)}}); err != nil {
			return fmt.Errorf("drop-off: %w", err)
		}
	}
	clk.at(now)
	_, err = lg.CheckLate(ctx)
	return err
}
