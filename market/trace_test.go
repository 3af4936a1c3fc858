package market

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
	"fishpond/internal/qr"
)

func TestOrigin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := mustCatalog(t, d)
		if n, p := count(t, d, "SELECT COUNT(DISTINCT code) FROM market_trace_codes"), count(t, d, "SELECT COUNT(*) FROM market_products"); n != p {
			t.Fatalf("%d trace codes for %d products", n, p)
		}
		code, err := c.m.TraceCode(ctx, c.apples.ID)
		if err != nil || !tracePattern.MatchString(code) {
			t.Fatalf("trace code %q: %v", code, err)
		}
		_, err = c.m.TraceCode(ctx, "nope")
		wantCode(t, err, fishpond.ENotFound, "")

		b := mustBrand(t, c)
		if _, err := inspect(c, b, c.apples.ID, "2020-05-01", 15, 1, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := inspect(c, b, c.apples.ID, "2020-05-20", 16.5, 1, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := inspect(c, b, c.millet.ID, "2020-05-25", 10, 1, 0); err != nil { // failed: not on the record
			t.Fatal(err)
		}
		o, err := c.m.Origin(ctx, " "+strings.ToLower(code)+" ")
		if err != nil {
			t.Fatal(err)
		}
		if o.Code != code || o.ProductID != c.apples.ID || o.CountyName != "阜平县" || !o.PovertyCounty || o.ProvinceName == "" ||
			o.VillageName != "试点村" || o.HarvestDate != "2019-10-01" || o.BatchCode != "FP-2020-003" || o.Households != 1 ||
			!strings.Contains(o.Producer, "试点村建档立卡户") || o.ShopName != c.shop.Name {
			t.Fatalf("origin: %+v", o)
		}
		if len(o.Brands) != 1 || o.Brands[0].Brand.Name != "阜平苹果" || len(o.Brands[0].Brand.Criteria) != 3 ||
			o.Brands[0].Inspection.Date != "2020-05-20" || !o.Brands[0].Inspection.Passed || o.Brands[0].Inspection.Measurements[0].Value != 16.5 {
			t.Fatalf("origin brands: %+v", o.Brands)
		}
		// No personal data: no household id, number or head's name, no user id.
		h, err := c.reg.Household(ctx, admin, c.hh[0])
		if err != nil {
			t.Fatal(err)
		}
		text := fmt.Sprintf("%+v", o)
		for _, secret := range []string{h.ID, h.Number, h.HeadName, officer.UserID} {
			if strings.Contains(text, secret) {
				t.Errorf("origin record shows %q: %s", secret, text)
			}
		}
		for _, bad := range []string{"", "ABC", "000000000000", "ZZZZZZZZZZZZ", "'; DROP TABLE x"} {
			_, err := c.m.Origin(ctx, bad)
			wantCode(t, err, fishpond.ENotFound, "")
		}
		millet, _ := c.m.TraceCode(ctx, c.millet.ID)
		if o, err := c.m.Origin(ctx, millet); err != nil || len(o.Brands) != 0 || o.VillageName != "" {
			t.Fatalf("unbranded origin: %v %+v", err, o)
		}
	})
}

func TestTraceQR(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := mustCatalog(t, d)
		code, err := c.m.TraceCode(ctx, c.dates.ID)
		if err != nil {
			t.Fatal(err)
		}
		png, err := c.m.TraceQR(ctx, code, "https://fishpond.example.cn/")
		if err != nil {
			t.Fatal(err)
		}
		want, err := qr.PNG("https://fishpond.example.cn/trace/"+code, TraceQRSize)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(png, want) {
			t.Error("the QR image does not encode the origin page's address")
		}
		for _, base := range []string{"", "fishpond.example.cn", "ftp://x.cn", "https://x.cn/?a=1", "javascript:alert(1)", "https://u:p@x.cn"} {
			_, err := c.m.TraceQR(ctx, code, base)
			wantCode(t, err, fishpond.EInvalid, "base_url")
		}
		_, err = c.m.TraceQR(ctx, "000000000000", "https://x.cn")
		wantCode(t, err, fishpond.ENotFound, "")
		_, err = c.m.TraceQR(ctx, "bad", "https://x.cn")
		wantCode(t, err, fishpond.ENotFound, "")
	})
}
