package green_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/green"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/market"
)

// buyShipDeliver runs alice's order of qty jars through the marketplace: placed,
// paid, shipped under tracking, delivered.
func buyShipDeliver(t *testing.T, f *fixture, qty int64, tracking, key string) market.Order {
	t.Helper()
	seller := householdP(f.hh[0].ID)
	sh, err := f.m.OpenShop(ctx, seller, market.ShopInput{Name: "骆驼湾小米", OwnerKind: market.OwnerHousehold, OwnerID: f.hh[0].ID})
	if err != nil {
		sh2, err2 := f.m.SellerShops(ctx, seller)
		if err2 != nil || len(sh2) == 0 {
			t.Fatal(err)
		}
		sh = sh2[0]
	}
	pr, err := f.m.AddProduct(ctx, seller, market.ProductInput{ShopID: sh.ID, Name: "骆驼湾小米 " + key, Category: "杂粮", Unit: "袋", Price: fishpond.Yuan(20), Stock: 100,
		OriginCounty: county, BatchCode: "LTW-2026", HarvestDate: "2025-10-01"})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := f.m.AddAddress(ctx, alice, market.AddressInput{Name: "张三", Phone: "138 0013 8000", ProvinceCode: "11", CountyCode: "110101", Detail: "东直门大街1号"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.m.PlaceOrder(ctx, alice, market.OrderRequest{IdempotencyKey: key, AddressID: addr.ID, Lines: []market.LineRequest{{ProductID: pr.ID, Qty: qty}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.MarkPaid(ctx, o.ID, "sandbox", "T-"+key, o.Total); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Ship(ctx, seller, o.ID, tracking); err != nil {
		t.Fatal(err)
	}
	if o, err = f.m.MarkDelivered(ctx, alice, o.ID); err != nil {
		t.Fatal(err)
	}
	return o
}

// TestConsumerPlantsTreeAndHouseholdIsPaid is the "done when": a consumer
// earns energy from real platform actions, collects it before it expires, plants a
// tree in a poverty county, and a registered household of that county is paid for
// planting and guarding it, visible in its wage income; energy is never spent twice.
func TestConsumerPlantsTreeAndHouseholdIsPaid(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		log := events.New(d, clock{f.now})
		consumer := f.g.MarketConsumer(log)

		// Energy from the marketplace: a 4-jar parcel (3 parcels avoided), then a
		// second order of alice in the same parcel (2 more), and two e-receipts.
		buyShipDeliver(t, f, 4, "SF100", "o1")
		o2 := buyShipDeliver(t, f, 2, "SF100", "o2")
		for {
			n, err := consumer.ProcessBatch(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		drops, err := f.g.Drops(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, dr := range drops {
			got[dr.Kind] += dr.Grams
		}
		if got[green.KindConsolidated] != (3+2)*30 || got[green.KindEReceipt] != 2*5 {
			t.Fatalf("energy from orders = %v (drops %+v)", got, drops)
		}
		// Replaying the events (a consumer reset) grants nothing new.
		err = d.InTx(ctx, func(tx *db.Tx) error {
			res, err := f.g.RecordTx(ctx, tx, *f.now, []green.Action{{ID: "market:order:" + o2.ID + ":e_receipt", UserID: alice.UserID, Kind: green.KindEReceipt, Quantity: 1, At: *f.now}})
			if err == nil && (res[0].Err != nil || !res[0].Replayed) {
				t.Errorf("the receipt recorded again = %+v; want a replay", res[0])
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		c := mustCollect(t, f, alice)
		if c.Grams != 160 {
			t.Fatalf("collected %d g; want 160", c.Grams)
		}

		pr := mustProject(t, f, green.ProjectTree, 100)
		cert, err := f.g.Redeem(ctx, alice, pr.ID, 1, "tree-1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.g.Redeem(ctx, alice, pr.ID, 1, "tree-2"); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("second tree with 60 g left: %v", err)
		}
		if balance(t, f, alice) != 60 {
			t.Fatalf("balance %d", balance(t, f, alice))
		}

		// A registered household of 阜平 plants it and guards the site.
		hh := f.hh[1]
		if _, err := f.g.AssignJob(ctx, officer, pr.ID, hh.ID, "planting"); err != nil {
			t.Fatal(err)
		}
		plant, _ := f.g.AssignJob(ctx, officer, pr.ID, hh.ID, "planting")
		guard, err := f.g.AssignJob(ctx, officer, pr.ID, hh.ID, "guarding")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.g.AssignJob(ctx, stranger, pr.ID, hh.ID, "guarding"); fishpond.Code(err) != fishpond.EForbidden {
			t.Fatalf("officer of another county assigns: %v", err)
		}
		me := householdP(hh.ID)
		photo := jpegPhoto(t)
		report := func(job string, qty int64, lat, lon float64, key string) (green.Work, error) {
			return f.g.SubmitWork(ctx, me, green.WorkInput{JobID: job, Date: "2026-04-10", Quantity: qty, Lat: lat, Lon: lon,
				TakenAt: t0.Add(-time.Hour), Photo: bytes.NewReader(photo), Key: key})
		}
		if _, err := report(plant.ID, 1, 39.9, 116.4, "far"); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("photo taken in Beijing: %v", err)
		}
		w, err := report(plant.ID, 1, 38.7720, 113.9530, "plant-1")
		if err != nil {
			t.Fatal(err)
		}
		if again, err := report(plant.ID, 1, 38.7720, 113.9530, "plant-1"); err != nil || !again.Replayed || again.ID != w.ID {
			t.Fatalf("resubmitted = %+v, %v", again, err)
		}
		if _, err := f.g.VerifyWork(ctx, me, w.ID, true, ""); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("household verifies its own work: %v", err)
		}
		if w, err = f.g.VerifyWork(ctx, officer, w.ID, true, ""); err != nil || w.Wage != fishpond.Yuan(5) {
			t.Fatalf("verify planting = %+v, %v", w, err)
		}
		if _, err := f.g.VerifyWork(ctx, officer, w.ID, true, ""); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("verified twice: %v", err)
		}
		g, err := report(guard.ID, 10, 38.7700, 113.9500, "guard-1")
		if err != nil {
			t.Fatal(err)
		}
		if g, err = f.g.VerifyWork(ctx, officer, g.ID, true, ""); err != nil || g.Wage != fishpond.Yuan(600) {
			t.Fatalf("verify guarding = %+v, %v", g, err)
		}
		income, err := f.l.HouseholdIncome(ctx, hh.ID, t0.AddDate(0, -1, 0), t0.AddDate(0, 1, 0))
		if err != nil || income.Wage != fishpond.Yuan(605) {
			t.Fatalf("household wage income = %+v, %v; want 605 yuan", income, err)
		}

		// The certificate shows where the tree stands; a season later it is audited.
		cert, err = f.g.CertificateByCode(ctx, cert.Code)
		if err != nil || cert.Planted != 1 || cert.TreeSpots[0].Lat != 38.772 {
			t.Fatalf("certificate = %+v, %v", cert, err)
		}
		if _, err := f.g.DrawAudit(ctx, officer, pr.ID, "seed", 5); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("audit before a season passed: %v", err)
		}
		f.advance(green.SurvivalAfter + 24*time.Hour)
		a, err := f.g.DrawAudit(ctx, officer, pr.ID, "2026H2-seed", 5)
		if err != nil || len(a.Trees) != 1 {
			t.Fatalf("audit = %+v, %v", a, err)
		}
		if err := f.g.RecordCheck(ctx, officer, a.ID, a.Trees[0].TreeID, true); err != nil {
			t.Fatal(err)
		}
		if err := f.g.RecordCheck(ctx, officer, a.ID, a.Trees[0].TreeID, false); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("checked twice: %v", err)
		}
		p, _ := f.g.Project(ctx, pr.ID)
		if p.Planted != 1 || p.SurvivalBp() != 10000 {
			t.Fatalf("project = %+v", p)
		}

		m, err := f.g.Metrics(ctx, county, t0.AddDate(0, -1, 0), f.now.Add(time.Hour))
		if err != nil || m.TreesRedeemed != 1 || m.TreesPlanted != 1 || m.TreesSurvived != 1 || m.GreenJobs != 1 || m.WagesPaid != fishpond.Yuan(605) || m.EnergyCollected != 160 {
			t.Fatalf("metrics = %+v, %v", m, err)
		}
		// The report's events, without personal data.
		evs, err := log.Read(ctx, 0, []string{"green.energy.collected", "green.tree.redeemed", "green.tree.planted", "green.tree.survived", "green.job.paid"}, 0)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		var paid int64
		for _, e := range evs {
			kinds[e.Type]++
			if e.Type == "green.job.paid" {
				var pl struct{ Fen int64 }
				json.Unmarshal(e.Payload, &pl)
				paid += pl.Fen
				if e.CountyCode != county {
					t.Fatalf("event county %q", e.CountyCode)
				}
			}
		}
		if kinds["green.energy.collected"] != 1 || kinds["green.tree.planted"] != 1 || kinds["green.tree.survived"] != 1 || kinds["green.job.paid"] != 2 || paid != 60500 {
			t.Fatalf("events = %v, paid %d", kinds, paid)
		}
	})
}

// TestConcurrentVerifyPaysOnce: two officers approving the same report at once
// plant its trees and pay its wage once.
func TestConcurrentVerifyPaysOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		pr := mustProject(t, f, green.ProjectTree, 100)
		earn(t, f, alice, 5, "rides")
		if _, err := f.g.Redeem(ctx, alice, pr.ID, 4, "four"); err != nil {
			t.Fatal(err)
		}
		hh := f.hh[0]
		job, err := f.g.AssignJob(ctx, officer, pr.ID, hh.ID, green.JobPlanting)
		if err != nil {
			t.Fatal(err)
		}
		w, err := f.g.SubmitWork(ctx, householdP(hh.ID), green.WorkInput{JobID: job.ID, Date: "2026-04-10", Quantity: 2, Lat: 38.7712, Lon: 113.9521,
			TakenAt: t0.Add(-time.Hour), Photo: bytes.NewReader(jpegPhoto(t)), Key: "k"})
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		for _, o := range []fishpond.Principal{officer, officer2} {
			go func() { _, err := f.g.VerifyWork(ctx, o, w.ID, true, ""); errs <- err }()
		}
		ok := 0
		for range 2 {
			switch err := <-errs; fishpond.Code(err) {
			case "":
				ok++
			case fishpond.EConflict:
			default:
				t.Fatal(err)
			}
		}
		p, _ := f.g.Project(ctx, pr.ID)
		income, _ := f.l.HouseholdIncome(ctx, hh.ID, t0.AddDate(0, -1, 0), t0.AddDate(0, 1, 0))
		if ok != 1 || p.Planted != 2 || income.Wage != fishpond.Yuan(10) {
			t.Fatalf("%d approvals succeeded, %d trees planted, wage %s; want 1, 2, 10.00", ok, p.Planted, income.Wage)
		}
	})
}
