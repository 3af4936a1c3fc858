package green_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"fishpond"
	"fishpond/green"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

func TestRecordConvertsCapsAndCountsOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		res := mustRecord(t, f, true,
			walk("p:1", alice.UserID, 10_000), // 100 g
			walk("p:2", alice.UserID, 25_050), // 250 g, capped to 196
			walk("p:1", alice.UserID, 10_000), // same action again in the batch
			walk("p:3", alice.UserID, 100),    // cap reached: 0 g
			green.Action{ID: "p:4", UserID: alice.UserID, Kind: green.KindEReceipt, Quantity: 1},                       // platform kind from a partner
			green.Action{ID: "p:5", UserID: alice.UserID, Kind: green.KindWalking, Quantity: 5, At: t0.Add(time.Hour)}, // future
			green.Action{ID: "p:6", UserID: alice.UserID, Kind: green.KindWalking, Quantity: 5, At: t0.Add(-100 * time.Hour)},
		)
		want := []struct {
			grams    int64
			capped   bool
			replayed bool
			code     fishpond.ErrorCode
		}{{100, false, false, ""}, {196, true, false, ""}, {100, false, true, ""}, {0, true, false, ""},
			{0, false, false, fishpond.EInvalid}, {0, false, false, fishpond.EInvalid}, {0, false, false, fishpond.EInvalid}}
		for i, w := range want {
			r := res[i]
			if r.Grams != w.grams || r.Capped != w.capped || r.Replayed != w.replayed || fishpond.Code(r.Err) != w.code {
				t.Errorf("action %d: %+v; want grams %d capped %v replayed %v error %q", i, r, w.grams, w.capped, w.replayed, w.code)
			}
		}
		// Reported again later: the same action counts once; other content under
		// the same id is a conflict.
		again := mustRecord(t, f, true, walk("p:1", alice.UserID, 10_000), walk("p:2", alice.UserID, 1))
		if !again[0].Replayed || again[0].Grams != 100 || fishpond.Code(again[1].Err) != fishpond.EConflict {
			t.Fatalf("replays = %+v", again)
		}
		// Another user, and the next China day, have caps of their own.
		if r := mustRecord(t, f, true, walk("p:7", bob.UserID, 40_000)); r[0].Grams != 296 {
			t.Fatalf("bob = %+v", r[0])
		}
		f.advance(24 * time.Hour)
		if r := mustRecord(t, f, true, walk("p:8", alice.UserID, 20_000)); r[0].Grams != 200 || r[0].Capped {
			t.Fatalf("next day = %+v", r[0])
		}
		// A report without a time, retried a minute later, is the same action.
		mustRecord(t, f, true, green.Action{ID: "p:9", UserID: bob.UserID, Kind: green.KindPublicTransport, Quantity: 1})
		f.advance(time.Minute)
		if r := mustRecord(t, f, true, green.Action{ID: "p:9", UserID: bob.UserID, Kind: green.KindPublicTransport, Quantity: 1}); !r[0].Replayed || r[0].Grams != 80 {
			t.Fatalf("untimed retry = %+v", r[0])
		}
		if c := mustCollect(t, f, alice); c.Grams != 100+196+200 || c.Drops != 3 {
			t.Fatalf("collected %+v; want the granted energy of the three non-empty drops", c)
		}
	})
}

func TestCollectBeforeExpiryOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		mustRecord(t, f, true, walk("a:1", alice.UserID, 5_000))
		f.advance(24 * time.Hour)
		mustRecord(t, f, true, walk("a:2", alice.UserID, 8_000))
		f.advance(60 * time.Hour) // a:1 is 84 h old (expired), a:2 60 h (still open)
		drops, err := f.g.Drops(ctx, alice)
		if err != nil || len(drops) != 1 || drops[0].ActionID != "a:2" {
			t.Fatalf("open drops = %+v, %v", drops, err)
		}
		if c := mustCollect(t, f, alice); c.Grams != 80 || c.Drops != 1 {
			t.Fatalf("collected %+v; want only the unexpired 80 g", c)
		}
		if c := mustCollect(t, f, alice); c.Drops != 0 {
			t.Fatalf("collected twice: %+v", c)
		}
		if n, err := f.g.ExpireDrops(ctx, *f.now); err != nil || n != 1 {
			t.Fatalf("ExpireDrops = %d, %v", n, err)
		}
		if b := balance(t, f, alice); b != 80 {
			t.Fatalf("balance %d", b)
		}
		m, err := f.g.Metrics(ctx, "", t0.Add(-time.Hour), f.now.Add(time.Hour))
		if err != nil || m.EnergyCollected != 80 || m.EnergyExpired != 50 || m.Participants != 1 {
			t.Fatalf("metrics = %+v, %v", m, err)
		}
	})
}

