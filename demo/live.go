package demo

import (
	"context"
	"fmt"
	"time"

	"fishpond"
	"fishpond/live"
	"fishpond/market"
)

func init() { steps = append(steps, step{name: "live", run: loadLive}) }

// loadLive makes the demo farmer and the millet cooperative certified anchors
// (trained and certified by 阜平's officer), gives each a room for their shop,
// schedules a session for this evening and enrols both rooms in a
// poverty-alleviation live day: log in as "farmer", open the anchor console and
// push a stream with the key shown there to see it go live.
func loadLive(ctx context.Context, d Deps, l Loaded) error {
	if d.Live == nil {
		return nil
	}
	officer, err := d.Access.UserByName(ctx, "fuping")
	if err != nil {
		return err
	}
	admin, err := d.Access.UserByName(ctx, "admin")
	if err != nil {
		return err
	}
	now := time.Now()
	camp, err := d.Live.CreateCampaign(ctx, admin.Principal(), live.CampaignInput{Name: "消费扶贫直播日 Poverty-alleviation live day",
		Description: "贫困县农户、合作社和县长同日开播 farmers, cooperatives and county heads live on one day", StartsAt: now.Add(-2 * time.Hour), EndsAt: now.Add(46 * time.Hour)})
	if err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	anchors := []struct {
		login, name, bio, title, session string
		kind                             live.AnchorKind
		start                            time.Duration
	}{
		{"farmer", "骆驼湾王大姐", "在骆驼湾种了二十年核桃 twenty years of walnuts in 骆驼湾", "王大姐的核桃园", "新核桃上市 New-season walnuts", live.KindHousehold, 30 * time.Minute},
		{"coop", "小米合作社小李", "骆驼湾小米合作社的主播 the millet cooperative's anchor", "骆驼湾小米直播间", "一县一品：阜平小米 One county, one product", live.KindCoopStaff, 3 * time.Hour},
	}
	for _, a := range anchors {
		u, err := d.Access.UserByName(ctx, a.login)
		if err != nil {
			return err
		}
		p := u.Principal()
		anc, err := d.Live.Apply(ctx, p, live.AnchorInput{Kind: a.kind, DisplayName: a.name, CountyCode: "130624", Bio: a.bio})
		if err != nil {
			return fmt.Errorf("anchor %s: %w", a.login, err)
		}
		if _, err := d.Live.RecordTraining(ctx, officer.Principal(), anc.ID, live.TrainingInput{Course: "电商直播带货培训班 Live-commerce training",
			Minutes: 480, Passed: true, TrainedOn: now.AddDate(0, 0, -7).In(fishpond.ChinaTime).Format("2006-01-02")}); err != nil {
			return err
		}
		if _, err := d.Live.Certify(ctx, officer.Principal(), anc.ID, true, ""); err != nil {
			return err
		}
		shops, err := d.Market.SellerShops(ctx, p)
		if err != nil || len(shops) == 0 {
			return fmt.Errorf("no shop for %s: %v", a.login, err)
		}
		room, err := d.Live.CreateRoom(ctx, p, shops[0].ID, a.title)
		if err != nil {
			return fmt.Errorf("room %s: %w", a.login, err)
		}
		prods, err := d.Market.ShopProducts(ctx, shops[0].ID)
		if err != nil {
			return err
		}
		var ids []string
		for _, pr := range prods {
			ids = append(ids, pr.ID)
		}
		if a.login == "coop" && len(prods) > 0 {
			// The cooperative's broadcast earlier today: three shoppers bought
			// (paid) from the watch page, so the report and leaderboard have sales.
			if err := pastBroadcast(ctx, d, p, room, prods[0].ID); err != nil {
				return fmt.Errorf("past broadcast: %w", err)
			}
		}
		if _, err := d.Live.Schedule(ctx, p, live.SessionInput{RoomID: room.ID, Title: a.session, PlannedStart: now.Add(a.start),
			PlannedEnd: now.Add(a.start + 2*time.Hour), ProductIDs: ids}); err != nil {
			return fmt.Errorf("session %s: %w", a.login, err)
		}
		if err := d.Live.JoinCampaign(ctx, p, camp.ID, room.ID); err != nil {
			return err
		}
	}
	return nil
}

// pastBroadcast runs one broadcast of the room through the same calls a media
// server and the watch page make: publish, three orders placed and paid, end.
func pastBroadcast(ctx context.Context, d Deps, anchor fishpond.Principal, room live.Room, productID string) error {
	ss, err := d.Live.Publish(ctx, room.ID, room.StreamKey)
	if err != nil {
		return err
	}
	shopper, err := d.Access.UserByName(ctx, "consumer")
	if err != nil {
		return err
	}
	p := shopper.Principal()
	addrs, err := d.Market.Addresses(ctx, p)
	if err != nil {
		return err
	}
	addr := ""
	if len(addrs) > 0 {
		addr = addrs[0].ID
	} else {
		a, err := d.Market.AddAddress(ctx, p, market.AddressInput{Name: "城市消费者", Phone: "13800138000", ProvinceCode: "33", CountyCode: "330106", Detail: "文三路1号"})
		if err != nil {
			return err
		}
		addr = a.ID
	}
	for i, qty := range []int64{2, 1, 3} {
		o, err := d.Live.Buy(ctx, p, ss.ID, market.OrderRequest{IdempotencyKey: fmt.Sprintf("demo-live-%d", i), AddressID: addr,
			Lines: []market.LineRequest{{ProductID: productID, Qty: qty}}})
		if err != nil {
			return err
		}
		if _, err := d.Market.MarkPaid(ctx, o.ID, "demo", fmt.Sprintf("DEMO-LIVE-%d", i), o.Total); err != nil {
			return err
		}
	}
	if _, err := d.Live.SyncOrders(ctx); err != nil {
		return err
	}
	_, err = d.Live.End(ctx, anchor, ss.ID)
	return err
}
