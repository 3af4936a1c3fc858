package green

import (
	"context"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/ledger"

	"github.com/google/uuid"
)

// Job kinds.
const (
	JobPlanting = "planting" // paid per tree planted
	JobGuarding = "guarding" // paid per day guarded
)

// Job assigns a registered household of the project's county to plant or guard.
type Job struct {
	ID          string
	ProjectID   string
	HouseholdID string
	HouseholdNo string // 户编号, the household's number in the county register
	CountyCode  string
	Kind        string
	CreatedAt   time.Time
}

// AssignJob gives a registered household of the project's county a planting or
// guarding job. Assigning the same job twice returns the first.
func (s *Service) AssignJob(ctx context.Context, p fishpond.Principal, projectID, householdID, kind string) (Job, error) {
	if kind != JobPlanting && kind != JobGuarding {
		return Job{}, fishpond.Invalid("工作类型无效 invalid job kind", map[string]string{"kind": "planting 或 guarding planting or guarding"})
	}
	pr, err := s.Project(ctx, projectID)
	if err != nil {
		return Job{}, err
	}
	if !CanManage(p, pr.CountyCode) {
		return Job{}, fishpond.Errorf(fishpond.EForbidden, "只有该县的项目官员可以安排工作 only the county's project officers assign jobs")
	}
	if kind == JobPlanting && pr.Kind != ProjectTree {
		return Job{}, fishpond.Invalid("保护地没有植树工作 a protected area has no planting jobs", map[string]string{"kind": "guarding"})
	}
	h, err := s.registry.Household(ctx, p, householdID)
	if err != nil {
		return Job{}, err
	}
	if h.CountyCode != pr.CountyCode {
		return Job{}, fishpond.Invalid("只有本县建档立卡户可以参加 only registered households of the project's county", map[string]string{"household_id": "不属于" + pr.CountyName + " not of the project's county"})
	}
	j := Job{ID: uuid.Must(uuid.NewV7()).String(), ProjectID: pr.ID, HouseholdID: h.ID, HouseholdNo: h.Number, CountyCode: pr.CountyCode, Kind: kind, CreatedAt: s.now()}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var id, at string
		err := tx.QueryRowContext(ctx, "SELECT id, created_at FROM green_jobs WHERE project_id = ? AND household_id = ? AND kind = ?", pr.ID, h.ID, kind).Scan(&id, &at)
		if err == nil {
			j.ID, j.CreatedAt = id, db.MustTime(at)
			return nil
		}
		if _, err := ledger.EnsureHouseholdAccounts(ctx, tx, h.ID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO green_jobs (id, project_id, household_id, county_code, kind, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			j.ID, j.ProjectID, j.HouseholdID, j.CountyCode, j.Kind, p.UserID, db.FormatTime(j.CreatedAt))
		if db.IsUniqueViolation(err) {
			return db.Retry(err)
		}
		if err != nil {
			return fishpond.Internal(err)
		}
		// The report's "green jobs": a job given to a registered household.
		return events.Append(ctx, tx, j.CreatedAt, events.Event{Type: "green.job.assigned", Subject: j.ID, CountyCode: j.CountyCode,
			Payload: map[string]any{"job_id": j.ID, "project_id": j.ProjectID, "kind": j.Kind}})
	})
	return j, err
}

