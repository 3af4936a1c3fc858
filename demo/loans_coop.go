package demo

import (
	"context"
	"fmt"

	"fishpond"
	"fishpond/credit"
	"fishpond/farms"
)

// The cooperative's loan needs the farm the farms step registers: this file's name
// sorts after farms.go, and init functions (so steps) run in file-name order.
func init() { steps = append(steps, step{name: "cooperative loan", run: loadCoopLoan}) }

// loadCoopLoan: the millet cooperative sells last season's millet to a processor,
// then its manager applies from the phone for a production loan paid in kind to the
// input supplier (seeds and fertiliser for its transferred land), scored on its own
// sales, its shop's orders, its purchase agreements, land-transfer contracts and
// member households — approved at once (were it referred, the 阜平 officer approves
// it). A second sale repays 20 % of its proceeds in the ledger.
func loadCoopLoan(ctx context.Context, d Deps, l Loaded) error {
	if d.Credit == nil || d.Farms == nil {
		return nil
	}
	mgrUser, err := d.Access.UserByName(ctx, "coop")
	if err != nil {
		return err
	}
	mgr := mgrUser.Principal()
	coops, err := d.Credit.ManagedCoops(ctx, mgr)
	if err != nil {
		return err
	}
	if len(coops) == 0 {
		return fmt.Errorf("the demo cooperative is not a farm")
	}
	coop := coops[0]
	pr, err := d.Credit.CreateProduct(ctx, fishpond.System, credit.Product{Name: "合作社生产贷（农资直付）", Purpose: credit.PurposeFarmInputs,
		MinAmount: fishpond.Yuan(10_000), MaxAmount: fishpond.Yuan(300_000), TermMonths: 12, Instalments: 1, RateBp: 435, Interest: credit.InterestFlat,
		HarvestMonth: 10, Repayment: credit.RepaySales, ShareBp: 2000, PenaltyBp: 650, Disbursement: credit.DisburseSupplier})
	if err != nil {
		return err
	}
	sell := func(key string, kg int64) error {
		_, err := d.Farms.RecordSale(ctx, mgr, coop.ID, farms.SaleInput{Buyer: "阜平县小米加工厂", Crop: "谷子", Weight: farms.Kg(kg), UnitPrice: 680, IdempotencyKey: key})
		return err
	}
	if err := sell("demo-coop-sale-1", 12_000); err != nil {
		return err
	}
	app, err := d.Credit.Apply(ctx, mgr, credit.ApplicationRequest{IdempotencyKey: "demo-coop-loan", CoopID: coop.ID, ProductID: pr.ID,
		Amount: fishpond.Yuan(60_000), Note: "来年谷种、有机肥（流转地3000亩）", Supplier: "阜平县农资站"})
	if err != nil {
		return fmt.Errorf("cooperative's application: %w", err)
	}
	if app.Status == credit.AppReferred {
		if _, err := d.Credit.Review(ctx, demoOfficer, app.ID, true, "收购协议与土地流转合同在册，同意 purchase agreements and land contracts on file"); err != nil {
			return err
		}
	}
	return sell("demo-coop-sale-2", 8_000)
}
