package logistics

import (
	"context"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// payOperator pays the household running a station its per-parcel fee for one
// piece of work (accept or handover) on a parcel: wage income in the ledger, the
// money in its wallet. The ledger key and logistics_pay's primary key are the
// same triple, so a repeated scan or a retried transaction never pays twice.
func (s *Store) payOperator(ctx context.Context, tx *db.Tx, pa platformAccounts, pc Parcel, siteID, work string, now time.Time) error {
	if siteID == "" {
		return nil
	}
	site, err := loadSite(ctx, tx, siteID)
	if err != nil {
		return err
	}
	if site.OperatorHousehold == "" || site.PayPerParcel <= 0 {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM logistics_pay WHERE parcel_id = ? AND site_id = ? AND work = ?", pc.ID, siteID, work).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	hh, err := ledger.EnsureHouseholdAccounts(ctx, tx, site.OperatorHousehold)
	if err != nil {
		return err
	}
	amt := site.PayPerParcel
	t, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{
		IdempotencyKey: "logistics:pay:" + pc.ID + ":" + siteID + ":" + work,
		Kind:           "wage",
		Memo:           "服务站派件费 station pay for parcel " + pc.TrackingNo,
		Postings: []ledger.Posting{
			{AccountID: hh.Wage.ID, Amount: -amt},
			{AccountID: hh.Wallet.ID, Amount: amt},
			{AccountID: pa.fees, Amount: amt},
			{AccountID: pa.cash, Amount: -amt},
		},
	})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO logistics_pay (parcel_id, site_id, work, household_id, amount, transfer_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		pc.ID, siteID, work, site.OperatorHousehold, int64(amt), t.ID, db.FormatTime(now))
	return err
}

// StationPay is what a station's operator earned for parcels.
type StationPay struct {
	Parcels int
	Amount  fishpond.Money
}

// SitePay sums the per-parcel pay of a site, for its operator and officers.
func (s *Store) SitePay(ctx context.Context, p fishpond.Principal, siteID string) (StationPay, error) {
	q := s.db.Read()
	if _, err := s.operableSite(ctx, q, p, siteID); err != nil {
		return StationPay{}, err
	}
	var out StationPay
	var amt int64
	err := q.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM logistics_pay WHERE site_id = ?", siteID).Scan(&out.Parcels, &amt)
	out.Amount = fishpond.Money(amt)
	return out, internal(err)
}