func TestFriendCollectsAllowedShare(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		mustRecord(t, f, true, green.Action{ID: "b:1", UserID: bob.UserID, Kind: green.KindPublicTransport, Quantity: 2, Source: "partner:x"}) // 160 g
		// Not friends yet, then friends only one way: nothing to take.
		if _, err := f.g.CollectFromFriend(ctx, alice, bob.UserID, "b:1"); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("strangers: %v", err)
		}
		if err := f.g.AddFriend(ctx, alice, "alice", bob.UserID, "bob"); err != nil {
			t.Fatal(err)
		}
		if err := f.g.SetFriendShare(ctx, bob, 2500); err != nil {
			t.Fatal(err)
		}
		if _, err := f.g.CollectFromFriend(ctx, alice, bob.UserID, "b:1"); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("one-way friends: %v", err)
		}
		if err := f.g.AddFriend(ctx, bob, "bob", alice.UserID, "alice"); err != nil {
			t.Fatal(err)
		}
		friends, err := f.g.Friends(ctx, alice)
		if err != nil || len(friends) != 1 || !friends[0].Mutual || len(friends[0].Ripe) != 1 {
			t.Fatalf("alice's friends = %+v, %v", friends, err)
		}
		if err := f.g.SetFriendShare(ctx, bob, 3001); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("share above 30%%: %v", err)
		}
		got, err := f.g.CollectFromFriend(ctx, alice, bob.UserID, "b:1")
		if err != nil || got != 40 {
			t.Fatalf("friend collected %d, %v; want 25%% of 160", got, err)
		}
		if err := f.g.AddFriend(ctx, carol, "carol", bob.UserID, "bob"); err != nil {
			t.Fatal(err)
		}
		f.g.AddFriend(ctx, bob, "bob", carol.UserID, "carol")
		if _, err := f.g.CollectFromFriend(ctx, carol, bob.UserID, "b:1"); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("second friend on the same drop: %v", err)
		}
		if c := mustCollect(t, f, bob); c.Grams != 120 {
			t.Fatalf("owner collected %d; want the 120 g left", c.Grams)
		}
		if _, err := f.g.CollectFromFriend(ctx, alice, bob.UserID, "b:1"); fishpond.Code(err) != fishpond.ENotFound {
			t.Fatalf("collect a collected drop: %v", err)
		}
		if balance(t, f, alice) != 40 || balance(t, f, bob) != 120 {
			t.Fatalf("balances alice %d bob %d", balance(t, f, alice), balance(t, f, bob))
		}
		if bad, err := f.g.Verify(ctx); err != nil || len(bad) != 0 {
			t.Fatalf("Verify = %v, %v", bad, err)
		}
	})
}

