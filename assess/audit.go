package assess

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
)

// Sample kinds: exited households of a county, or exited counties of a province.
const (
	KindHouseholds = "households"
	KindCounties   = "counties"
)

// Findings an auditor records per sampled unit.
const (
	FindingCorrect   = "correct"    // the status is right
	FindingWrongExit = "wrong_exit" // exited but should not have (错退)
	FindingMissed    = "missed"     // poor but not identified or assessed as such (漏评)
)

// Audit thresholds in basis points: wrong-exit and missed-assessment rates below
// 2%, public approval above 90% (错退率、漏评率低于2%，群众认可度高于90%).
const (
	MaxWrongExitBp int64 = 200
	MaxMissedBp    int64 = 200
	MinApprovalBp  int64 = 9000
)

// DefaultSampleBp is the share of units an audit samples by default: 20%.
const DefaultSampleBp fishpond.Bp = 2000

// SampleRequest asks for an audit sample. Scope is a county code for household
// samples and a province code for county samples. Seed 0 means "pick one"; the
// seed used is recorded, and the same seed over the same population draws the
// same units.
type SampleRequest struct {
	Kind   string
	Scope  string
	Year   int
	RateBp fishpond.Bp // 0 means DefaultSampleBp
	Seed   int64
}

// Unit is one sampled household or county and what the auditor found.
type Unit struct {
	ID         string // household id or county code
	Label      string // household number or county name
	Finding    string // "" until recorded
	Note       string
	RecordedBy string
	RecordedAt time.Time
}

// Sample is a drawn audit sample with its units.
type Sample struct {
	ID         string
	Kind       string
	Scope      string
	Year       int
	RateBp     fishpond.Bp
	Seed       int64
	Population int
	Size       int
	DrawnBy    string
	DrawnAt    time.Time
	Units      []Unit
}

// SurveyAnswer is one respondent's answer to "do you approve of the poverty exit
// results?" in an audit's public survey.
type SurveyAnswer struct {
	Respondent string // a reference the auditor can trace (form number), not a name
	Approve    bool
	Note       string
}

// AuditReport is an audit's rates and verdicts.
type AuditReport struct {
	Sample        Sample
	Checked       int // units with a finding
	Pending       int
	WrongExits    int
	Missed        int
	WrongExitRate Rate // over checked units
	MissedRate    Rate
	Respondents   int
	Approvals     int
	Approval      Rate
	Criteria      []Criterion
	Passed        bool // every criterion passes (and every unit is checked)
}

// canAudit reports whether p may draw, record and read audits of a scope:
// administrators everywhere, auditors in their counties (county samples only).
func canAudit(p fishpond.Principal, kind, scope string) bool {
	if p.Role == fishpond.RoleAdmin {
		return true
	}
	return p.Role == fishpond.RoleAuditor && kind == KindHouseholds && p.CanSeeCounty(scope)
}

// canReadAudit adds read access for fund administrators and the county's officers.
func canReadAudit(p fishpond.Principal, kind, scope string) bool {
	if canAudit(p, kind, scope) || p.Role == fishpond.RoleFundAdmin {
		return true
	}
	return p.Role == fishpond.RoleCountyOfficer && kind == KindHouseholds && p.CanSeeCounty(scope)
}

// rank orders units pseudo-randomly by seed: the SHA-256 of seed and id. It does
// not depend on Go's random generators or on the population's order, so a
// recorded seed reproduces its sample on any version, any machine.
func rank(seed int64, id string) [32]byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	return sha256.Sum256(append(b[:], id...))
}

// sampleSize is ceil(population × rate), at least 1 of a non-empty population.
func sampleSize(population int, rate fishpond.Bp) int {
	n := (int64(population)*int64(rate) + 9999) / 10000
	return int(max(min(n, int64(population)), min(1, int64(population))))
}

