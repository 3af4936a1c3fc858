package ledger_test

import (
	"testing"

	"fishpond"
	"fishpond/ledger"
)

// FuzzTransferValidation feeds arbitrary requests to Validate: it must never
// panic, and whatever it accepts must be a balanced transfer of two or more
// non-zero postings on distinct accounts; whatever it refuses must say which field.
func FuzzTransferValidation(f *testing.F) {
	f.Add("key", "sale", "a", int64(100), "b", int64(-100), "", int64(0))
	f.Add("", "", "a", int64(0), "a", int64(0), "c", int64(0))
	f.Add("k", "wage", "a", int64(9223372036854775807), "b", int64(1), "c", int64(-9223372036854775808))
	f.Fuzz(func(t *testing.T, key, kind, a1 string, m1 int64, a2 string, m2 int64, a3 string, m3 int64) {
		req := ledger.TransferRequest{IdempotencyKey: key, Kind: kind,
			Postings: []ledger.Posting{{AccountID: a1, Amount: fishpond.Money(m1)}, {AccountID: a2, Amount: fishpond.Money(m2)}}}
		if a3 != "" {
			req.Postings = append(req.Postings, ledger.Posting{AccountID: a3, Amount: fishpond.Money(m3)})
		}
		err := req.Validate()
		if err != nil {
			var fe *fishpond.Error
			if fishpond.Code(err) != fishpond.EInvalid || len(err.(*fishpond.Error).Fields) == 0 {
				t.Fatalf("refusal without fields: %v %v", err, fe)
			}
			return
		}
		var sum fishpond.Money
		seen := map[string]bool{}
		for _, p := range req.Postings {
			if p.Amount == 0 || p.Amount > ledger.MaxAmount || p.Amount < -ledger.MaxAmount || seen[p.AccountID] || p.AccountID == "" {
				t.Fatalf("accepted a bad posting %+v", p)
			}
			seen[p.AccountID] = true
			sum += p.Amount
		}
		if sum != 0 || len(req.Postings) < 2 || req.Currency != "CNY" {
			t.Fatalf("accepted an unbalanced request %+v", req)
		}
	})
}
