package market

import (
	"context"
	"math/big"
	"sort"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// Part is one share of a settled order: the platform fee, a charity pledge to a
// fund, or a producing household's operating income. Income is the account
// credited; Wallet (empty for the fee) is where the money is held for its owner.
type Part struct {
	Kind          string // fee, pledge or producer
	IncomeAccount string
	WalletAccount string
	Amount        fishpond.Money
}

// The kinds of Part.
const (
	PartFee      = "fee"
	PartPledge   = "pledge"
	PartProducer = "producer"
)

// Fund account categories (owner FundOwner(name)).
const (
	CatPledges    = "pledges"
	CatFundWallet = "wallet"
)

// Settle pays out a delivered order: one balanced ledger transfer, in the same
// transaction as the status change, moves the amount received (less refunds) from
// "awaiting settlement" to the platform fee, each fund's pledge (per item, scaled
// down if part was refunded) and the producing households' operating income by
// share, their money landing in their wallets (where standing rules such as loan
// deductions apply). Only admins (or the system's settlement job) settle.
func (s *Store) Settle(ctx context.Context, p fishpond.Principal, id string) (Order, error) {
	pa, err := s.platformAccountIDs(ctx)
	if err != nil {
		return Order{}, err
	}
	return s.transition(ctx, p, id, adminOnly, func(tx *db.Tx, r *orderRow, now time.Time) error {
		if r.Status != StatusDelivered {
			return illegal(&r.Order, "settled 结算")
		}
		amount := r.Total - r.Refunded
		parts, err := s.settlementParts(ctx, tx, pa, &r.Order, amount)
		if err != nil {
			return err
		}
		legs := map[string]fishpond.Money{pa.awaiting: amount}
		for _, pt := range parts {
			legs[pt.IncomeAccount] -= pt.Amount
			if pt.WalletAccount != "" {
				legs[pt.WalletAccount] += pt.Amount
				legs[pa.clearing] -= pt.Amount
			}
		}
		t, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{
			IdempotencyKey: "market:order:" + r.ID + ":settle",
			Kind:           "market_settlement",
			Memo:           "订单结算 order settled " + r.ID,
			Postings:       postings(legs),
		})
		if err != nil {
			return err
		}
		for i, pt := range parts {
			if _, err := tx.ExecContext(ctx, "INSERT INTO market_settlement_parts (order_id, part_no, kind, income_account, wallet_account, amount) VALUES (?, ?, ?, ?, ?, ?)",
				r.ID, i, pt.Kind, pt.IncomeAccount, pt.WalletAccount, int64(pt.Amount)); err != nil {
				return err
			}
		}
		if err := setStatus(ctx, tx, r.ID, StatusDelivered, StatusSettled, "settled_at", now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE market_orders SET settle_transfer = ?, settled_amount = ? WHERE id = ?", t.ID, int64(amount), r.ID); err != nil {
			return err
		}
		r.Status, r.SettledAt, r.SettledAmount = StatusSettled, now, amount
		return nil
	})
}

