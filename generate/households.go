package generate

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
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/ledger"
	"fishpond/registry"
	"fishpond/report"
)

// Household generation: the programme's registered poor, their 2018 income and
// the 2018 assessment, so the report's household metrics are measured on a
// generated database. Everything goes through the capabilities' own APIs — the
// registry (validation, encrypted and hashed identity numbers and phones), the
// ledger (income in the four official categories, idempotent) and the assessor
// (household_status rows and household.status.changed events) — and the report
// consumer then folds the events into the aggregates.

// Published figures the household stage is calibrated to.
const (
	// RegisteredHouseholds is the programme's registered poor at the start of 2018:
	// about 30 million people, some 3 per household, in the 832 poverty counties.
	RegisteredHouseholds = 10_000_000
	// HouseholdYear is the year the generated households earn and are assessed.
	HouseholdYear = 2018
	// Line2018Fen is the 2018 rural poverty standard at current prices (2,995
	// yuan), set when the database has no line for 2018.
	Line2018Fen fishpond.Money = 2995_00
)

// Services are what the household stage writes through. A nil Config.Households
// generates no households (the demo's counties have their own).
type Services struct {
	Registry *registry.Store
	Ledger   *ledger.Ledger
	Assessor *assess.Assessor
}

// Household stages reported through Progress.Stage.
const (
	StageOrders     = "orders"
	StageHouseholds = "households"
	StageIncome     = "income"
	StageAssessment = "assessment"
)

var (
	genTowns    = []string{"城关镇", "新集镇", "石门乡", "龙泉镇", "河口乡", "高坪乡", "白水镇", "双河乡"}
	genVillages = []string{"东坡村", "西沟村", "南山村", "北岭村", "李家庄村", "王家沟村", "杨树湾村", "柳河村", "石桥村", "红旗村", "上寨村", "下寨村", "马鞍山村", "青龙村"}
)

// genHousehold is what the income plan needs of a generated household.
type genHousehold struct {
	id, number, county string
	size               int
	cause              string
}

// householdPlan spreads the factor's share of the registered households over the
// counties by a seeded log-normal weight (σ 0.7: the largest counties register
// several times the median), at least one per county when there are enough. It
// draws from its own generator so the order calibration is untouched.
func householdPlan(seed uint64, factor float64, cs []*county) []int {
	rng := rand.New(rand.NewPCG(seed, 0x686f757365686f6c))
	total := int(math.Round(RegisteredHouseholds * factor * float64(len(cs)) / 832))
	w := make([]float64, len(cs))
	sum := 0.0
	for i := range cs {
		w[i] = math.Exp(rng.NormFloat64() * 0.7)
		sum += w[i]
	}
	out := make([]int, len(cs))
	for i := range cs {
		out[i] = int(math.Round(float64(total) * w[i] / sum))
		if out[i] == 0 && total >= len(cs) {
			out[i] = 1
		}
	}
	return out
}

// householdNumber is a generated household's 户编号: the seed marks it, so a
// resumed run finds what it already registered.
func householdNumber(seed uint64, county string, i int) string {
	return fmt.Sprintf("G%d-%s-%05d", seed, county, i+1)
}

func seedOf(parts ...any) uint64 {
	h := fnv.New64a()
	fmt.Fprint(h, parts...)
	return h.Sum64()
}

