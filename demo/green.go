package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"time"

	"fishpond"
	"fishpond/green"
)

func init() { steps = append(steps, step{name: "green energy", run: loadGreen}) }

// loadGreen shows the ecological channel: a sea-buckthorn planting project in 阜平
// and a protected area in 东乡, the demo consumer's energy from partner-reported
// rides and walks (some collected and spent on a tree and an area share, some
// waiting to be collected), and the farmer household paid for planting it, with a
// guarding report waiting for the county officer.
func loadGreen(ctx context.Context, d Deps, l Loaded) error {
	if d.Green == nil {
		return nil
	}
	consumer, err := d.Access.UserByName(ctx, "consumer")
	if err != nil {
		return err
	}
	officer, err := d.Access.UserByName(ctx, "fuping")
	if err != nil {
		return err
	}
	farmer, err := d.Access.UserByName(ctx, "farmer")
	if err != nil {
		return err
	}
	now := time.Now().In(fishpond.ChinaTime)
	// The planting season is set around today so that the demo's report is in it
	// whenever the demo runs; real projects publish theirs (spring or autumn).
	m := int(now.Month())
	from, to := (m+10)%12+1, m%12+1
	tree, err := d.Green.CreateProject(ctx, officer.Principal(), green.ProjectInput{Kind: green.ProjectTree, CountyCode: "130624", Name: "骆驼湾沙棘林",
		Species: "沙棘 sea buckthorn", Partner: "阜平县林业和草原局", Place: "龙泉关镇骆驼湾村", Lat: 38.7712, Lon: 113.9521, PriceG: 500, Capacity: 20000,
		SurvivalTargetBp: 8500, SeasonFrom: from, SeasonTo: to, PlantingWage: fishpond.Yuan(5), GuardingWage: fishpond.Yuan(60)})
	if err != nil {
		return err
	}
	area, err := d.Green.CreateProject(ctx, fishpond.System, green.ProjectInput{Kind: green.ProjectArea, CountyCode: "622926", Name: "布楞沟水源保护地",
		Species: "水源涵养林 watershed forest", Partner: "东乡县林业局", Place: "锁南镇布楞沟村", Lat: 35.6650, Lon: 103.3890, PriceG: 20, Capacity: 500000,
		SurvivalTargetBp: 0, SeasonFrom: 3, SeasonTo: 5, GuardingWage: fishpond.Yuan(50)})
	if err != nil {
		return err
	}
	var actions []green.Action
	for day := 2; day >= 0; day-- {
		at := time.Now().Add(-time.Duration(day)*24*time.Hour - time.Hour)
		actions = append(actions,
			green.Action{ID: fmt.Sprintf("partner:demo:bus-%d", day), UserID: consumer.ID, Kind: green.KindPublicTransport, Quantity: 4, At: at, Source: "partner:demo"},
			green.Action{ID: fmt.Sprintf("partner:demo:walk-%d", day), UserID: consumer.ID, Kind: green.KindWalking, Quantity: 12000 + int64(day)*3100, At: at, Source: "partner:demo"})
		if day == 1 {
			if err := record(ctx, d.Green, actions); err != nil {
				return err
			}
			actions = nil
			if _, err := d.Green.Collect(ctx, consumer.Principal()); err != nil {
				return err
			}
		}
	}
	cp := consumer.Principal()
	if _, err := d.Green.Redeem(ctx, cp, tree.ID, 1, "demo-tree"); err != nil {
		return err
	}
	if _, err := d.Green.Redeem(ctx, cp, area.ID, 10, "demo-area"); err != nil {
		return err
	}
	if err := record(ctx, d.Green, actions); err != nil { // today's energy waits on the energy page
		return err
	}
	fp := farmer.Principal()
	plant, err := d.Green.AssignJob(ctx, officer.Principal(), tree.ID, l.FarmerHousehold, green.JobPlanting)
	if err != nil {
		return err
	}
	guard, err := d.Green.AssignJob(ctx, officer.Principal(), tree.ID, l.FarmerHousehold, green.JobGuarding)
	if err != nil {
		return err
	}
	yesterday := now.AddDate(0, 0, -1)
	date := yesterday.Format("2006-01-02")
	taken := time.Date(yesterday.Year(), yesterday.Month(), yesterday.Day(), 10, 30, 0, 0, fishpond.ChinaTime)
	w, err := d.Green.SubmitWork(ctx, fp, green.WorkInput{JobID: plant.ID, Date: date, Quantity: 1, Lat: 38.7718, Lon: 113.9530, TakenAt: taken,
		Photo: bytes.NewReader(demoPhoto()), Key: "demo-plant"})
	if err != nil {
		return err
	}
	if _, err := d.Green.VerifyWork(ctx, officer.Principal(), w.ID, true, ""); err != nil {
		return err
	}
	_, err = d.Green.SubmitWork(ctx, fp, green.WorkInput{JobID: guard.ID, Date: date, Quantity: 5, Lat: 38.7705, Lon: 113.9512, TakenAt: taken.Add(2 * time.Hour),
		Photo: bytes.NewReader(demoPhoto()), Key: "demo-guard"})
	return err
}

func record(ctx context.Context, g *green.Service, as []green.Action) error {
	res, err := g.Record(ctx, as, true)
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

// demoPhoto is a small green picture standing in for a phone's evidence photo.
func demoPhoto() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 96, 96))
	for y := range 96 {
		for x := range 96 {
			img.Set(x, y, color.RGBA{uint8(60 + x), uint8(120 + y), 60, 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, nil)
	return b.Bytes()
}
