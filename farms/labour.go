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

// Task kinds: the season's work.
var TaskKinds = []string{"planting", "weeding", "harvesting", "other"}

// Pay bases of a task.
const (
	BasisDay   = "day"   // rate per day worked
	BasisPiece = "piece" // rate per unit done (kg picked, mu weeded)
)

// Task is a work assignment of the farm.
type Task struct {
	ID        string
	CoopID    string
	FieldID   string
	Kind      string
	Basis     string
	Rate      fishpond.Money // per day or per unit
	Unit      string         // for piece rates: 公斤, 亩 …
	Note      string
	CreatedAt time.Time
}

// TaskInput is what the manager enters.
type TaskInput struct {
	FieldID string
	Kind    string
	Basis   string
	Rate    fishpond.Money
	Unit    string
	Note    string
}

// AddTask creates a work assignment. A day rate below the cooperative's minimum
// daily wage is refused here, before anyone works for it.
func (s *Service) AddTask(ctx context.Context, p fishpond.Principal, coopID string, in TaskInput) (Task, error) {
	in.Unit, in.Note = strings.TrimSpace(in.Unit), strings.TrimSpace(in.Note)
	f := map[string]string{}
	known := false
	for _, k := range TaskKinds {
		known = known || k == in.Kind
	}
	if !known {
		f["kind"] = "须为 planting、weeding、harvesting 或 other must be planting, weeding, harvesting or other"
	}
	if in.Basis != BasisDay && in.Basis != BasisPiece {
		f["basis"] = "须为 day（计日）或 piece（计件） must be day or piece"
	}
	if in.Rate <= 0 || in.Rate > fishpond.Yuan(10000) {
		f["rate"] = "工价须在0到1万元之间 rate must be above 0 and at most 10,000 yuan"
	}
	if in.Basis == BasisPiece && (in.Unit == "" || utf8.RuneCountInString(in.Unit) > 10) {
		f["unit"] = "计件须填写单位，最多10字 a piece rate needs a unit, at most 10 characters"
	}
	if utf8.RuneCountInString(in.Note) > 200 {
		f["note"] = "最多200字 at most 200 characters"
	}
	var t Task
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		co, err := managedCoop(ctx, tx, p, coopID, false)
		if err != nil {
			return err
		}
		if in.Basis == BasisDay && in.Rate > 0 && in.Rate < co.MinDailyWage {
			f["rate"] = fmt.Sprintf("日工资低于最低日工资 %s 元 below the minimum daily wage of %s yuan", co.MinDailyWage, co.MinDailyWage)
		}
		if in.FieldID != "" {
			var owner string
			if err := tx.QueryRowContext(ctx, "SELECT coop_id FROM farms_fields WHERE id = ?", in.FieldID).Scan(&owner); err != nil || owner != co.ID {
				f["field_id"] = "不是本合作社的地块 not a field of this cooperative"
			}
		}
		if len(f) > 0 {
			return fishpond.Invalid("用工信息有误 invalid task", f)
		}
		t = Task{ID: newID(), CoopID: co.ID, FieldID: in.FieldID, Kind: in.Kind, Basis: in.Basis, Rate: in.Rate, Unit: in.Unit, Note: in.Note, CreatedAt: s.now()}
		_, err = tx.ExecContext(ctx, "INSERT INTO farms_tasks (id, coop_id, field_id, kind, basis, rate, unit, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			t.ID, t.CoopID, t.FieldID, t.Kind, t.Basis, int64(t.Rate), t.Unit, t.Note, db.FormatTime(t.CreatedAt))
		return internal(err)
	})
	if err != nil {
		return Task{}, err
	}
	return t, nil
}

const taskColumns = "id, coop_id, field_id, kind, basis, rate, unit, note, created_at FROM farms_tasks"

func scanTask(row interface{ Scan(...any) error }) (Task, error) {
	var t Task
	var rate int64
	var created string
	if err := row.Scan(&t.ID, &t.CoopID, &t.FieldID, &t.Kind, &t.Basis, &rate, &t.Unit, &t.Note, &created); err != nil {
		return Task{}, err
	}
	t.Rate, t.CreatedAt = fishpond.Money(rate), db.MustTime(created)
	return t, nil
}

// Tasks lists a cooperative's work assignments.
func (s *Service) Tasks(ctx context.Context, p fishpond.Principal, coopID string) ([]Task, error) {
	if _, err := s.Coop(ctx, p, coopID); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+taskColumns+" WHERE coop_id = ? ORDER BY created_at, id", coopID)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, t)
	}
	return out, internal(rows.Err())
}

// Days is days worked in tenths (a half day is 5).
type Days int64