// Jobs lists a project's jobs for its officers, or the principal household's jobs
// (projectID "").
func (s *Service) Jobs(ctx context.Context, p fishpond.Principal, projectID string) ([]Job, error) {
	q := "SELECT id, project_id, household_id, county_code, kind, created_at FROM green_jobs WHERE "
	var arg string
	switch {
	case projectID != "":
		pr, err := s.Project(ctx, projectID)
		if err != nil {
			return nil, err
		}
		if !CanManage(p, pr.CountyCode) {
			return nil, fishpond.Errorf(fishpond.ENotFound, "项目 %s 不存在 project %s not found", projectID, projectID)
		}
		q, arg = q+"project_id = ?", projectID
	case p.Role == fishpond.RoleHousehold && p.HouseholdID != "":
		q, arg = q+"household_id = ?", p.HouseholdID
	default:
		return nil, nil
	}
	rows, err := s.db.Read().QueryContext(ctx, q+" ORDER BY created_at, id LIMIT 1000", arg)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	var out []Job
	for rows.Next() {
		var j Job
		var at string
		if err := rows.Scan(&j.ID, &j.ProjectID, &j.HouseholdID, &j.CountyCode, &j.Kind, &at); err != nil {
			rows.Close()
			return nil, fishpond.Internal(err)
		}
		j.CreatedAt = db.MustTime(at)
		out = append(out, j)
	}
	rows.Close()
	for i := range out {
		if h, err := s.registry.Household(ctx, fishpond.System, out[i].HouseholdID); err == nil {
			out[i].HouseholdNo = h.Number
		}
	}
	return out, rows.Err()
}

func loadJob(ctx context.Context, q db.Querier, id string) (Job, error) {
	var j Job
	var at string
	err := q.QueryRowContext(ctx, "SELECT id, project_id, household_id, county_code, kind, created_at FROM green_jobs WHERE id = ?", id).
		Scan(&j.ID, &j.ProjectID, &j.HouseholdID, &j.CountyCode, &j.Kind, &at)
	if err != nil {
		return j, db.NotFound(err, "工作 %s 不存在 job %s not found", id, id)
	}
	j.CreatedAt = db.MustTime(at)
	return j, nil
}

// Project wage accounts (owner GreenOwner(project)): the partner's wage fund the
// wages are paid from, and the project's wage expense.
const (
	CatWageFund    = "wage_fund"
	CatWageExpense = "wage_expense"
)

// GreenOwner is the ledger owner of a project's accounts.
func GreenOwner(projectID string) string { return "green:" + projectID }

// payWage posts a verified piece of work's wage in tx: the household's wage
// income and wallet, the project's wage expense and its partner's wage fund, one
// balanced transfer keyed by the work, so it is paid once whatever is retried.
func payWage(ctx context.Context, tx *db.Tx, now time.Time, pr Project, w Work, amount fishpond.Money) (string, error) {
	h, err := ledger.EnsureHouseholdAccounts(ctx, tx, w.HouseholdID)
	if err != nil {
		return "", err
	}
	fund, err := ledger.EnsureAccount(ctx, tx, ledger.AccountSpec{Owner: GreenOwner(pr.ID), Category: CatWageFund, Kind: ledger.KindAsset, Name: "生态项目工资资金 green wage fund " + pr.Name})
	if err != nil {
		return "", err
	}
	exp, err := ledger.EnsureAccount(ctx, tx, ledger.AccountSpec{Owner: GreenOwner(pr.ID), Category: CatWageExpense, Kind: ledger.KindExpense, Name: "生态岗位工资 green job wages " + pr.Name})
	if err != nil {
		return "", err
	}
	t, err := ledger.PostTx(ctx, tx, now, ledger.TransferRequest{
		IdempotencyKey: "green:work:" + w.ID + ":wage",
		Kind:           "wage",
		Memo:           jobLabel(w.Kind) + " " + pr.Name,
		Evidence:       "green work " + w.ID + " verified; photo sha256 " + w.PhotoSHA256,
		At:             w.Date,
		Postings: []ledger.Posting{
			{AccountID: h.Wage.ID, Amount: -amount},
			{AccountID: h.Wallet.ID, Amount: amount},
			{AccountID: exp.ID, Amount: amount},
			{AccountID: fund.ID, Amount: -amount},
		},
	})
	if err != nil {
		return "", err
	}
	return t.ID, nil
}

func jobLabel(kind string) string {
	if kind == JobGuarding {
		return "护林工资 guarding wage"
	}
	return "植树工资 planting wage"
}