// TestEnergyIsNeverSpentTwice races redemptions that together ask for more than
// the balance: exactly the affordable ones succeed and the books still add up.
func TestEnergyIsNeverSpentTwice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		pr := mustProject(t, f, green.ProjectTree, 1000)
		earn(t, f, alice, 5, "rides") // 400 g: four trees at 100 g
		var wg sync.WaitGroup
		errs := make([]error, 12)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.g.Redeem(ctx, alice, pr.ID, 1, fmt.Sprintf("k%d", i))
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch fishpond.Code(err) {
			case "":
				ok++
			case fishpond.EConflict:
			default:
				t.Fatalf("redeem: %v", err)
			}
		}
		if ok != 4 || balance(t, f, alice) != 0 {
			t.Fatalf("%d redemptions succeeded, balance %d; want 4 and 0", ok, balance(t, f, alice))
		}
		// A retry with a used key returns its certificate and takes nothing.
		var used string
		for i, err := range errs {
			if err == nil {
				used = fmt.Sprintf("k%d", i)
				break
			}
		}
		c, err := f.g.Redeem(ctx, alice, pr.ID, 1, used)
		if err != nil || !c.Replayed || c.Project.Name != pr.Name || c.Project.CountyName != "阜平县" {
			t.Fatalf("replay = %+v, %v", c, err)
		}
		if _, err := f.g.Redeem(ctx, alice, pr.ID, 2, used); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("same key, other request: %v", err)
		}
		p, _ := f.g.Project(ctx, pr.ID)
		if p.Redeemed != 4 {
			t.Fatalf("project redeemed %d", p.Redeemed)
		}
		if bad, err := f.g.Verify(ctx); err != nil || len(bad) != 0 {
			t.Fatalf("Verify = %v, %v", bad, err)
		}
		// The energy ledger refuses to go negative even when asked directly.
		err = d.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE green_energy_accounts SET balance = balance - 1 WHERE user_id = ?", alice.UserID)
			return err
		})
		if err == nil {
			t.Fatal("the database let a balance go negative")
		}
	})
}

func TestAreaCapacityIsNeverOversubscribed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		pr := mustProject(t, f, green.ProjectArea, 3)
		earn(t, f, alice, 5, "a")
		earn(t, f, bob, 5, "b")
		if _, err := f.g.Redeem(ctx, alice, pr.ID, 2, "x"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.g.Redeem(ctx, bob, pr.ID, 2, "x"); fishpond.Code(err) != fishpond.EConflict {
			t.Fatalf("over capacity: %v", err)
		}
		if balance(t, f, bob) != 400 {
			t.Fatalf("a refused redemption took energy: %d", balance(t, f, bob))
		}
		if _, err := f.g.CreateProject(ctx, stranger, green.ProjectInput{Kind: "tree", CountyCode: county, Name: "x", Species: "x", Partner: "x", Place: "x",
			Lat: 38.7, Lon: 113.9, PriceG: 1, Capacity: 1, SeasonFrom: 3, SeasonTo: 5, PlantingWage: 1}); fishpond.Code(err) != fishpond.EForbidden {
			t.Fatalf("officer of another county: %v", err)
		}
		if _, err := f.g.CreateProject(ctx, fishpond.System, green.ProjectInput{Kind: "tree", CountyCode: "110101", Name: "x", Species: "x", Partner: "x", Place: "x",
			Lat: 39.9, Lon: 116.4, PriceG: 1, Capacity: 1, SeasonFrom: 3, SeasonTo: 5, PlantingWage: 1}); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("project outside a poverty county: %v", err)
		}
	})
}

// TestCapHoldsAcrossProcesses runs two services on one database (two server
// processes) recording the same user's walks at once: together they grant exactly
// the daily cap, never more, and each action once.
func TestCapHoldsAcrossProcesses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		other := green.New(d, f.reg, f.m, clock{f.now}, green.DefaultConfig)
		defer other.Close()
		var wg sync.WaitGroup
		var mu sync.Mutex
		var granted int64
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				svc := f.g
				if w%2 == 1 {
					svc = other
				}
				for i := range 10 {
					res, err := svc.Record(ctx, []green.Action{walk(fmt.Sprintf("w%d-%d", w, i%7), alice.UserID, 5_000)}, true)
					if err != nil {
						t.Error(err)
						return
					}
					if res[0].Err != nil && fishpond.Code(res[0].Err) != fishpond.EConflict {
						t.Error(res[0].Err)
					}
					if !res[0].Replayed {
						mu.Lock()
						granted += res[0].Grams
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		if granted != 296 {
			t.Fatalf("granted %d g in total; want exactly the 296 g cap", granted)
		}
		if c := mustCollect(t, f, alice); c.Grams != 296 {
			t.Fatalf("collected %d", c.Grams)
		}
	})
}