// String renders days with one decimal, e.g. "0.5".
func (d Days) String() string { return fmt.Sprintf("%d.%d", int64(d)/10, int64(d)%10) }

// Work is one household's work on a task on one day.
type Work struct {
	ID          string
	TaskID      string
	HouseholdID string
	Date        string
	Days        Days
	Pieces      int64
	Amount      fishpond.Money
	PayrollID   string // "" until paid
	Replayed    bool
}

// WorkInput is one line of the day's timesheet.
type WorkInput struct {
	HouseholdID    string
	Date           string
	Days           Days  // tenths of a day worked
	Pieces         int64 // units done, for piece rates
	IdempotencyKey string
}

// LogWork records a household's work on a task. Earnings are days × rate or pieces
// × rate; a piece-rate day that would earn less than the minimum daily wage is
// refused, so no payroll pays below it.
func (s *Service) LogWork(ctx context.Context, p fishpond.Principal, taskID string, in WorkInput) (Work, error) {
	f := map[string]string{}
	if in.HouseholdID == "" {
		f["household_id"] = "必填 required"
	}
	if _, ok := parseDate(in.Date); !ok {
		f["date"] = "日期格式为 YYYY-MM-DD date as YYYY-MM-DD"
	}
	if in.Days <= 0 || in.Days > 10 {
		f["days"] = "一天最多记1个工日（0.1到1） between 0.1 and 1 day per date"
	}
	if in.Pieces < 0 || in.Pieces > 1_000_000 {
		f["pieces"] = "计件数须在0到100万之间 pieces must be 0–1,000,000"
	}
	if in.IdempotencyKey == "" || len(in.IdempotencyKey) > 100 {
		f["idempotency_key"] = "必填，最多100字节 required, at most 100 bytes"
	}
	var w Work
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		t, err := scanTask(tx.QueryRowContext(ctx, "SELECT "+taskColumns+" WHERE id = ?", taskID))
		if err != nil {
			return db.NotFound(err, "没有该用工任务 no such task")
		}
		co, err := managedCoop(ctx, tx, p, t.CoopID, false)
		if err != nil {
			return err
		}
		var existing string
		switch err := tx.QueryRowContext(ctx, "SELECT id FROM farms_work WHERE task_id = ? AND idem_key = ?", t.ID, in.IdempotencyKey).Scan(&existing); {
		case err == nil:
			w, err = loadWork(ctx, tx, existing)
			if err == nil && (w.HouseholdID != in.HouseholdID || w.Date != in.Date || w.Days != in.Days || w.Pieces != in.Pieces) {
				return conflict("该幂等键已用于另一条记工 the idempotency key was used for other work")
			}
			w.Replayed = true
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return internal(err)
		}
		if in.HouseholdID != "" {
			if err := checkHousehold(ctx, tx, in.HouseholdID, "household_id", f); err != nil {
				return err
			}
		}
		var amount fishpond.Money
		switch t.Basis {
		case BasisDay:
			if in.Pieces != 0 {
				f["pieces"] = "计日任务不记件数 a day-rate task takes no pieces"
			}
			amount = fishpond.Money(int64(t.Rate) * int64(in.Days) / 10)
		case BasisPiece:
			if in.Pieces <= 0 {
				f["pieces"] = "计件任务须填写件数 a piece-rate task needs pieces"
			}
			amount = t.Rate * fishpond.Money(in.Pieces)
			// earnings per day = amount / (days/10) must reach the minimum
			if in.Days > 0 && in.Pieces > 0 && int64(amount)*10 < int64(co.MinDailyWage)*int64(in.Days) {
				f["pieces"] = fmt.Sprintf("折合日工资低于最低日工资 %s 元 earns less than the minimum daily wage of %s yuan", co.MinDailyWage, co.MinDailyWage)
			}
		}
		var sameTask int64
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(SUM(days_x10), 0) FROM farms_work w JOIN farms_tasks t ON t.id = w.task_id WHERE w.household_id = ? AND w.work_date = ? AND t.coop_id = ?",
			in.HouseholdID, in.Date, co.ID).Scan(&sameTask); err != nil {
			return internal(err)
		}
		if sameTask+int64(in.Days) > 10 {
			f["days"] = "该户当天已记满1个工日 the household already has a full day recorded on this date"
		}
		if len(f) > 0 {
			return fishpond.Invalid("记工信息有误 invalid work record", f)
		}
		now := s.now()
		w = Work{ID: newID(), TaskID: t.ID, HouseholdID: in.HouseholdID, Date: in.Date, Days: in.Days, Pieces: in.Pieces, Amount: amount}
		_, err = tx.ExecContext(ctx, `INSERT INTO farms_work (id, task_id, coop_id, household_id, idem_key, work_date, days_x10, pieces, amount, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, w.ID, w.TaskID, co.ID, w.HouseholdID, in.IdempotencyKey, w.Date, int64(w.Days), w.Pieces, int64(w.Amount), db.FormatTime(now))
		return insertErr(err)
	})
	if err != nil {
		return Work{}, err
	}
	return w, nil
}

const workColumns = "id, task_id, household_id, work_date, days_x10, pieces, amount, COALESCE(payroll_id, '') FROM farms_work"

func loadWork(ctx context.Context, q db.Querier, id string) (Work, error) {
	var w Work
	var days, amt int64
	err := q.QueryRowContext(ctx, "SELECT "+workColumns+" WHERE id = ?", id).Scan(&w.ID, &w.TaskID, &w.HouseholdID, &w.Date, &days, &w.Pieces, &amt, &w.PayrollID)
	if err != nil {
		return Work{}, db.NotFound(err, "没有该记工 no such work record")
	}
	w.Days, w.Amount = Days(days), fishpond.Money(amt)
	return w, nil
}

// Payroll is one payroll run: every unpaid work record through a date, paid to
// each household as wage income in one transaction.
type Payroll struct {
	ID         string
	CoopID     string
	Through    string
	Total      fishpond.Money
	Households int
	PaidAt     time.Time
	Lines      []PayrollLine
	Replayed   bool
}

// PayrollLine is one household's pay in a run.
type PayrollLine struct {
	HouseholdID string
	Days        Days
	Amount      fishpond.Money
	TransferID  string
}

// RunPayroll pays every unpaid work record dated on or before through: per
// household one ledger transfer into its wage income, effective at the payroll
// date, and the records marked paid — all in one transaction. The key (e.g.
// "2020-06") makes a retried run return the first one; a second run with a new key
// finds nothing left to pay for the same work.
func (s *Service) RunPayroll(ctx context.Context, p fishpond.Principal, coopID, through, key string) (Payroll, error) {
	f := map[string]string{}
	if _, ok := parseDate(through); !ok {
		f["through"] = "日期格式为 YYYY-MM-DD date as YYYY-MM-DD"
	}
	if key == "" || len(key) > 100 {
		f["idempotency_key"] = "必填，最多100字节 required, at most 100 bytes"
	}
	if len(f) > 0 {
		return Payroll{}, fishpond.Invalid("工资发放信息有误 invalid payroll", f)
	}
	var pr Payroll
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		co, err := managedCoop(ctx, tx, p, coopID, false)
		if err != nil {
			return err
		}
		var existing string
		switch err := tx.QueryRowContext(ctx, "SELECT id FROM farms_payrolls WHERE coop_id = ? AND idem_key = ?", co.ID, key).Scan(&existing); {
		case err == nil:
			pr, err = loadPayroll(ctx, tx, existing)
			pr.Replayed = true
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return internal(err)
		}
		// Claim the unpaid work for this run first: a concurrent run (another key)
		// blocks on these rows and then finds them taken, so no work is paid twice.
		now := s.now()
		pr = Payroll{ID: newID(), CoopID: co.ID, Through: through, PaidAt: now}
		if _, err := tx.ExecContext(ctx, "INSERT INTO farms_payrolls (id, coop_id, idem_key, through, total, households, paid_at) VALUES (?, ?, ?, ?, 0, 0, ?)",
			pr.ID, co.ID, key, through, db.FormatTime(now)); err != nil {
			return insertErr(err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE farms_work SET payroll_id = ? WHERE coop_id = ? AND payroll_id IS NULL AND work_date <= ?", pr.ID, co.ID, through); err != nil {
			return internal(err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT household_id, SUM(days_x10), SUM(amount) FROM farms_work
			WHERE payroll_id = ? GROUP BY household_id ORDER BY household_id`, pr.ID)
		if err != nil {
			return internal(err)
		}
		var lines []PayrollLine
		for rows.Next() {
			var l PayrollLine
			var days, amt int64
			if err := rows.Scan(&l.HouseholdID, &days, &amt); err != nil {
				rows.Close()
				return internal(err)
			}
			l.Days, l.Amount = Days(days), fishpond.Money(amt)
			lines = append(lines, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return internal(err)
		}
		if len(lines) == 0 {
			return conflict("%s 前没有未发的工资 no unpaid work through %s", through, through)
		}
		pr.Households = len(lines)
		for _, l := range lines {
			pr.Total += l.Amount
		}
		if _, err := tx.ExecContext(ctx, "UPDATE farms_payrolls SET total = ?, households = ? WHERE id = ?", int64(pr.Total), pr.Households, pr.ID); err != nil {
			return internal(err)
		}
		st, err := tx.Stmt(ctx, "INSERT INTO farms_payroll_lines (payroll_id, household_id, amount, days_x10, transfer_id) VALUES (?, ?, ?, ?, ?)")
		if err != nil {
			return internal(err)
		}
		for i, l := range lines {
			t, err := payHousehold(ctx, tx, now, payment{key: "farms:payroll:" + pr.ID + ":" + l.HouseholdID, kind: "farm_wage",
				memo: fmt.Sprintf("农场务工工资 farm wages through %s, %s 工日 days", through, l.Days), evidence: "payroll " + pr.ID,
				at: now, coopID: co.ID, expense: CatWages, income: ledger.CatWage, hh: l.HouseholdID, amount: l.Amount})
			if err != nil {
				return err
			}
			lines[i].TransferID = t.ID
			if _, err := st.ExecContext(ctx, pr.ID, l.HouseholdID, int64(l.Amount), int64(l.Days), t.ID); err != nil {
				return internal(err)
			}
		}
		pr.Lines = lines
		return events.Append(ctx, tx, now, events.Event{Type: "farms.payroll.paid", Subject: pr.ID, CountyCode: co.CountyCode,
			Payload: map[string]any{"coop_id": co.ID, "fen": int64(pr.Total), "households": pr.Households, "through": through}})
	})
	if err != nil {
		return Payroll{}, err
	}
	return pr, nil
}