// DrawSample draws and stores an audit sample: by default 20% of a county's
// households assessed exited or marginal for the year, or of a province's poverty
// counties that exited in or before the year.
func (a *Assessor) DrawSample(ctx context.Context, p fishpond.Principal, req SampleRequest) (Sample, error) {
	req.Scope = strings.TrimSpace(req.Scope)
	if req.RateBp == 0 {
		req.RateBp = DefaultSampleBp
	}
	f := map[string]string{}
	if req.Kind != KindHouseholds && req.Kind != KindCounties {
		f["kind"] = "抽样对象应为 households 或 counties / kind must be households or counties"
	}
	if !validYear(req.Year) {
		f["year"] = "年份应在2000至2100之间 / year must be between 2000 and 2100"
	}
	if req.RateBp < 1 || req.RateBp > 10000 {
		f["rate_bp"] = "抽样比例应在0.01%至100%之间 / the sampling rate must be between 1 and 10000 basis points (0.01%–100%)"
	}
	if len(f) > 0 {
		return Sample{}, fishpond.Invalid("抽样请求无效 / invalid sample request", f)
	}
	if !canAudit(p, req.Kind, req.Scope) {
		if p.Role == fishpond.RoleAuditor && req.Kind == KindHouseholds {
			return Sample{}, notFound("县不存在或无权查看 / county not found")
		}
		return Sample{}, forbidden("只有管理员和审计人员可以抽样 / only administrators and auditors may draw audit samples")
	}
	type unit struct{ id, label string }
	var pop []unit
	switch req.Kind {
	case KindHouseholds:
		if _, err := a.checkCounty(ctx, p, req.Scope); err != nil {
			return Sample{}, err
		}
		rows, err := a.db.Read().QueryContext(ctx, "SELECT household_id FROM household_status WHERE county_code = ? AND year = ? AND status IN (?, ?)",
			req.Scope, req.Year, StatusExited, StatusMarginal)
		if err != nil {
			return Sample{}, fishpond.Internal(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return Sample{}, fishpond.Internal(err)
			}
			pop = append(pop, unit{id: id})
		}
		rows.Close()
	case KindCounties:
		provinces, err := a.reg.Provinces(ctx)
		if err != nil {
			return Sample{}, err
		}
		known := false
		for _, pr := range provinces {
			known = known || pr.Code == req.Scope
		}
		if !known {
			return Sample{}, fishpond.Invalid(words("省代码 %s 不存在", "province %s does not exist", req.Scope), map[string]string{"scope": "unknown province code"})
		}
		cs, err := a.reg.ExitedCounties(ctx, req.Scope, req.Year)
		if err != nil {
			return Sample{}, err
		}
		for _, c := range cs {
			pop = append(pop, unit{id: c.Code, label: c.Name})
		}
	}
	if len(pop) == 0 {
		return Sample{}, fishpond.Invalid(words("%d年没有可抽查的已脱贫对象（先进行评估）", "nothing exited in %d to sample (run the assessment first)", req.Year),
			map[string]string{"scope": "no exited units"})
	}
	if req.Seed == 0 {
		var b [8]byte
		for req.Seed == 0 {
			rand.Read(b[:])
			req.Seed = int64(binary.BigEndian.Uint64(b[:]) >> 1)
		}
	}
	sort.Slice(pop, func(i, j int) bool {
		ri, rj := rank(req.Seed, pop[i].id), rank(req.Seed, pop[j].id)
		return string(ri[:]) < string(rj[:])
	})
	s := Sample{ID: newID(), Kind: req.Kind, Scope: req.Scope, Year: req.Year, RateBp: req.RateBp, Seed: req.Seed,
		Population: len(pop), Size: sampleSize(len(pop), req.RateBp), DrawnBy: p.UserID, DrawnAt: a.now()}
	chosen := pop[:s.Size]
	sort.Slice(chosen, func(i, j int) bool { return chosen[i].id < chosen[j].id })
	if req.Kind == KindHouseholds {
		ids := make([]string, len(chosen))
		for i, u := range chosen {
			ids[i] = u.id
		}
		nums, err := a.reg.HouseholdNumbers(ctx, ids)
		if err != nil {
			return Sample{}, err
		}
		for i := range chosen {
			chosen[i].label = nums[chosen[i].id]
		}
	}
	for _, u := range chosen {
		s.Units = append(s.Units, Unit{ID: u.id, Label: u.label})
	}
	err := a.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_samples (id, kind, scope_code, year, rate_bp, seed, population, size, drawn_by, drawn_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, s.ID, s.Kind, s.Scope, s.Year, int64(s.RateBp), s.Seed, s.Population, s.Size,
			s.DrawnBy, db.FormatTime(s.DrawnAt)); err != nil {
			return err
		}
		for start := 0; start < len(s.Units); start += 300 {
			end := min(start+300, len(s.Units))
			args := make([]any, 0, 3*(end-start))
			for _, u := range s.Units[start:end] {
				args = append(args, s.ID, u.ID, u.Label)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO audit_units (sample_id, unit_id, label) VALUES "+
				strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", end-start), ", "), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Sample{}, fishpond.Internal(err)
	}
	return s, nil
}

func (a *Assessor) loadSample(ctx context.Context, q db.Querier, id string) (Sample, error) {
	var s Sample
	var rate int64
	var at string
	err := q.QueryRowContext(ctx, `SELECT id, kind, scope_code, year, rate_bp, seed, population, size, drawn_by, drawn_at
		FROM audit_samples WHERE id = ?`, id).Scan(&s.ID, &s.Kind, &s.Scope, &s.Year, &rate, &s.Seed, &s.Population, &s.Size, &s.DrawnBy, &at)
	if err != nil {
		return s, db.NotFound(err, "抽样不存在 / sample not found")
	}
	s.RateBp, s.DrawnAt = fishpond.Bp(rate), db.MustTime(at)
	rows, err := q.QueryContext(ctx, "SELECT unit_id, label, finding, note, recorded_by, recorded_at FROM audit_units WHERE sample_id = ? ORDER BY unit_id", id)
	if err != nil {
		return s, fishpond.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var u Unit
		var rat string
		if err := rows.Scan(&u.ID, &u.Label, &u.Finding, &u.Note, &u.RecordedBy, &rat); err != nil {
			return s, fishpond.Internal(err)
		}
		if rat != "" {
			u.RecordedAt = db.MustTime(rat)
		}
		s.Units = append(s.Units, u)
	}
	return s, rows.Err()
}

// Sample returns a drawn sample with its units and findings so far.
func (a *Assessor) Sample(ctx context.Context, p fishpond.Principal, id string) (Sample, error) {
	s, err := a.loadSample(ctx, a.db.Read(), id)
	if err != nil {
		return s, err
	}
	if !canReadAudit(p, s.Kind, s.Scope) {
		return Sample{}, notFound("抽样不存在 / sample not found")
	}
	return s, nil
}

// checkAuditWrite makes a sample the principal may not read look absent, and refuses
// writes by those who may read but not audit (fund staff, county officers).
func checkAuditWrite(ctx context.Context, tx *db.Tx, p fishpond.Principal, sampleID, what string) error {
	var kind, scope string
	err := tx.QueryRowContext(ctx, "SELECT kind, scope_code FROM audit_samples WHERE id = ?", sampleID).Scan(&kind, &scope)
	if err != nil || !canReadAudit(p, kind, scope) {
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fishpond.Internal(err)
		}
		return notFound("抽样不存在 / sample not found")
	}
	if !canAudit(p, kind, scope) {
		zh, en, _ := strings.Cut(what, " / ")
		return forbidden("只有管理员和审计人员可以%s / only administrators and auditors may %s", zh, en)
	}
	return nil
}