// households registers the planned households of cs that are not registered yet,
// posts their 2018 income, sets the 2018 line and rural populations where missing,
// assesses 2018 and lets the report consumer fold the status events in.
func (g *gen) households(ctx context.Context, cs []*county) error {
	sv := g.cfg.Households
	start := time.Now()
	plan := householdPlan(g.cfg.Seed, g.cfg.Factor, cs)
	var total int64
	for _, n := range plan {
		total += int64(n)
	}
	prefix := fmt.Sprintf("G%d-", g.cfg.Seed)
	have := map[string]bool{}
	rows, err := g.d.Read().QueryContext(ctx, "SELECT number FROM households WHERE number LIKE ?", prefix+"%")
	if err != nil {
		return err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		have[n] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	progress := func(stage string, done, of int64) {
		if g.cfg.Progress != nil {
			g.cfg.Progress(Progress{Stage: stage, Orders: g.res.Orders, TotalOrders: max(g.total, g.res.Orders), Rows: g.res.Rows,
				Done: done, Total: of, Elapsed: time.Since(g.start)})
		}
	}
	var done int64
	for ci, c := range cs {
		if plan[ci] == 0 {
			continue
		}
		nv := min(len(genVillages), 1+plan[ci]/40)
		villages := make([]string, nv)
		for v := range villages {
			villages[v] = genTowns[(uint64(v/4)+seedOf(c.Code))%uint64(len(genTowns))] + "/" + genVillages[v]
		}
		ins := registry.Synthesize(int64(seedOf(g.cfg.Seed, ":", c.Code)>>1), c.County, villages, plan[ci])
		for i, in := range ins {
			if err := ctx.Err(); err != nil {
				return err
			}
			in.Number = householdNumber(g.cfg.Seed, c.Code, i)
			done++
			if have[in.Number] {
				continue
			}
			// Registered before the year they are assessed in.
			in.RegisteredYear = min(in.RegisteredYear, HouseholdYear-1)
			if _, err := sv.Registry.CreateHousehold(ctx, fishpond.System, in); err != nil {
				return fmt.Errorf("household %s: %w", in.Number, err)
			}
			g.res.Households++
			g.res.Rows += int64(1 + len(in.Members))
			if done%200 == 0 {
				progress(StageHouseholds, done, total)
			}
		}
	}
	progress(StageHouseholds, done, total)
	hs, err := g.generatedHouseholds(ctx, prefix)
	if err != nil {
		return err
	}
	if err := g.income(ctx, hs, progress); err != nil {
		return err
	}
	progress(StageAssessment, 0, 1)
	if err := g.assess(ctx, hs); err != nil {
		return err
	}
	progress(StageAssessment, 1, 1)
	g.res.HouseholdDuration = time.Since(start)
	return nil
}

// generatedHouseholds reads every household of this seed, registered now or by an
// interrupted run.
func (g *gen) generatedHouseholds(ctx context.Context, prefix string) ([]genHousehold, error) {
	rows, err := g.d.Read().QueryContext(ctx, `SELECT h.id, h.number, h.county_code, h.poverty_cause,
		(SELECT COUNT(*) FROM members m WHERE m.household_id = h.id) FROM households h WHERE h.number LIKE ? ORDER BY h.number`, prefix+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []genHousehold
	for rows.Next() {
		var h genHousehold
		if err := rows.Scan(&h.id, &h.number, &h.county, &h.cause, &h.size); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	g.res.People = 0
	for _, h := range out {
		g.res.People += int64(h.size)
	}
	return out, rows.Err()
}

// perCapita draws a household's 2018 per-capita net income: log-normal with a
// median 1.7 times the line, lower where illness, disability or a lack of labour
// caused the poverty. About six households in ten clear 1.5 times the line (the
// assessor's monitoring line), which with the synthesized "two assurances, three
// guarantees" indicators exits some 45% in 2018 (nationally 13.86 of 30.46 million
// registered people); most of the rest stay poor, some are marginal.
func perCapita(seed uint64, h genHousehold) fishpond.Money {
	rng := rand.New(rand.NewPCG(seedOf(seed, ":", h.number), 2018))
	mu := 0.6
	switch registry.Cause(h.cause) {
	case registry.CauseIllness, registry.CauseDisability, registry.CauseLackOfLabour:
		mu = 0.45
	}
	return fishpond.Money(float64(Line2018Fen) * math.Exp(mu+rng.NormFloat64()*0.5))
}

// incomePlan splits a year's income into the four official categories and posts
// it on the days wages, rent, sales and subsidies fall: seven transfers. Sales
// fall in June (the 618 festival) and October, after the spring costs, so each
// half-year's net operating income is positive.
func incomePlan(seed uint64, h genHousehold, accts ledger.HouseholdAccounts) []ledger.TransferRequest {
	rng := rand.New(rand.NewPCG(seedOf(seed, ":", h.number), 1))
	total := perCapita(seed, h) * fishpond.Money(h.size)
	wage := total * fishpond.Money(35+rng.IntN(25)) / 100
	property := total * fishpond.Money(3+rng.IntN(6)) / 100
	transfer := total * fishpond.Money(10+rng.IntN(15)) / 100
	operating := total - wage - property - transfer
	cost := operating / 4
	at := func(month, day int) time.Time {
		return time.Date(HouseholdYear, time.Month(month), day, 10, 0, 0, 0, fishpond.ChinaTime)
	}
	var out []ledger.TransferRequest
	add := func(kind, memo string, when time.Time, debit, credit string, amount fishpond.Money) {
		if amount <= 0 {
			return
		}
		out = append(out, ledger.TransferRequest{
			IdempotencyKey: fmt.Sprintf("gen%d:income:%s:%d:%d", seed, h.id, HouseholdYear, len(out)), Kind: kind, Memo: memo, At: when,
			Postings: []ledger.Posting{{AccountID: debit, Amount: amount}, {AccountID: credit, Amount: -amount}},
		})
	}
	add("wage", "务工工资（上半年）wages, first half", at(6, 28), accts.Wallet.ID, accts.Wage.ID, wage/2)
	add("wage", "务工工资（下半年）wages, second half", at(12, 28), accts.Wallet.ID, accts.Wage.ID, wage-wage/2)
	add("cost", "种子化肥 seeds and fertiliser", at(3, 20), accts.Cost.ID, accts.Wallet.ID, cost)
	sales := operating + cost
	add("sale", "网店销售 online shop sales", at(6, 18), accts.Wallet.ID, accts.Operating.ID, sales*4/10)
	add("sale", "农产品销售 farm sales", at(10, 15), accts.Wallet.ID, accts.Operating.ID, sales-sales*4/10)
	add("rent", "土地流转租金 land-transfer rent", at(1, 10), accts.Wallet.ID, accts.Property.ID, property)
	add("transfer", "产业扶持补贴 industry subsidy", at(6, 15), accts.Wallet.ID, accts.Transfer.ID, transfer)
	return out
}

// income opens the households' accounts and posts their 2018 income through the
// ledger, many posters at once so its group commit batches them. Keys make a
// resumed run post nothing twice.
func (g *gen) income(ctx context.Context, hs []genHousehold, progress func(string, int64, int64)) error {
	led := g.cfg.Households.Ledger
	var reqs []ledger.TransferRequest
	for i, h := range hs {
		a, err := led.EnsureHouseholdAccounts(ctx, h.id)
		if err != nil {
			return fmt.Errorf("accounts of %s: %w", h.number, err)
		}
		reqs = append(reqs, incomePlan(g.cfg.Seed, h, a)...)
		if i%500 == 0 {
			// Opening the accounts: the first part of the stage's work.
			progress(StageIncome, int64(i), int64(len(hs)*8))
		}
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		done  int64
		first error
	)
	work := make(chan ledger.TransferRequest)
	for range 32 {
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
				if done%1000 == 0 {
					progress(StageIncome, int64(len(hs))+done, int64(len(hs)+len(reqs)))
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
	g.res.Transfers = int64(len(reqs))
	g.res.Rows += 3 * int64(len(reqs)) // a transfer and its two postings
	progress(StageIncome, int64(len(hs)+len(reqs)), int64(len(hs)+len(reqs)))
	return nil
}

// assess sets the 2018 line and the rural populations where the database has
// none, runs the 2018 assessment and folds its events into the report.
func (g *gen) assess(ctx context.Context, hs []genHousehold) error {
	asr := g.cfg.Households.Assessor
	if _, err := asr.PovertyLine(ctx, HouseholdYear); fishpond.Code(err) == fishpond.EInvalid {
		if _, err := asr.SetPovertyLine(ctx, fishpond.System, HouseholdYear, Line2018Fen, "2018年农村贫困标准（现价）/ 2018 rural poverty standard at current prices"); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	// A county's rural population: 6–12 times its registered people, so the people
	// still poor after 2018 are some 3–6% of it (the poor areas' 2018 incidence was
	// 4.2%). The factor scales both, so incidence keeps its real size.
	people := map[string]int64{}
	for _, h := range hs {
		people[h.county] += int64(h.size)
	}
	set := map[string]bool{}
	rows, err := g.d.Read().QueryContext(ctx, "SELECT county_code FROM county_population WHERE year = ?", HouseholdYear)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return err
		}
		set[c] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for code, n := range people {
		if set[code] {
			continue
		}
		rng := rand.New(rand.NewPCG(seedOf(g.cfg.Seed, ":pop:", code), 3))
		pop := n * int64(6+rng.IntN(7))
		if err := asr.SetRuralPopulation(ctx, fishpond.System, code, HouseholdYear, pop, "生成数据 / generated figure"); err != nil {
			return err
		}
	}
	rep, err := asr.Run(ctx, fishpond.System, HouseholdYear, "")
	if err != nil {
		return fmt.Errorf("assess %d: %w", HouseholdYear, err)
	}
	g.res.Exited, g.res.Marginal = int64(rep.ByStatus[assess.StatusExited]), int64(rep.ByStatus[assess.StatusMarginal])
	return drainReport(ctx, g.d)
}

// drainReport folds every event not yet folded into the report's aggregates.
func drainReport(ctx context.Context, d *db.DB) error {
	c := report.NewConsumer(events.New(d, nil))
	for {
		n, err := c.ProcessBatch(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
}

// householdCounties are the counties that register households: at national scale
// all 832 (the few without online sales have registered poor too), else the
// scale's counties.
func householdCounties(cfg Config, all, cs []*county) []*county {
	if cfg.Scale == ScaleNational {
		return all
	}
	return cs
}
