package assess

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/registry"
)

// PovertyLine is the national rural poverty line of a year: annual per-capita net
// income in fen. Source says where it came from ("default" for the shipped values
// with their provenance, "set" for an administrator's value).
type PovertyLine struct {
	Year   int
	Amount fishpond.Money
	Note   string
	Source string // "default" or "set"
	SetBy  string
	SetAt  time.Time
}

// MaxPovertyLine bounds a line so that a typo (fen for yuan) is caught: the real
// line is a few thousand yuan.
const MaxPovertyLine = fishpond.Money(100_000_00)

// SetPovertyLine records the line of a year (administrators only). The line is a
// policy figure, so it is never guessed: assessment of a year without one fails
// until it is set here.
func (a *Assessor) SetPovertyLine(ctx context.Context, p fishpond.Principal, year int, amount fishpond.Money, note string) (PovertyLine, error) {
	if p.Role != fishpond.RoleAdmin {
		return PovertyLine{}, forbidden("只有管理员可以设置贫困线 / only an administrator may set the poverty line")
	}
	note = strings.TrimSpace(note)
	f := map[string]string{}
	if !validYear(year) {
		f["year"] = "年份应在2000至2100之间 / year must be between 2000 and 2100"
	}
	if amount <= 0 || amount > MaxPovertyLine {
		f["amount"] = "贫困线应大于0且不超过100,000元 / the line must be above 0 and at most 100,000 yuan per person per year"
	}
	if utf8.RuneCountInString(note) > 500 {
		f["note"] = "说明最长500字 / the note may hold at most 500 characters"
	}
	if len(f) > 0 {
		return PovertyLine{}, fishpond.Invalid("贫困线无效 / invalid poverty line", f)
	}
	now := a.now()
	err := a.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO poverty_lines (year, amount_fen, note, set_by, set_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (year) DO UPDATE SET amount_fen = excluded.amount_fen, note = excluded.note, set_by = excluded.set_by, set_at = excluded.set_at`,
			year, int64(amount), note, p.UserID, db.FormatTime(now))
		return err
	})
	if err != nil {
		return PovertyLine{}, fishpond.Internal(err)
	}
	return PovertyLine{Year: year, Amount: amount, Note: note, Source: "set", SetBy: p.UserID, SetAt: now}, nil
}

// PovertyLines lists every known line — set ones, and shipped defaults for years
// nobody set — by year, for the settings page and reports.
func (a *Assessor) PovertyLines(ctx context.Context) ([]PovertyLine, error) {
	byYear := map[int]PovertyLine{}
	defs, err := defaultLines()
	if err != nil {
		return nil, err
	}
	for _, l := range defs {
		byYear[l.Year] = l
	}
	rows, err := a.db.Read().QueryContext(ctx, "SELECT year, amount_fen, note, set_by, set_at FROM poverty_lines")
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanLine(rows)
		if err != nil {
			return nil, fishpond.Internal(err)
		}
		byYear[l.Year] = l
	}
	if err := rows.Err(); err != nil {
		return nil, fishpond.Internal(err)
	}
	out := make([]PovertyLine, 0, len(byYear))
	for _, l := range byYear {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Year < out[j].Year })
	return out, nil
}

// PovertyLine returns the line of year: the administrator's value, else the shipped
// default, else an invalid error that names the year and says how to set it.
func (a *Assessor) PovertyLine(ctx context.Context, year int) (PovertyLine, error) {
	if !validYear(year) {
		return PovertyLine{}, badYear(year)
	}
	l, err := scanLine(a.db.Read().QueryRowContext(ctx, "SELECT year, amount_fen, note, set_by, set_at FROM poverty_lines WHERE year = ?", year))
	if err == nil {
		return l, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return PovertyLine{}, fishpond.Internal(err)
	}
	defs, err := defaultLines()
	if err != nil {
		return PovertyLine{}, err
	}
	for _, l := range defs {
		if l.Year == year {
			return l, nil
		}
	}
	return PovertyLine{}, fishpond.Invalid(words("%d年没有设定贫困线，请管理员先在“贫困线”设置中设定该年的标准",
		"no poverty line is set for %d; an administrator must first set that year's line under poverty lines", year),
		map[string]string{"year": "no poverty line for this year"})
}

func scanLine(sc interface{ Scan(...any) error }) (PovertyLine, error) {
	var l PovertyLine
	var amt int64
	var at string
	err := sc.Scan(&l.Year, &amt, &l.Note, &l.SetBy, &at)
	l.Amount, l.Source, l.SetAt = fishpond.Money(amt), "set", db.MustTime(at)
	return l, err
}

func defaultLines() ([]PovertyLine, error) {
	facts, err := registry.DefaultPovertyLines()
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	out := make([]PovertyLine, 0, len(facts))
	for _, f := range facts {
		out = append(out, PovertyLine{Year: f.Year, Amount: f.Amount, Note: f.Basis + " — " + f.Source, Source: "default", SetBy: "registry/data/poverty_line.csv"})
	}
	return out, nil
}