// RecordFinding records (or corrects) the auditor's finding on one sampled unit.
func (a *Assessor) RecordFinding(ctx context.Context, p fishpond.Principal, sampleID, unitID, finding, note string) error {
	note = strings.TrimSpace(note)
	f := map[string]string{}
	if finding != FindingCorrect && finding != FindingWrongExit && finding != FindingMissed {
		f["finding"] = "核查结论应为 correct、wrong_exit 或 missed / finding must be correct, wrong_exit or missed"
	}
	if utf8.RuneCountInString(note) > 1000 {
		f["note"] = "说明最长1000字 / the note may hold at most 1000 characters"
	}
	if len(f) > 0 {
		return fishpond.Invalid("核查结论无效 / invalid finding", f)
	}
	return a.db.InTx(ctx, func(tx *db.Tx) error {
		if err := checkAuditWrite(ctx, tx, p, sampleID, "记录核查结论 / record findings"); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "UPDATE audit_units SET finding = ?, note = ?, recorded_by = ?, recorded_at = ? WHERE sample_id = ? AND unit_id = ?",
			finding, note, p.UserID, db.FormatTime(a.now()), sampleID, unitID)
		if err != nil {
			return fishpond.Internal(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fishpond.Invalid(words("%s 不在此抽样中", "%s is not in this sample", unitID), map[string]string{"unit": "not in the sample"})
		}
		return nil
	})
}

