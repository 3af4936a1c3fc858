package market

import (
	"bytes"
	"strings"
	"testing"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

func TestShopPovertyFlag(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		// A registered household's own shop.
		sh := mustShop(t, f)
		if !sh.Poverty || sh.CountyCode != povertyCounty {
			t.Fatalf("household shop: %+v", sh)
		}
		// Someone else cannot open a shop for the household; an unknown household is invalid.
		_, err := f.m.OpenShop(ctx, householdP(f.hh[1]), ShopInput{Name: "冒名", OwnerKind: OwnerHousehold, OwnerID: f.hh[0]})
		wantCode(t, err, fishpond.EForbidden, "")
		_, err = f.m.OpenShop(ctx, admin, ShopInput{Name: "假户", OwnerKind: OwnerHousehold, OwnerID: "no-such"})
		wantCode(t, err, fishpond.EInvalid, "owner_id")
		// A cooperative with registered members, managed by its coop manager.
		mgr := fishpond.Principal{UserID: "u-mgr", Role: fishpond.RoleCoopManager, Counties: []string{povertyCounty}}
		coop, err := f.m.CreateCoop(ctx, admin, CoopInput{Name: "阜平枣业合作社", CountyCode: povertyCounty, ManagerUserID: "u-mgr",
			Members: []Share{{f.hh[1], 6000}, {f.hh[2], 4000}}})
		if err != nil {
			t.Fatal(err)
		}
		csh, err := f.m.OpenShop(ctx, mgr, ShopInput{Name: "合作社店", OwnerKind: OwnerCoop, OwnerID: coop.ID})
		if err != nil || !csh.Poverty {
			t.Fatalf("coop shop: %+v %v", csh, err)
		}
		_, err = f.m.OpenShop(ctx, fishpond.Principal{UserID: "u-x", Role: fishpond.RoleCoopManager}, ShopInput{Name: "别人的", OwnerKind: OwnerCoop, OwnerID: coop.ID})
		wantCode(t, err, fishpond.EForbidden, "")
		// Coop shares must sum to 10000 and name registered households.
		_, err = f.m.CreateCoop(ctx, admin, CoopInput{Name: "坏", CountyCode: povertyCounty, ManagerUserID: "m", Members: []Share{{f.hh[1], 5000}}})
		wantCode(t, err, fishpond.EInvalid, "members")
		_, err = f.m.CreateCoop(ctx, admin, CoopInput{Name: "坏", CountyCode: povertyCounty, ManagerUserID: "m", Members: []Share{{"ghost", 10000}}})
		wantCode(t, err, fishpond.EInvalid, "members[0].household_id")
		// Service centres: flagged in a poverty county, not in Beijing.
		officer := fishpond.Principal{UserID: "u-off", Role: fishpond.RoleCountyOfficer, Counties: []string{povertyCounty}}
		ctr, err := f.m.OpenShop(ctx, officer, ShopInput{Name: "阜平县电商服务中心", OwnerKind: OwnerCentre, OwnerID: povertyCounty})
		if err != nil || !ctr.Poverty {
			t.Fatalf("centre: %+v %v", ctr, err)
		}
		rich, err := f.m.OpenShop(ctx, admin, ShopInput{Name: "东城服务中心", OwnerKind: OwnerCentre, OwnerID: richCounty})
		if err != nil || rich.Poverty {
			t.Fatalf("rich centre: %+v %v", rich, err)
		}
		_, err = f.m.OpenShop(ctx, officer, ShopInput{Name: "越权", OwnerKind: OwnerCentre, OwnerID: richCounty})
		wantCode(t, err, fishpond.EForbidden, "")
		_, err = f.m.OpenShop(ctx, admin, ShopInput{Name: "", OwnerKind: "bank", OwnerID: ""})
		wantCode(t, err, fishpond.EInvalid, "owner_kind")
	})
}

func TestProductValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		sh := mustShop(t, f)
		pr := mustProduct(t, f, sh, nil)
		if !pr.Poverty || len(pr.Producers) != 1 || pr.Producers[0] != (Share{f.hh[0], 10000}) {
			t.Fatalf("default producer: %+v", pr)
		}
		cases := []struct {
			name, field string
			edit        func(*ProductInput)
		}{
			{"no name", "name", func(in *ProductInput) { in.Name = " " }},
			{"zero price", "price", func(in *ProductInput) { in.Price = 0 }},
			{"negative stock", "stock", func(in *ProductInput) { in.Stock = -1 }},
			{"bad batch", "batch_code", func(in *ProductInput) { in.BatchCode = "批次 1" }},
			{"future harvest", "harvest_date", func(in *ProductInput) { in.HarvestDate = "2021-01-01" }},
			{"bad date", "harvest_date", func(in *ProductInput) { in.HarvestDate = "2020-13-01" }},
			{"no county", "origin_county", func(in *ProductInput) { in.OriginCounty = "999999" }},
			{"village elsewhere", "origin_village_id", func(in *ProductInput) { in.OriginCounty = richCounty; in.OriginVillageID = f.village }},
			{"pledge too big", "pledge", func(in *ProductInput) { in.Pledge = in.Price; in.PledgeFund = "health-insurance" }},
			{"pledge without fund", "pledge_fund", func(in *ProductInput) { in.Pledge = 10 }},
			{"shares not 10000", "producers", func(in *ProductInput) { in.Producers = []Share{{f.hh[0], 6000}, {f.hh[1], 3000}} }},
			{"duplicate producer", "producers[1].household_id", func(in *ProductInput) { in.Producers = []Share{{f.hh[0], 5000}, {f.hh[0], 5000}} }},
			{"unregistered producer", "producers[1].household_id", func(in *ProductInput) { in.Producers = []Share{{f.hh[0], 5000}, {"ghost", 5000}} }},
			{"coop and producers", "producers", func(in *ProductInput) { in.CoopID = "x"; in.Producers = []Share{{f.hh[0], 10000}} }},
			{"unknown coop", "coop_id", func(in *ProductInput) { in.CoopID = "nope" }},
		}
		for _, c := range cases {
			in := productInput(sh.ID)
			c.edit(&in)
			_, err := f.m.AddProduct(ctx, householdP(f.hh[0]), in)
			if fishpond.Code(err) != fishpond.EInvalid || err.(*fishpond.Error).Fields[c.field] == "" {
				t.Errorf("%s: want invalid %s, got %v", c.name, c.field, err)
			}
		}
		// Another household's shop is not found for this seller.
		_, err := f.m.AddProduct(ctx, householdP(f.hh[1]), productInput(sh.ID))
		wantCode(t, err, fishpond.ENotFound, "")
		// A cooperative product snapshots member shares.
		coop, err := f.m.CreateCoop(ctx, admin, CoopInput{Name: "社", CountyCode: povertyCounty, ManagerUserID: "m", Members: []Share{{f.hh[1], 6000}, {f.hh[2], 4000}}})
		if err != nil {
			t.Fatal(err)
		}
		cp := mustProduct(t, f, sh, func(in *ProductInput) { in.CoopID = coop.ID; in.OriginVillageID = f.village })
		if len(cp.Producers) != 2 || cp.OriginVillageID != f.village {
			t.Fatalf("coop product: %+v", cp)
		}
	})
}

func TestPhotoValidation(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 100)...)
	webp := append([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), make([]byte, 100)...)
	for name, b := range map[string][]byte{"png": png, "jpeg": jpeg, "webp": webp} {
		if _, _, err := CheckPhoto(bytes.NewReader(b)); err != nil {
			t.Errorf("%s rejected: %v", name, err)
		}
	}
	for name, b := range map[string][]byte{
		"gif":     []byte("GIF89a........"),
		"html":    []byte("<html><script>alert(1)</script>"),
		"empty":   nil,
		"too big": append(append([]byte{}, png...), make([]byte, MaxPhotoBytes)...),
	} {
		_, _, err := CheckPhoto(bytes.NewReader(b))
		wantCode(t, err, fishpond.EInvalid, "photo")
		_ = name
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		sh := mustShop(t, f)
		pr := mustProduct(t, f, sh, nil)
		ph, err := f.m.AddPhoto(ctx, householdP(f.hh[0]), pr.ID, bytes.NewReader(png))
		if err != nil || ph.ContentType != "image/png" || !strings.HasSuffix(ph.Path, ".png") {
			t.Fatalf("%+v %v", ph, err)
		}
		_, err = f.m.AddPhoto(ctx, householdP(f.hh[0]), pr.ID, strings.NewReader("not an image at all"))
		wantCode(t, err, fishpond.EInvalid, "photo")
		_, err = f.m.AddPhoto(ctx, householdP(f.hh[1]), pr.ID, bytes.NewReader(png))
		wantCode(t, err, fishpond.ENotFound, "")
		list, err := f.m.Photos(ctx, pr.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("photos: %v %v", list, err)
		}
		file, err := f.m.PhotoFile(list[0])
		if err != nil {
			t.Fatal(err)
		}
		file.Close()
	})
}

func TestAddressValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		good := AddressInput{Name: "张三", Phone: "+86 138-0013-8000", ProvinceCode: "11", CountyCode: richCounty, Detail: "东直门大街1号"}
		a, err := f.m.AddAddress(ctx, buyer, good)
		if err != nil || a.Phone != "13800138000" {
			t.Fatalf("%+v %v", a, err)
		}
		for field, edit := range map[string]func(*AddressInput){
			"name":          func(in *AddressInput) { in.Name = "" },
			"phone":         func(in *AddressInput) { in.Phone = "1380013800" },
			"detail":        func(in *AddressInput) { in.Detail = "1号" },
			"county_code":   func(in *AddressInput) { in.CountyCode = povertyCounty }, // not in province 11
			"province_code": func(in *AddressInput) { in.ProvinceCode = "" },
		} {
			in := good
			edit(&in)
			_, err := f.m.AddAddress(ctx, buyer, in)
			wantCode(t, err, fishpond.EInvalid, field)
		}
		in := good
		in.CountyCode = "999999"
		_, err = f.m.AddAddress(ctx, buyer, in)
		wantCode(t, err, fishpond.EInvalid, "county_code")
		list, err := f.m.Addresses(ctx, buyer)
		if err != nil || len(list) != 1 || list[0].Phone != "13800138000" {
			t.Fatalf("%+v %v", list, err)
		}
		if list, _ := f.m.Addresses(ctx, other); len(list) != 0 {
			t.Fatalf("another buyer sees addresses: %+v", list)
		}
		// The phone is sealed at rest.
		var enc string
		if err := d.Read().QueryRowContext(ctx, "SELECT phone_enc FROM market_addresses").Scan(&enc); err != nil || strings.Contains(enc, "13800138000") {
			t.Fatalf("phone stored in plain text: %q %v", enc, err)
		}
	})
}
