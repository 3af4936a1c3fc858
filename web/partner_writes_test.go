package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/client"
	"fishpond/green"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/sensing"
	"fishpond/web"
)

// TestPartnerKeysWriteWithinTheirScope: an organisation granted report:green and
// write:sensors for one county reports a user's walking and sends a field's
// readings with its key, through the Go client. Readings of a device in another
// county are refused alone; a key without the scope is refused whole; a retry of
// an action through the rotated key is a replay, not a second grant.
func TestPartnerKeysWriteWithinTheirScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var g *green.Service
		var sn *sensing.Service
		w := newPartnerWorld(t, d, func(s *web.Services) {
			g = green.New(d, s.Registry, nil, fishpond.SystemClock{}, green.Config{PhotoDir: t.TempDir()})
			sn = sensing.New(d, fishpond.SystemClock{}, sensing.DefaultConfig, nil)
			s.Green, s.Sensing = g, sn
		})
		t.Cleanup(g.Close)
		t.Cleanup(sn.Close)
		walker, err := w.acc.CreateUser(ctx, fishpond.System, access.NewUser{Name: "walker", Role: fishpond.RoleConsumer, Password: "walker-password"})
		if err != nil {
			t.Fatal(err)
		}
		devices := map[string]string{}
		for _, county := range []string{countyA, countyB} {
			site, err := sn.CreateSite(ctx, fishpond.System, sensing.NewSite{Name: "谷子地", Kind: "field", OwnerKind: "household", OwnerID: w.counties[county][0], Crop: "谷子", AreaMu: 12})
			if err != nil {
				t.Fatal(err)
			}
			dev, err := sn.CreateDevice(ctx, fishpond.System, site.ID, sensing.NewDevice{Name: "土壤1", Type: "soil"})
			if err != nil {
				t.Fatal(err)
			}
			devices[county] = dev.ID
		}

		anon := client.New(w.srv.URL, "")
		p, err := anon.Apply(ctx, client.Application{Name: "智慧农业科技公司", Kind: "company", Website: "https://agri.example.com", Purpose: "为合作社的物联网设备和绿色出行应用接入平台",
			ContactName: "赵工", ContactPhone: "13900139000", UserName: "agri.iot", Password: "agri-iot-2020"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.admin.Decide(ctx, p.ID, "approved", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := w.admin.Grant(ctx, p.ID, []string{"report:green", "write:sensors", "read:aggregates"}, []string{countyA}, 600); err != nil {
			t.Fatal(err)
		}
		memberTok, _, err := w.acc.CreateToken(ctx, fishpond.System, "agri.iot", "portal", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		member := client.New(w.srv.URL, memberTok)
		writer, err := member.CreateKey(ctx, p.ID, client.KeyRequest{Label: "写入", Scopes: []string{"report:green", "write:sensors"}, Counties: []string{countyA}})
		if err != nil {
			t.Fatal(err)
		}
		reader, err := member.CreateKey(ctx, p.ID, client.KeyRequest{Label: "只读", Scopes: []string{"read:aggregates"}, Counties: []string{countyA}})
		if err != nil {
			t.Fatal(err)
		}
		kw, kr := client.New(w.srv.URL, writer.Key), client.New(w.srv.URL, reader.Key)

		// Sensors: its county's device is stored; the other county's is refused alone.
		at := time.Now().Add(-2 * time.Minute).Truncate(time.Second)
		res, err := kw.SendReadings(ctx, client.Readings{Device: devices[countyA], Time: at, Readings: map[string]float64{"soil_moisture": 23.5, "soil_temp": 18.2}})
		if err != nil || res.Accepted != 2 || len(res.Rejected) != 0 {
			t.Fatalf("readings of the key's county: %+v, %v", res, err)
		}
		res, err = kw.SendReadings(ctx, client.Readings{Device: devices[countyB], Time: at, Readings: map[string]float64{"soil_moisture": 30}})
		if err != nil || res.Accepted != 0 || len(res.Rejected) != 1 || !strings.Contains(res.Rejected[0].Reason, "unknown device") {
			t.Fatalf("readings of another county's device: %+v, %v", res, err)
		}
		if _, err := kr.SendReadings(ctx, client.Readings{Device: devices[countyA], Time: at, Readings: map[string]float64{"soil_moisture": 1}}); apiCode(err) != "forbidden" || !strings.Contains(err.Error(), "write:sensors") {
			t.Fatalf("readings with a key lacking write:sensors: %v", err)
		}
		for county, want := range map[string]int{countyA: 1, countyB: 0} {
			pts, err := sn.Readings(ctx, fishpond.System, devices[county], "soil_moisture", at.Add(-time.Hour), time.Now().Add(time.Minute), "raw")
			if err != nil || len(pts) != want {
				t.Fatalf("%s: %d soil_moisture readings stored (%v), want %d", county, len(pts), err, want)
			}
		}

		// Green: the walk is granted once, also when retried through the rotated key.
		walk := []client.GreenAction{{ActionID: "walk-2026-0001", User: "walker", Kind: green.KindWalking, Quantity: 8000, OccurredAt: time.Now().Add(-time.Hour)}}
		rs, err := kw.ReportGreenActions(ctx, walk)
		if err != nil || len(rs) != 1 || rs[0].Error != nil || rs[0].Grams <= 0 || rs[0].Replayed {
			t.Fatalf("walk reported: %+v, %v", rs, err)
		}
		rotated, err := member.RotateKey(ctx, writer.Detail.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		rs2, err := client.New(w.srv.URL, rotated.Key).ReportGreenActions(ctx, walk)
		if err != nil || len(rs2) != 1 || !rs2[0].Replayed {
			t.Fatalf("the same walk through the rotated key: %+v, %v", rs2, err)
		}
		drops, err := g.Drops(ctx, walker.Principal())
		if err != nil || len(drops) != 1 || drops[0].Grams != rs[0].Grams {
			t.Fatalf("walker's energy: %+v, %v (want one drop of %d g)", drops, err, rs[0].Grams)
		}
		if _, err := kr.ReportGreenActions(ctx, walk); apiCode(err) != "forbidden" || !strings.Contains(err.Error(), "report:green") {
			t.Fatalf("green actions with a key lacking report:green: %v", err)
		}
	})
}