// RecordSurvey records public-approval answers of a sample, all or none; answering
// again under the same respondent reference replaces the earlier answer.
func (a *Assessor) RecordSurvey(ctx context.Context, p fishpond.Principal, sampleID string, answers []SurveyAnswer) error {
	f := map[string]string{}
	if len(answers) == 0 || len(answers) > 10000 {
		f["answers"] = "需要1至10,000份答卷 / between 1 and 10,000 answers"
	}
	seen := map[string]bool{}
	for i := range answers {
		ans := &answers[i]
		ans.Respondent, ans.Note = strings.TrimSpace(ans.Respondent), strings.TrimSpace(ans.Note)
		key := fmt.Sprintf("answers[%d]", i)
		switch {
		case ans.Respondent == "" || utf8.RuneCountInString(ans.Respondent) > 100:
			f[key+".respondent"] = "受访者编号为1至100字 / respondent reference of 1 to 100 characters"
		case seen[ans.Respondent]:
			f[key+".respondent"] = "受访者编号重复 / respondent repeated"
		}
		seen[ans.Respondent] = true
		if utf8.RuneCountInString(ans.Note) > 1000 {
			f[key+".note"] = "说明最长1000字 / at most 1000 characters"
		}
	}
	if len(f) > 0 {
		return fishpond.Invalid("问卷无效 / invalid survey answers", f)
	}
	return a.db.InTx(ctx, func(tx *db.Tx) error {
		if err := checkAuditWrite(ctx, tx, p, sampleID, "记录问卷 / record survey answers"); err != nil {
			return err
		}
		now := db.FormatTime(a.now())
		for _, ans := range answers {
			approve := 0
			if ans.Approve {
				approve = 1
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit_survey (sample_id, respondent, approve, note, recorded_by, recorded_at)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sample_id, respondent) DO UPDATE SET approve = excluded.approve, note = excluded.note,
				recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at`, sampleID, ans.Respondent, approve, ans.Note, p.UserID, now); err != nil {
				return fishpond.Internal(err)
			}
		}
		return nil
	})
}

// AuditReport computes a sample's wrong-exit and missed-assessment rates (over the
// units checked so far) and public approval, each against its threshold.
func (a *Assessor) AuditReport(ctx context.Context, p fishpond.Principal, sampleID string) (AuditReport, error) {
	s, err := a.Sample(ctx, p, sampleID)
	if err != nil {
		return AuditReport{}, err
	}
	return a.reportOf(ctx, s)
}

func (a *Assessor) auditReport(ctx context.Context, id string) (AuditReport, error) {
	s, err := a.loadSample(ctx, a.db.Read(), id)
	if err != nil {
		return AuditReport{}, err
	}
	return a.reportOf(ctx, s)
}

func (a *Assessor) reportOf(ctx context.Context, s Sample) (AuditReport, error) {
	r := AuditReport{Sample: s}
	for _, u := range s.Units {
		switch u.Finding {
		case "":
			r.Pending++
			continue
		case FindingWrongExit:
			r.WrongExits++
		case FindingMissed:
			r.Missed++
		}
		r.Checked++
	}
	err := a.db.Read().QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(approve), 0) FROM audit_survey WHERE sample_id = ?", s.ID).Scan(&r.Respondents, &r.Approvals)
	if err != nil {
		return r, fishpond.Internal(err)
	}
	r.WrongExitRate = Rate{Num: int64(r.WrongExits), Den: int64(r.Checked)}
	r.MissedRate = Rate{Num: int64(r.Missed), Den: int64(r.Checked)}
	r.Approval = Rate{Num: int64(r.Approvals), Den: int64(r.Respondents)}
	r.Criteria = auditCriteria(r.WrongExitRate, r.MissedRate, r.Approval)
	r.Passed = r.Pending == 0
	for _, c := range r.Criteria {
		r.Passed = r.Passed && c.Result == Pass
	}
	return r, nil
}

func auditCriteria(wrong, missed, approval Rate) []Criterion {
	return []Criterion{
		criterion("wrong_exit", "错退率", "wrong-exit rate", wrong, "<", MaxWrongExitBp, wrong.Below(MaxWrongExitBp)),
		criterion("missed", "漏评率", "missed-assessment rate", missed, "<", MaxMissedBp, missed.Below(MaxMissedBp)),
		criterion("approval", "群众认可度", "public approval", approval, ">", MinApprovalBp, approval.Above(MinApprovalBp)),
	}
}
