package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/ledger"
)

var t2020 = time.Date(2020, 3, 1, 10, 0, 0, 0, fishpond.ChinaTime)

type fixture struct {
	l   *ledger.Ledger
	d   *db.DB
	ctx context.Context
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	l := ledger.New(d, fishpond.FixedClock{T: time.Date(2021, 1, 10, 0, 0, 0, 0, time.UTC)})
	t.Cleanup(l.Close)
	return &fixture{l: l, d: d, ctx: context.Background()}
}

func (f *fixture) household(t *testing.T, id string) ledger.HouseholdAccounts {
	t.Helper()
	h, err := f.l.EnsureHouseholdAccounts(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (f *fixture) account(t *testing.T, owner, cat string, kind ledger.Kind) ledger.Account {
	t.Helper()
	a, err := f.l.EnsureAccount(f.ctx, ledger.AccountSpec{Owner: owner, Category: cat, Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *fixture) post(t *testing.T, key string, at time.Time, legs ...ledger.Posting) ledger.Transfer {
	t.Helper()
	tr, err := f.l.Post(f.ctx, ledger.TransferRequest{IdempotencyKey: key, Kind: "test", At: at, Postings: legs})
	if err != nil {
		t.Fatalf("post %s: %v", key, err)
	}
	return tr
}

func (f *fixture) balance(t *testing.T, id string) fishpond.Money {
	t.Helper()
	b, err := f.l.Balance(f.ctx, id, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fixture) verify(t *testing.T) ledger.VerifyReport {
	t.Helper()
	rep, err := f.l.Verify(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("verify: %v", rep.Err())
	}
	return rep
}

func leg(id string, m fishpond.Money) ledger.Posting { return ledger.Posting{AccountID: id, Amount: m} }

func wantCode(t *testing.T, err error, code fishpond.ErrorCode) *fishpond.Error {
	t.Helper()
	if fishpond.Code(err) != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
	var fe *fishpond.Error
	errors.As(err, &fe)
	return fe
}
