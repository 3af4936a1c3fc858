package green

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"

	"github.com/google/uuid"
)

// SurvivalAfter is how long after planting a tree may be sampled for a survival
// check: a season, so that the check says something about survival.
const SurvivalAfter = 90 * 24 * time.Hour

// Audit is a survival audit: a reproducible random sample of a project's planted
// trees, each checked once.
type Audit struct {
	ID         string
	ProjectID  string
	Seed       string
	SampleSize int
	DrawnAt    time.Time
	Trees      []AuditTree
}

// AuditTree is one sampled tree and its check.
type AuditTree struct {
	TreeID    string
	Lat, Lon  float64
	PlantedAt time.Time
	Result    string // "", TreeSurvived or TreeDead
	CheckedAt time.Time
}

// Checked counts the sampled trees already checked, and Alive those found alive.
func (a Audit) Checked() (checked, alive int) {
	for _, t := range a.Trees {
		if t.Result != "" {
			checked++
			if t.Result == TreeSurvived {
				alive++
			}
		}
	}
	return
}

// DrawAudit samples size trees planted at least SurvivalAfter ago. Trees are
// ranked by SHA-256 of the seed and the tree id, so anyone holding the seed can
// reproduce the sample; the seed is recorded.
func (s *Service) DrawAudit(ctx context.Context, p fishpond.Principal, projectID, seed string, size int) (Audit, error) {
	pr, err := s.Project(ctx, projectID)
	if err != nil {
		return Audit{}, err
	}
	if !CanManage(p, pr.CountyCode) && !(p.Role == fishpond.RoleAuditor && p.CanSeeCounty(pr.CountyCode)) {
		return Audit{}, fishpond.Errorf(fishpond.EForbidden, "只有该县的项目官员或审计员可以抽查 only the county's officers or auditors audit")
	}
	seed = strings.TrimSpace(seed)
	f := map[string]string{}
	if seed == "" || len(seed) > 100 {
		f["seed"] = "必填 required"
	}
	if size <= 0 || size > 1000 {
		f["size"] = "1 至 1000 from 1 to 1000"
	}
	if len(f) > 0 {
		return Audit{}, fishpond.Invalid("抽查无效 invalid audit", f)
	}
	now := s.now()
	a := Audit{ID: uuid.Must(uuid.NewV7()).String(), ProjectID: pr.ID, Seed: seed, DrawnAt: now}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT id FROM green_trees WHERE project_id = ? AND state IN (?, ?, ?) AND planted_at <= ?",
			pr.ID, TreePlanted, TreeSurvived, TreeDead, db.FormatTime(now.Add(-SurvivalAfter)))
		if err != nil {
			return fishpond.Internal(err)
		}
		type ranked struct{ id, rank string }
		var all []ranked
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fishpond.Internal(err)
			}
			h := sha256.Sum256([]byte(seed + "|" + id))
			all = append(all, ranked{id, hex.EncodeToString(h[:])})
		}
		rows.Close()
		if len(all) == 0 {
			return fishpond.Errorf(fishpond.EConflict, "没有种植满一季的树 no trees planted a season ago to sample")
		}
		sort.Slice(all, func(i, j int) bool { return all[i].rank < all[j].rank })
		all = all[:min(size, len(all))]
		a.SampleSize = len(all)
		if _, err := tx.ExecContext(ctx, "INSERT INTO green_audits (id, project_id, seed, sample_size, drawn_by, drawn_at) VALUES (?, ?, ?, ?, ?, ?)",
			a.ID, pr.ID, seed, a.SampleSize, p.UserID, db.FormatTime(now)); err != nil {
			return fishpond.Internal(err)
		}
		args := make([]any, 0, 2*len(all))
		for _, r := range all {
			args = append(args, a.ID, r.id)
		}
		return db.InsertRows(ctx, tx, "INSERT INTO green_audit_trees (audit_id, tree_id) VALUES ", "", 2, len(all), args)
	})
	if err != nil {
		return Audit{}, err
	}
	return s.Audit(ctx, p, a.ID)
}

