package demo

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"fishpond"
	"fishpond/assess"
	"fishpond/internal/db"
	"fishpond/ledger"
	"fishpond/registry"
)

// The demo years: assessed against the 2019 line and the shipped 2020 line.
const (
	demoLine2019 = 3218_00 // NBS 2019 rural poverty standard at current prices
)

// Demo rural populations, the denominators of poverty incidence. Demo figures of
// plausible size for these counties, not official statistics.
var ruralPopulation = map[string]int64{"130624": 196000, "410225": 612000, "622926": 287000}

// household is what the income generator needs to know of a registered household.
type household struct {
	id, county string
	size       int
	cause      registry.Cause
}

// incomePlan turns a target per-capita net income into the transfers of a year in
// the four official categories, spread over the months the work and harvest fall.
func incomePlan(h household, year int, perCapita fishpond.Money, accts ledger.HouseholdAccounts, rng *rand.Rand) []ledger.TransferRequest {
	total := perCapita * fishpond.Money(h.size)
	wage := total * fishpond.Money(35+rng.IntN(25)) / 100
	property := total * fishpond.Money(5+rng.IntN(10)) / 100
	transfer := total * fishpond.Money(8+rng.IntN(12)) / 100
	operating := total - wage - property - transfer
	cost := operating / 4
	sales := operating + cost
	at := func(month, day int) time.Time {
		return time.Date(year, time.Month(month), day, 10, 0, 0, 0, fishpond.ChinaTime)
	}
	var out []ledger.TransferRequest
	add := func(kind, memo string, when time.Time, debit, credit string, amount fishpond.Money) {
		if amount <= 0 {
			return
		}
		out = append(out, ledger.TransferRequest{
			IdempotencyKey: fmt.Sprintf("demo:%s:%d:%d", h.id, year, len(out)), Kind: kind, Memo: memo, At: when,
			Postings: []ledger.Posting{{AccountID: debit, Amount: amount}, {AccountID: credit, Amount: -amount}},
		})
	}
	// Wages: six monthly payrolls from the cooperative's fields and green jobs.
	for i, m := range []int{3, 4, 5, 6, 9, 10} {
		part := wage / 6
		if i == 5 {
			part = wage - 5*(wage/6)
		}
		add("wage", "合作社务工工资 farm wages", at(m, 28), accts.Wallet.ID, accts.Wage.ID, part)
	}
	add("cost", "种子化肥 seeds and fertiliser", at(4, 2), accts.Cost.ID, accts.Wallet.ID, cost)
	add("sale", "网店销售 online shop sales", at(9, 15), accts.Wallet.ID, accts.Operating.ID, sales*6/10)
	add("sale", "直播带货 live-stream sales", at(10, 20), accts.Wallet.ID, accts.Operating.ID, sales-sales*6/10)
	add("rent", "土地流转租金 land-transfer rent", at(1, 10), accts.Wallet.ID, accts.Property.ID, property)
	add("transfer", "产业扶持补贴 industry subsidy", at(6, 15), accts.Wallet.ID, accts.Transfer.ID, transfer/2)
	add("transfer", "健康险理赔 insurance payout", at(12, 5), accts.Wallet.ID, accts.Transfer.ID, transfer-transfer/2)
	return out
}

// targetPerCapita draws a household's per-capita net income for 2019 and 2020:
// lower for illness, disability and lack of labour; one household-level factor for
// both years, so 2020 grows from 2019 as the channels take hold.
func targetPerCapita(h household, rng *rand.Rand) (y2019, y2020 fishpond.Money) {
	base := 4600.0
	switch h.cause {
	case registry.Cause("illness"), registry.Cause("disability"), registry.Cause("lack_of_labour"):
		base = 3500
	}
	v := base * math.Exp(rng.NormFloat64()*0.3)
	return fishpond.Money(v * 100), fishpond.Money(v * (1.15 + rng.Float64()*0.4) * 100)
}

