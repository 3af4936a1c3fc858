package farms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/ledger"
)

// Input kinds advanced on credit.
var InputKinds = []string{"seeds", "fertiliser", "pesticide", "other"}

// Input is seeds, fertiliser or pesticide advanced on credit, to the farm itself
// (HouseholdID "") or to a household. Until the loan capability settles such
// debts, the ledger records who owes what:
//   - to the farm: the cooperative's inputs expense, owed to the supplier;
//   - to a household: the household's production cost (it lowers the household's
//     net operating income, as inputs do) and its debt for them; the cooperative
//     holds that debt as an advance and owes the supplier.
type Input struct {
	ID          string
	CoopID      string
	HouseholdID string
	Kind        string
	Description string
	Quantity    int64
	Unit        string
	Value       fishpond.Money
	Supplier    string
	TransferID  string
	AdvancedAt  time.Time
	Replayed    bool
}

// InputRequest is what the manager enters.
type InputRequest struct {
	HouseholdID    string
	Kind           string
	Description    string
	Quantity       int64
	Unit           string
	Value          fishpond.Money
	Supplier       string
	IdempotencyKey string
}

// AdvanceInput records inputs advanced on credit; the same key returns the first
// record.
func (s *Service) AdvanceInput(ctx context.Context, p fishpond.Principal, coopID string, in InputRequest) (Input, error) {
	in.Description, in.Unit, in.Supplier = strings.TrimSpace(in.Description), strings.TrimSpace(in.Unit), strings.TrimSpace(in.Supplier)
	f := map[string]string{}
	known := false
	for _, k := range InputKinds {
		known = known || k == in.Kind
	}
	if !known {
		f["kind"] = "须为 seeds、fertiliser、pesticide 或 other must be seeds, fertiliser, pesticide or other"
	}
	if in.Description == "" || utf8.RuneCountInString(in.Description) > 100 {
		f["description"] = "必填，最多100字 required, at most 100 characters"
	}
	if in.Quantity <= 0 || in.Quantity > 1_000_000_000 {
		f["quantity"] = "数量须为正整数 quantity must be a positive whole number"
	}
	if in.Unit == "" || utf8.RuneCountInString(in.Unit) > 10 {
		f["unit"] = "必填，最多10字 required, at most 10 characters"
	}
	if in.Value <= 0 || in.Value > ledger.MaxAmount {
		f["value"] = "金额须大于0 value must be above 0"
	}
	if in.Supplier == "" || utf8.RuneCountInString(in.Supplier) > 100 {
		f["supplier"] = "必填，最多100字 required, at most 100 characters"
	}
	if in.IdempotencyKey == "" || len(in.IdempotencyKey) > 100 {
		f["idempotency_key"] = "必填，最多100字节 required, at most 100 bytes"
	}
	var out Input
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		co, err := managedCoop(ctx, tx, p, coopID, false)
		if err != nil {
			return err
		}
		var existing string
		switch err := tx.QueryRowContext(ctx, "SELECT id FROM farms_inputs WHERE coop_id = ? AND idem_key = ?", co.ID, in.IdempotencyKey).Scan(&existing); {
		case err == nil:
			out, err = loadInput(ctx, tx, existing)
			if err == nil && (out.Value != in.Value || out.HouseholdID != in.HouseholdID) {
				return conflict("该幂等键已用于另一笔农资 the idempotency key was used for other inputs")
			}
			out.Replayed = true
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return internal(err)
		}
		if err := checkCoopHousehold(ctx, tx, in.HouseholdID, co.CountyCode, f); err != nil {
			return err
		}
		if len(f) > 0 {
			return fishpond.Invalid("农资信息有误 invalid inputs", f)
		}
		now := s.now()
		out = Input{ID: newID(), CoopID: co.ID, HouseholdID: in.HouseholdID, Kind: in.Kind, Description: in.Description, Quantity: in.Quantity,
			Unit: in.Unit, Value: in.Value, Supplier: in.Supplier, AdvancedAt: now}
		payable, err := coopAccount(ctx, tx, co.ID, CatInputsPayable)
		if err != nil {
			return err
		}
		legs := []ledger.Posting{{AccountID: payable, Amount: -in.Value}}
		if in.HouseholdID == "" {
			used, err := coopAccount(ctx, tx, co.ID, CatInputs)
			if err != nil {
				return err
			}
			legs = append(legs, ledger.Posting{AccountID: used, Amount: in.Value})
		} else {
			adv, err := coopAccount(ctx, tx, co.ID, CatInputAdvances)
			if err != nil {
				return err
			}
			acc, err := ledger.EnsureHouseholdAccounts(ctx, tx, in.HouseholdID)
			if err != nil {
				return err
			}
			debt, err := ledger.EnsureAccount(ctx, tx, ledger.AccountSpec{Owner: ledger.HouseholdOwner(in.HouseholdID), Category: CatInputDebt,
				Kind: ledger.KindLiability, Name: "农资赊欠 farm inputs owed"})
			if err != nil {
				return err
			}
			legs = append(legs, ledger.Posting{AccountID: adv, Amount: in.Value},
				ledger.Posting{AccountID: acc.Cost.ID, Amount: in.Value}, ledger.Posting{AccountID: debt.ID, Amount: -in.Value})
		}
		t, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{IdempotencyKey: "farms:input:" + out.ID, Kind: "farm_input_credit",
			Memo: fmt.Sprintf("农资赊销 inputs on credit: %s %d %s (%s)", in.Description, in.Quantity, in.Unit, in.Supplier), Postings: legs})
		if err != nil {
			return err
		}
		out.TransferID = t.ID
		var hh any
		if in.HouseholdID != "" {
			hh = in.HouseholdID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO farms_inputs (id, coop_id, household_id, idem_key, kind, description, quantity, unit, value, supplier,
			transfer_id, advanced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, out.ID, co.ID, hh, in.IdempotencyKey, out.Kind, out.Description,
			out.Quantity, out.Unit, int64(out.Value), out.Supplier, out.TransferID, db.FormatTime(now)); err != nil {
			return insertErr(err)
		}
		households := 0
		if hh != nil {
			households = 1
		}
		return events.Append(ctx, tx, now, events.Event{Type: "farms.input.advanced", Subject: out.ID, CountyCode: co.CountyCode,
			Payload: map[string]any{"coop_id": co.ID, "kind": out.Kind, "fen": int64(out.Value), "households": households}})
	})
	if err != nil {
		return Input{}, err
	}
	return out, nil
}