// Audit returns a survival audit with its sample.
func (s *Service) Audit(ctx context.Context, p fishpond.Principal, id string) (Audit, error) {
	q := s.db.Read()
	var a Audit
	var at string
	err := q.QueryRowContext(ctx, "SELECT id, project_id, seed, sample_size, drawn_at FROM green_audits WHERE id = ?", id).Scan(&a.ID, &a.ProjectID, &a.Seed, &a.SampleSize, &at)
	if err != nil {
		return a, db.NotFound(err, "抽查不存在 audit not found")
	}
	a.DrawnAt = db.MustTime(at)
	pr, err := s.Project(ctx, a.ProjectID)
	if err != nil {
		return a, err
	}
	if !CanManage(p, pr.CountyCode) && !(p.Role == fishpond.RoleAuditor && p.CanSeeCounty(pr.CountyCode)) {
		return Audit{}, fishpond.Errorf(fishpond.ENotFound, "抽查不存在 audit not found")
	}
	rows, err := q.QueryContext(ctx, `SELECT t.id, t.lat_e6, t.lon_e6, t.planted_at, a.result, a.checked_at FROM green_audit_trees a
		JOIN green_trees t ON t.id = a.tree_id WHERE a.audit_id = ? ORDER BY t.id`, id)
	if err != nil {
		return a, fishpond.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var t AuditTree
		var lat, lon int64
		var pat, cat string
		if err := rows.Scan(&t.TreeID, &lat, &lon, &pat, &t.Result, &cat); err != nil {
			return a, fishpond.Internal(err)
		}
		t.Lat, t.Lon, t.PlantedAt = fromE6(lat), fromE6(lon), db.MustTime(pat)
		if cat != "" {
			t.CheckedAt = db.MustTime(cat)
		}
		a.Trees = append(a.Trees, t)
	}
	return a, rows.Err()
}

// Audits lists a project's audits, newest first.
func (s *Service) Audits(ctx context.Context, p fishpond.Principal, projectID string) ([]Audit, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT id FROM green_audits WHERE project_id = ? ORDER BY drawn_at DESC LIMIT 50", projectID)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	var out []Audit
	for _, id := range ids {
		a, err := s.Audit(ctx, p, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// RecordCheck records one sampled tree alive or dead, once; the project's audited
// survival rate follows.
func (s *Service) RecordCheck(ctx context.Context, p fishpond.Principal, auditID, treeID string, alive bool) error {
	a, err := s.Audit(ctx, p, auditID)
	if err != nil {
		return err
	}
	pr, err := s.Project(ctx, a.ProjectID)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		result := TreeDead
		if alive {
			result = TreeSurvived
		}
		res, err := tx.ExecContext(ctx, "UPDATE green_audit_trees SET result = ?, checked_by = ?, checked_at = ? WHERE audit_id = ? AND tree_id = ? AND result = ''",
			result, p.UserID, db.FormatTime(now), auditID, treeID)
		if err != nil {
			return fishpond.Internal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fishpond.Errorf(fishpond.EConflict, "这棵树不在样本中或已检查 this tree is not in the sample or was already checked")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE green_trees SET state = ?, checked_at = ? WHERE id = ?", result, db.FormatTime(now), treeID); err != nil {
			return fishpond.Internal(err)
		}
		survived := 0
		if alive {
			survived = 1
		}
		if _, err := tx.ExecContext(ctx, "UPDATE green_projects SET checked = checked + 1, survived = survived + ? WHERE id = ?", survived, pr.ID); err != nil {
			return fishpond.Internal(err)
		}
		return events.Append(ctx, tx, now, events.Event{Type: "green.tree.survived", Subject: pr.ID, CountyCode: pr.CountyCode,
			Payload: map[string]any{"project_id": pr.ID, "audit_id": auditID, "count": survived, "checked": 1}})
	})
}
