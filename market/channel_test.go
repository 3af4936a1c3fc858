package market

import (
	"slices"
	"testing"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

func TestChannelReview(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := mustCatalog(t, d)
		seller := householdP(c.shop.OwnerID)
		editor := fishpond.Principal{UserID: "u-editor", Role: fishpond.RoleConsumer}

		a, err := c.m.ApplyToChannel(ctx, seller, c.dates.ID, "阜平大枣，建档立卡户自产")
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != ApplicationPending || a.ProductName != c.dates.Name || a.Applicant != seller.UserID {
			t.Fatalf("application: %+v", a)
		}
		_, err = c.m.ApplyToChannel(ctx, seller, c.dates.ID, "again")
		wantCode(t, err, fishpond.EConflict, "")

		// Only editors review; an admin names them.
		_, err = c.m.ApproveChannel(ctx, editor, a.ID, "")
		wantCode(t, err, fishpond.EForbidden, "")
		_, err = c.m.ChannelQueue(ctx, editor, 10)
		wantCode(t, err, fishpond.EForbidden, "")
		wantCode(t, c.m.AddChannelEditor(ctx, seller, editor.UserID), fishpond.EForbidden, "")
		if err := c.m.AddChannelEditor(ctx, admin, editor.UserID); err != nil {
			t.Fatal(err)
		}
		if err := c.m.AddChannelEditor(ctx, admin, editor.UserID); err != nil {
			t.Fatalf("naming an editor twice: %v", err)
		}
		queue, err := c.m.ChannelQueue(ctx, editor, 10)
		if err != nil || len(queue) != 1 || queue[0].ID != a.ID {
			t.Fatalf("queue: %v %+v", err, queue)
		}
		a, err = c.m.ApproveChannel(ctx, editor, a.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != ApplicationApproved || a.Reviewer != editor.UserID || a.ReviewedAt.IsZero() {
			t.Fatalf("approved: %+v", a)
		}
		_, err = c.m.RejectChannel(ctx, editor, a.ID, "重复审核")
		wantCode(t, err, fishpond.EConflict, "")
		_, err = c.m.ApplyToChannel(ctx, seller, c.dates.ID, "")
		wantCode(t, err, fishpond.EConflict, "")
		if in, err := c.m.InChannel(ctx, c.dates.ID); err != nil || !in {
			t.Fatalf("InChannel: %v %v", in, err)
		}
		if got := searchIDs(t, c, SearchQuery{ChannelOnly: true}); !slices.Equal(got, []string{c.dates.ID}) {
			t.Errorf("channel search: %v", got)
		}
		page, _ := c.m.Search(ctx, SearchQuery{Text: "大枣"})
		if !page.Hits[0].InChannel {
			t.Error("search hit does not carry the label")
		}

		// A rejection needs a reason; the seller sees it and may apply again.
		b, err := c.m.ApplyToChannel(ctx, seller, c.millet.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.m.RejectChannel(ctx, editor, b.ID, " ")
		wantCode(t, err, fishpond.EInvalid, "reason")
		b, err = c.m.RejectChannel(ctx, editor, b.ID, "缺少产品照片 no photos")
		if err != nil {
			t.Fatal(err)
		}
		hist, err := c.m.ProductChannelApplications(ctx, seller, c.millet.ID)
		if err != nil || len(hist) != 1 || hist[0].Status != ApplicationRejected || hist[0].Reason != "缺少产品照片 no photos" {
			t.Fatalf("seller's history: %v %+v", err, hist)
		}
		_, err = c.m.ProductChannelApplications(ctx, other, c.millet.ID)
		wantCode(t, err, fishpond.ENotFound, "")
		if _, err := c.m.ApplyToChannel(ctx, seller, c.millet.ID, "已补充照片"); err != nil {
			t.Fatalf("apply after rejection: %v", err)
		}

		// Nobody reviews their own application.
		own, err := c.m.ApplyToChannel(ctx, seller, c.apples.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.m.AddChannelEditor(ctx, admin, seller.UserID); err != nil {
			t.Fatal(err)
		}
		_, err = c.m.ApproveChannel(ctx, seller, own.ID, "")
		wantCode(t, err, fishpond.EForbidden, "")
		if err := c.m.RemoveChannelEditor(ctx, admin, editor.UserID); err != nil {
			t.Fatal(err)
		}
		_, err = c.m.ApproveChannel(ctx, editor, own.ID, "")
		wantCode(t, err, fishpond.EForbidden, "")
		_, err = c.m.ApproveChannel(ctx, admin, "no-such-id", "")
		wantCode(t, err, fishpond.ENotFound, "")
	})
}

func TestChannelEligibilityAndCoverage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := mustCatalog(t, d)
		// A non-poverty service centre selling non-poverty-county goods.
		_, err := c.m.ApplyToChannel(ctx, admin, c.chips.ID, "")
		wantCode(t, err, fishpond.EInvalid, "product_id")
		// Even an application that slipped in is not approved.
		exec(t, d, "INSERT INTO market_channel_applications (id, product_id, applicant, note, status, applied_at) VALUES ('x', ?, 'u-x', '', 'pending', '2020-06-01T00:00:00.000000Z')", c.chips.ID)
		_, err = c.m.ApproveChannel(ctx, admin, "x", "")
		wantCode(t, err, fishpond.EInvalid, "product_id")
		if n := count(t, d, "SELECT COUNT(*) FROM market_channel_products"); n != 0 {
			t.Fatalf("an ineligible product was listed")
		}
		if a, _ := c.m.ChannelApplication(ctx, "x"); a.Status != ApplicationPending {
			t.Fatalf("a refused approval changed the application: %+v", a)
		}
		_, err = c.m.ApplyToChannel(ctx, other, c.dates.ID, "")
		wantCode(t, err, fishpond.ENotFound, "")
		_, err = c.m.ApplyToChannel(ctx, householdP(c.shop.OwnerID), "nope", "")
		wantCode(t, err, fishpond.ENotFound, "")

		cov, err := c.m.ChannelCoverage(ctx)
		if err != nil || cov != (Coverage{}) {
			t.Fatalf("empty channel: %v %+v", err, cov)
		}
		for _, p := range []Product{c.dates, c.apples} {
			a, err := c.m.ApplyToChannel(ctx, householdP(c.shop.OwnerID), p.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.m.ApproveChannel(ctx, admin, a.ID, "符合条件"); err != nil {
				t.Fatal(err)
			}
		}
		cov, err = c.m.ChannelCoverage(ctx)
		want := Coverage{Provinces: 1, Counties: 1, PovertyCounties: 1, Products: 2, Shops: 1, Households: 1}
		if err != nil || cov != want {
			t.Fatalf("coverage: %v %+v, want %+v", err, cov, want)
		}
	})
}