const inputColumns = "id, coop_id, COALESCE(household_id, ''), kind, description, quantity, unit, value, supplier, transfer_id, advanced_at FROM farms_inputs"

func scanInput(row interface{ Scan(...any) error }) (Input, error) {
	var in Input
	var value int64
	var at string
	if err := row.Scan(&in.ID, &in.CoopID, &in.HouseholdID, &in.Kind, &in.Description, &in.Quantity, &in.Unit, &value, &in.Supplier, &in.TransferID, &at); err != nil {
		return Input{}, err
	}
	in.Value, in.AdvancedAt = fishpond.Money(value), db.MustTime(at)
	return in, nil
}

func loadInput(ctx context.Context, q db.Querier, id string) (Input, error) {
	in, err := scanInput(q.QueryRowContext(ctx, "SELECT "+inputColumns+" WHERE id = ?", id))
	if err != nil {
		return Input{}, db.NotFound(err, "没有该农资记录 no such inputs record")
	}
	return in, nil
}

// Inputs lists a cooperative's inputs on credit, newest first.
func (s *Service) Inputs(ctx context.Context, p fishpond.Principal, coopID string) ([]Input, error) {
	if _, err := s.Coop(ctx, p, coopID); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+inputColumns+" WHERE coop_id = ? ORDER BY advanced_at DESC, id DESC", coopID)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Input
	for rows.Next() {
		in, err := scanInput(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, in)
	}
	return out, internal(rows.Err())
}