// postings turns merged legs into a request's postings in a stable order, dropping
// legs that netted to zero.
func postings(legs map[string]fishpond.Money) []ledger.Posting {
	ids := make([]string, 0, len(legs))
	for id, a := range legs {
		if a != 0 {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	out := make([]ledger.Posting, len(ids))
	for i, id := range ids {
		out[i] = ledger.Posting{AccountID: id, Amount: legs[id]}
	}
	return out
}

// settlementParts computes the split of amount: fee first (rounded down, so the
// platform never takes more than its rate), pledges per fund, then the rest to
// producers weighted by line total × share, remainder by largest fraction.
func (s *Store) settlementParts(ctx context.Context, tx *db.Tx, pa platformAccounts, o *Order, amount fishpond.Money) ([]Part, error) {
	var parts []Part
	fee := s.cfg.FeeBp.Of(amount)
	if fee > 0 {
		parts = append(parts, Part{Kind: PartFee, IncomeAccount: pa.fee, Amount: fee})
	}
	pledged := map[string]fishpond.Money{}
	var funds []string
	for _, l := range o.Lines {
		if l.Pledge > 0 {
			if _, ok := pledged[l.PledgeFund]; !ok {
				funds = append(funds, l.PledgeFund)
			}
			pledged[l.PledgeFund] += l.Pledge * fishpond.Money(l.Qty)
		}
	}
	sort.Strings(funds)
	rest := amount - fee
	for _, fund := range funds {
		// Scaled by the share of the order not refunded; floor, like the fee.
		pl := fishpond.Money(new(big.Int).Quo(new(big.Int).Mul(big.NewInt(int64(pledged[fund])), big.NewInt(int64(amount))), big.NewInt(int64(o.Total))).Int64())
		if pl <= 0 {
			continue
		}
		inc, err := ledger.EnsureAccount(ctx, tx, ledger.AccountSpec{Owner: FundOwner(fund), Category: CatPledges, Kind: ledger.KindIncome, Name: "公益捐赠 charity pledges " + fund})
		if err != nil {
			return nil, err
		}
		wal, err := ledger.EnsureAccount(ctx, tx, ledger.AccountSpec{Owner: FundOwner(fund), Category: CatFundWallet, Kind: ledger.KindAsset, Name: "基金账户 fund wallet " + fund})
		if err != nil {
			return nil, err
		}
		parts = append(parts, Part{Kind: PartPledge, IncomeAccount: inc.ID, WalletAccount: wal.ID, Amount: pl})
		rest -= pl
	}
	if rest < 0 {
		return nil, fishpond.Errorf(fishpond.EInternal, "order %s: fee and pledges exceed the amount", o.ID)
	}
	// Producers: weight = line total × share bp, merged per household.
	weightOf := map[string]int64{}
	var households []string
	for _, l := range o.Lines {
		shares, err := loadProducers(ctx, tx, l.ProductID)
		if err != nil {
			return nil, err
		}
		for _, sh := range shares {
			if _, ok := weightOf[sh.HouseholdID]; !ok {
				households = append(households, sh.HouseholdID)
			}
			weightOf[sh.HouseholdID] += int64(l.UnitPrice) * l.Qty * int64(sh.Bp)
		}
	}
	sort.Strings(households)
	if len(households) == 0 && rest > 0 {
		return nil, fishpond.Errorf(fishpond.EInternal, "order %s has no producers to pay", o.ID)
	}
	weights := make([]int64, len(households))
	for i, h := range households {
		weights[i] = weightOf[h]
	}
	for i, amt := range fishpond.Allocate(int64(rest), weights) {
		if amt == 0 {
			continue
		}
		acc, err := ledger.EnsureHouseholdAccounts(ctx, tx, households[i])
		if err != nil {
			return nil, err
		}
		parts = append(parts, Part{Kind: PartProducer, IncomeAccount: acc.Operating.ID, WalletAccount: acc.Wallet.ID, Amount: fishpond.Money(amt)})
	}
	return parts, nil
}

// SettlementParts reads how a settled order was split, for the seller dashboard and
// for audits; visible to whoever may see the order.
func (s *Store) SettlementParts(ctx context.Context, p fishpond.Principal, orderID string) ([]Part, error) {
	if _, err := s.Order(ctx, p, orderID); err != nil {
		return nil, err
	}
	return loadParts(ctx, s.db.Read(), orderID)
}

func loadParts(ctx context.Context, q db.Querier, orderID string) ([]Part, error) {
	rows, err := q.QueryContext(ctx, "SELECT kind, income_account, wallet_account, amount FROM market_settlement_parts WHERE order_id = ? ORDER BY part_no", orderID)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Part
	for rows.Next() {
		var pt Part
		var amt int64
		if err := rows.Scan(&pt.Kind, &pt.IncomeAccount, &pt.WalletAccount, &amt); err != nil {
			return nil, internal(err)
		}
		pt.Amount = fishpond.Money(amt)
		out = append(out, pt)
	}
	return out, rows.Err()
}