func seedOf(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// loadIncome posts two years of income for every household through the ledger
// (many posters at once, so the ledger's group commit batches them), records a
// survey declaration for some, sets rural populations and assesses 2019 and 2020.
func loadIncome(ctx context.Context, led *ledger.Ledger, asr *assess.Assessor, hs []household, progress Progress) error {
	accounts := make([]ledger.HouseholdAccounts, len(hs))
	err := led.DB().InTx(ctx, func(tx *db.Tx) error {
		for i, h := range hs {
			a, err := ledger.EnsureHouseholdAccounts(ctx, tx, h.id)
			if err != nil {
				return err
			}
			accounts[i] = a
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("household accounts: %w", err)
	}
	var reqs []ledger.TransferRequest
	for i, h := range hs {
		rng := rand.New(rand.NewPCG(seedOf(h.id), 2020))
		pc2019, pc2020 := targetPerCapita(h, rng)
		reqs = append(reqs, incomePlan(h, 2019, pc2019, accounts[i], rng)...)
		reqs = append(reqs, incomePlan(h, 2020, pc2020, accounts[i], rng)...)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		done  int
		first error
	)
	work := make(chan ledger.TransferRequest)
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				_, err := led.Post(ctx, r)
				mu.Lock()
				done++
				if err != nil && first == nil {
					first = err
				}
				if done%500 == 0 || done == len(reqs) {
					progress("income", done, len(reqs))
				}
				mu.Unlock()
			}
		}()
	}
	for _, r := range reqs {
		work <- r
	}
	close(work)
	wg.Wait()
	if first != nil {
		return fmt.Errorf("income: %w", first)
	}
	// Off-platform income from the 2020 household survey, for one household in ten.
	for i, h := range hs {
		if i%10 != 0 {
			continue
		}
		amount := fishpond.Money(1500_00 + seedOf(h.id)%3000_00)
		if _, err := led.DeclareIncome(ctx, h.id, ledger.CatWage, amount, 2020, "2020年入户调查表 / 2020 household survey form", "demo:declared:"+h.id); err != nil {
			return fmt.Errorf("declared income: %w", err)
		}
	}
	if _, err := asr.SetPovertyLine(ctx, fishpond.System, 2019, demoLine2019, "2019年农村贫困标准（现价）/ 2019 rural poverty standard at current prices"); err != nil {
		return err
	}
	for code, n := range ruralPopulation {
		for _, y := range []int{2019, 2020} {
			if err := asr.SetRuralPopulation(ctx, fishpond.System, code, y, n, "演示数据 / demo figure"); err != nil {
				return err
			}
		}
	}
	for i, y := range []int{2019, 2020} {
		progress("assessment", i, 2)
		if _, err := asr.Run(ctx, fishpond.System, y, ""); err != nil {
			return fmt.Errorf("assess %d: %w", y, err)
		}
	}
	progress("assessment", 2, 2)
	return nil
}

// loadAudit draws the 2020 audit of 阜平县's exited households and records what a
// field team would: nearly all correct, one wrong exit, a public survey.
func loadAudit(ctx context.Context, asr *assess.Assessor) error {
	smp, err := asr.DrawSample(ctx, fishpond.System, assess.SampleRequest{Kind: assess.KindHouseholds, Scope: "130624", Year: 2020, Seed: 2020})
	if err != nil {
		return err
	}
	for i, u := range smp.Units {
		finding, note := "correct", ""
		if i == len(smp.Units)/2 {
			finding, note = "wrong_exit", "家中新增大病支出，收入不稳定 / new serious-illness costs; income unstable"
		}
		if err := asr.RecordFinding(ctx, fishpond.System, smp.ID, u.ID, finding, note); err != nil {
			return err
		}
	}
	var answers []assess.SurveyAnswer
	for i := 1; i <= 60; i++ {
		answers = append(answers, assess.SurveyAnswer{Respondent: fmt.Sprintf("FP2020-%03d", i), Approve: i%17 != 0})
	}
	return asr.RecordSurvey(ctx, fishpond.System, smp.ID, answers)
}