func loadPayroll(ctx context.Context, q db.Querier, id string) (Payroll, error) {
	var pr Payroll
	var total int64
	var at string
	err := q.QueryRowContext(ctx, "SELECT id, coop_id, through, total, households, paid_at FROM farms_payrolls WHERE id = ?", id).
		Scan(&pr.ID, &pr.CoopID, &pr.Through, &total, &pr.Households, &at)
	if err != nil {
		return Payroll{}, db.NotFound(err, "没有该工资单 no such payroll")
	}
	pr.Total, pr.PaidAt = fishpond.Money(total), db.MustTime(at)
	rows, err := q.QueryContext(ctx, "SELECT household_id, days_x10, amount, transfer_id FROM farms_payroll_lines WHERE payroll_id = ? ORDER BY household_id", id)
	if err != nil {
		return Payroll{}, internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var l PayrollLine
		var days, amt int64
		if err := rows.Scan(&l.HouseholdID, &days, &amt, &l.TransferID); err != nil {
			return Payroll{}, internal(err)
		}
		l.Days, l.Amount = Days(days), fishpond.Money(amt)
		pr.Lines = append(pr.Lines, l)
	}
	return pr, internal(rows.Err())
}

// Payrolls lists a cooperative's payroll runs, newest first, without lines.
func (s *Service) Payrolls(ctx context.Context, p fishpond.Principal, coopID string) ([]Payroll, error) {
	if _, err := s.Coop(ctx, p, coopID); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT id, coop_id, through, total, households, paid_at FROM farms_payrolls WHERE coop_id = ? ORDER BY paid_at DESC, id DESC", coopID)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Payroll
	for rows.Next() {
		var pr Payroll
		var total int64
		var at string
		if err := rows.Scan(&pr.ID, &pr.CoopID, &pr.Through, &total, &pr.Households, &at); err != nil {
			return nil, internal(err)
		}
		pr.Total, pr.PaidAt = fishpond.Money(total), db.MustTime(at)
		out = append(out, pr)
	}
	return out, internal(rows.Err())
}

// Payroll reads one payroll run with its lines.
func (s *Service) Payroll(ctx context.Context, p fishpond.Principal, id string) (Payroll, error) {
	pr, err := loadPayroll(ctx, s.db.Read(), id)
	if err != nil {
		return Payroll{}, err
	}
	if _, err := s.Coop(ctx, p, pr.CoopID); err != nil {
		return Payroll{}, notFound("没有该工资单 no such payroll")
	}
	return pr, nil
}

// UnpaidWork sums what the cooperative owes for work not yet in a payroll.
func (s *Service) UnpaidWork(ctx context.Context, p fishpond.Principal, coopID string) (fishpond.Money, int, error) {
	if _, err := s.Coop(ctx, p, coopID); err != nil {
		return 0, 0, err
	}
	var amt, n int64
	err := s.db.Read().QueryRowContext(ctx, "SELECT COALESCE(SUM(amount), 0), COUNT(DISTINCT household_id) FROM farms_work WHERE coop_id = ? AND payroll_id IS NULL", coopID).Scan(&amt, &n)
	return fishpond.Money(amt), int(n), internal(err)
}
