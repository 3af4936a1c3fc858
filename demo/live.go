package demo

import (
	"context"
	"fmt"
	"time"

	"fishpond"
	"fishpond/live"
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
