package registry

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
)

// Village is an administrative village (行政村) of a county, where households live and
// where officers and village stations work.
type Village struct {
	ID, CountyCode, Town, Name string
	Households                 int
}

// Villages lists the villages of a county with their household counts, for principals
// who may see the county's registry.
func (s *Store) Villages(ctx context.Context, p fishpond.Principal, county string) ([]Village, error) {
	if !p.SeesRegistry() || !p.CanSeeCounty(county) {
		return nil, notFound("县不存在 / county not found")
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT v.id, v.county_code, v.town, v.name,
		(SELECT COUNT(*) FROM households h WHERE h.village_id = v.id)
		FROM villages v WHERE v.county_code = ? ORDER BY v.town, v.name`, county)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []Village
	for rows.Next() {
		var v Village
		if err := rows.Scan(&v.ID, &v.CountyCode, &v.Town, &v.Name, &v.Households); err != nil {
			return nil, fishpond.Internal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fishpond.Internal(err)
	}
	return out, nil
}

// CreateVillage adds a village to a county; a village of the same town and name is a
// conflict, so that imports and forms never split one village in two.
func (s *Store) CreateVillage(ctx context.Context, p fishpond.Principal, county, town, name string) (Village, error) {
	town, name = strings.TrimSpace(town), strings.TrimSpace(name)
	fields := map[string]string{}
	if name == "" {
		fields["name"] = "村名不能为空 / village name is required"
	} else if utf8.RuneCountInString(name) > 40 {
		fields["name"] = "村名过长 / village name is too long"
	}
	if utf8.RuneCountInString(town) > 40 {
		fields["town"] = "乡镇名过长 / town name is too long"
	}
	if !p.CanEditRegistry(county) {
		return Village{}, forbidden("无权在此县建村 / not allowed to add villages to this county")
	}
	if len(fields) > 0 {
		return Village{}, fishpond.Invalid("村信息有误 / invalid village", fields)
	}
	var v Village
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM counties WHERE code = ?", county).Scan(&n); err != nil {
			return fishpond.Internal(err)
		}
		if n == 0 {
			return notFound("县不存在 / county not found")
		}
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM villages WHERE county_code = ? AND town = ? AND name = ?", county, town, name).Scan(&n); err != nil {
			return fishpond.Internal(err)
		}
		if n > 0 {
			return &fishpond.Error{Code: fishpond.EConflict, Message: "该村已存在 / the village already exists", Fields: map[string]string{"name": "已存在 / exists"}}
		}
		v = Village{ID: newID(), CountyCode: county, Town: town, Name: name}
		_, err := tx.ExecContext(ctx, "INSERT INTO villages (id, county_code, name, town, created_at) VALUES (?, ?, ?, ?, ?)",
			v.ID, v.CountyCode, v.Name, v.Town, db.FormatTime(s.now()))
		return conflictOrInternal(err)
	})
	return v, err
}

// resolveVillage finds the input's village by id (which must belong to the county) or
// by town and name, creating it on demand as imports need.
func (s *Store) resolveVillage(ctx context.Context, tx *db.Tx, now time.Time, in HouseholdInput) (Village, error) {
	var v Village
	if in.VillageID != "" {
		err := tx.QueryRowContext(ctx, "SELECT id, county_code, town, name FROM villages WHERE id = ?", in.VillageID).Scan(&v.ID, &v.CountyCode, &v.Town, &v.Name)
		if err != nil || v.CountyCode != in.CountyCode {
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return v, fishpond.Internal(err)
			}
			return v, fishpond.Invalid("村不存在 / village not found", map[string]string{"village_id": "此县没有该村 / no such village in the county"})
		}
		return v, nil
	}
	err := tx.QueryRowContext(ctx, "SELECT id, county_code, town, name FROM villages WHERE county_code = ? AND town = ? AND name = ?",
		in.CountyCode, in.Town, in.Village).Scan(&v.ID, &v.CountyCode, &v.Town, &v.Name)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return v, fishpond.Internal(err)
	}
	v = Village{ID: newID(), CountyCode: in.CountyCode, Town: in.Town, Name: in.Village}
	_, err = tx.ExecContext(ctx, "INSERT INTO villages (id, county_code, name, town, created_at) VALUES (?, ?, ?, ?, ?)",
		v.ID, v.CountyCode, v.Name, v.Town, db.FormatTime(now))
	return v, conflictOrInternal(err)
}
