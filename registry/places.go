package registry

import (
	"bytes"
	"context"
	"embed"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"fishpond"
	"fishpond/internal/db"
)

// The division and poverty-county data, see data/PROVENANCE.md.
//
//go:embed data/*.csv
var placeData embed.FS

// Regions of China as the poverty programme uses them: the exit threshold for county
// poverty incidence is 2% in the east and centre and 3% in the west.
const (
	RegionEast    = "east"
	RegionCentral = "central"
	RegionWest    = "west"
)

// Province is a provincial-level division with its region.
type Province struct{ Code, Name, Region string }

// Prefecture is a prefecture-level division (地级), the level between province and
// county that pages group counties by.
type Prefecture struct{ Code, Name, ProvinceCode string }

// County is a county-level division, the unit of poverty exit (摘帽) and of an
// officer's scope. Households and People are filled where cheap (lists and County).
type County struct {
	Code, Name                 string
	PrefectureCode             string
	PrefectureName             string
	ProvinceCode, ProvinceName string
	Poverty                    bool   // one of the 832 national poverty counties
	Region                     string // east, central or west
	ExitYear                   int    // year it exited poverty (摘帽), 0 if not listed
	ListedName                 string // name on the 2014 list, which may predate renaming
	Households, People         int
}

// provinceRegion is the standard NBS east/central/west grouping, used for counties
// that are not on the poverty list (whose file gives the region itself).
var provinceRegion = map[string]string{
	"11": RegionEast, "12": RegionEast, "13": RegionEast, "21": RegionEast, "31": RegionEast, "32": RegionEast,
	"33": RegionEast, "35": RegionEast, "37": RegionEast, "44": RegionEast, "46": RegionEast,
	"14": RegionCentral, "22": RegionCentral, "23": RegionCentral, "34": RegionCentral, "36": RegionCentral,
	"41": RegionCentral, "42": RegionCentral, "43": RegionCentral,
	"15": RegionWest, "45": RegionWest, "50": RegionWest, "51": RegionWest, "52": RegionWest, "53": RegionWest,
	"54": RegionWest, "61": RegionWest, "62": RegionWest, "63": RegionWest, "64": RegionWest, "65": RegionWest,
}

var regionWords = map[string]string{"东部": RegionEast, "中部": RegionCentral, "西部": RegionWest}

func readPlaceCSV(name string) ([][]string, error) {
	b, err := placeData.ReadFile("data/" + name)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(b))
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("%s: no rows", name)
	}
	return rows[1:], nil
}

type povertyListing struct {
	exitYear int
	region   string
	names    []string
}

// placeSet is the parsed embedded data, ready to write.
type placeSet struct {
	provinces   []Province
	prefectures []Prefecture
	counties    []County
}

func parsePlaces() (placeSet, error) {
	var ps placeSet
	provRows, err := readPlaceCSV("divisions_province.csv")
	if err != nil {
		return ps, err
	}
	provName := map[string]string{}
	for _, r := range provRows {
		region, ok := provinceRegion[r[0]]
		if !ok {
			return ps, fmt.Errorf("province %s has no region", r[0])
		}
		ps.provinces = append(ps.provinces, Province{Code: r[0], Name: r[1], Region: region})
		provName[r[0]] = r[1]
	}
	cityRows, err := readPlaceCSV("divisions_city.csv")
	if err != nil {
		return ps, err
	}
	prefName := map[string]string{}
	for _, r := range cityRows {
		name := r[1]
		if name == "市辖区" || name == "县" { // the municipalities' placeholder prefectures
			name = provName[r[2]]
		}
		ps.prefectures = append(ps.prefectures, Prefecture{Code: r[0], Name: name, ProvinceCode: r[2]})
		prefName[r[0]] = name
	}
	povRows, err := readPlaceCSV("poverty_counties_832.csv")
	if err != nil {
		return ps, err
	}
	poverty := map[string]*povertyListing{}
	for _, r := range povRows {
		code := r[2]
		year, err := strconv.Atoi(r[6])
		if err != nil {
			return ps, fmt.Errorf("poverty county %s: exit year %q", code, r[6])
		}
		region, ok := regionWords[r[7]]
		if !ok {
			return ps, fmt.Errorf("poverty county %s: region %q", code, r[7])
		}
		// 632803 appears twice: 冷湖行委 and 茫崖行委 merged into 茫崖市 in 2018.
		l := poverty[code]
		if l == nil {
			l = &povertyListing{exitYear: year, region: region}
			poverty[code] = l
		}
		l.exitYear = max(l.exitYear, year)
		l.names = append(l.names, r[1])
	}
	countyRows, err := readPlaceCSV("divisions_county.csv")
	if err != nil {
		return ps, err
	}
	for _, r := range countyRows {
		code := r[0]
		if len(code) != 6 || code[4] == '7' { // NBS functional zones are not statutory divisions
			continue
		}
		c := County{Code: code, Name: r[1], PrefectureCode: r[2], PrefectureName: prefName[r[2]],
			ProvinceCode: r[3], ProvinceName: provName[r[3]], Region: provinceRegion[r[3]]}
		if l := poverty[code]; l != nil {
			c.Poverty, c.ExitYear, c.Region, c.ListedName = true, l.exitYear, l.region, strings.Join(l.names, "、")
			delete(poverty, code)
		}
		ps.counties = append(ps.counties, c)
	}
	if len(poverty) > 0 {
		return ps, fmt.Errorf("%d poverty counties are not among the statutory divisions", len(poverty))
	}
	return ps, nil
}

// LoadPlaces writes the embedded statutory divisions and the poverty-county list into
// the database. It is idempotent (an upsert), so every start and every upgrade of
// the embedded data can run it.
func (s *Store) LoadPlaces(ctx context.Context) (provinces, prefectures, counties int, err error) {
	ps, err := parsePlaces()
	if err != nil {
		return 0, 0, 0, fishpond.Internal(err)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		rows := make([][]any, 0, len(ps.provinces))
		for _, p := range ps.provinces {
			rows = append(rows, []any{p.Code, p.Name, p.Region})
		}
		if err := upsert(ctx, tx, "provinces", []string{"code", "name", "region"}, rows); err != nil {
			return err
		}
		rows = rows[:0]
		for _, p := range ps.prefectures {
			rows = append(rows, []any{p.Code, p.Name, p.ProvinceCode})
		}
		if err := upsert(ctx, tx, "prefectures", []string{"code", "name", "province_code"}, rows); err != nil {
			return err
		}
		rows = rows[:0]
		for _, c := range ps.counties {
			var exit, listed any
			if c.Poverty {
				exit, listed = c.ExitYear, c.ListedName
			}
			rows = append(rows, []any{c.Code, c.Name, c.PrefectureCode, c.ProvinceCode, boolInt(c.Poverty), c.Region, exit, listed})
		}
		return upsert(ctx, tx, "counties", []string{"code", "name", "prefecture_code", "province_code", "poverty", "region", "exit_year", "listed_name"}, rows)
	})
	if err != nil {
		return 0, 0, 0, fishpond.Internal(err)
	}
	return len(ps.provinces), len(ps.prefectures), len(ps.counties), nil
}

// upsert writes rows keyed by the first column in batches (one round trip per batch
// keeps start-up fast on PostgreSQL).
func upsert(ctx context.Context, tx *db.Tx, table string, cols []string, rows [][]any) error {
	const batch = 200
	set := make([]string, 0, len(cols)-1)
	for _, c := range cols[1:] {
		set = append(set, c+" = excluded."+c)
	}
	tuple := "(" + db.Placeholders(len(cols)) + ")"
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		tuples := make([]string, 0, end-start)
		args := make([]any, 0, (end-start)*len(cols))
		for _, r := range rows[start:end] {
			tuples = append(tuples, tuple)
			args = append(args, r...)
		}
		q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.Join(tuples, ", ") +
			" ON CONFLICT (" + cols[0] + ") DO UPDATE SET " + strings.Join(set, ", ")
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("load %s: %w", table, err)
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Provinces lists the provinces by code; public data.
func (s *Store) Provinces(ctx context.Context) ([]Province, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT code, name, region FROM provinces ORDER BY code")
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	defer rows.Close()
	var out []Province
	for rows.Next() {
		var p Province
		if err := rows.Scan(&p.Code, &p.Name, &p.Region); err != nil {
			return nil, fishpond.Internal(err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fishpond.Internal(err)
	}
	return out, nil
}

// CountyFilter selects counties for lists; counties are public data.
type CountyFilter struct {
	ProvinceCode string
	Poverty      *bool  // nil: all; true: the 832 list only; false: the others
	Query        string // part of the name, listed name or code
	Limit        int    // default 50, at most 500
	Cursor       string // from the previous page
}

const countyColumns = `c.code, c.name, c.prefecture_code, f.name, c.province_code, p.name, c.poverty, c.region,
	COALESCE(c.exit_year, 0), COALESCE(c.listed_name, ''),
	(SELECT COUNT(*) FROM households h WHERE h.county_code = c.code),
	(SELECT COUNT(*) FROM members m JOIN households h ON h.id = m.household_id WHERE h.county_code = c.code)
	FROM counties c JOIN prefectures f ON f.code = c.prefecture_code JOIN provinces p ON p.code = c.province_code`

func scanCounty(sc interface{ Scan(...any) error }) (County, error) {
	var c County
	var pov int
	err := sc.Scan(&c.Code, &c.Name, &c.PrefectureCode, &c.PrefectureName, &c.ProvinceCode, &c.ProvinceName, &pov, &c.Region,
		&c.ExitYear, &c.ListedName, &c.Households, &c.People)
	c.Poverty = pov != 0
	return c, err
}

// Counties lists counties by code, a page at a time.
func (s *Store) Counties(ctx context.Context, f CountyFilter) ([]County, string, error) {
	limit := clampLimit(f.Limit)
	where, args := []string{"1 = 1"}, []any{}
	if f.ProvinceCode != "" {
		where, args = append(where, "c.province_code = ?"), append(args, f.ProvinceCode)
	}
	if f.Poverty != nil {
		where, args = append(where, "c.poverty = ?"), append(args, boolInt(*f.Poverty))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := "%" + escapeLike(q) + "%"
		where = append(where, `(c.name LIKE ? ESCAPE '\' OR COALESCE(c.listed_name, '') LIKE ? ESCAPE '\' OR c.code LIKE ? ESCAPE '\')`)
		args = append(args, like, like, escapeLike(q)+"%")
	}
	if f.Cursor != "" {
		after, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		where, args = append(where, "c.code > ?"), append(args, after)
	}
	args = append(args, limit+1)
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+countyColumns+" WHERE "+strings.Join(where, " AND ")+" ORDER BY c.code LIMIT ?", args...)
	if err != nil {
		return nil, "", fishpond.Internal(err)
	}
	defer rows.Close()
	var out []County
	for rows.Next() {
		c, err := scanCounty(rows)
		if err != nil {
			return nil, "", fishpond.Internal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fishpond.Internal(err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(out[limit-1].Code)
	}
	return out, next, nil
}

// County returns one county with its household and people counts.
func (s *Store) County(ctx context.Context, code string) (County, error) {
	c, err := scanCounty(s.db.Read().QueryRowContext(ctx, "SELECT "+countyColumns+" WHERE c.code = ?", code))
	if err != nil {
		return County{}, db.NotFound(err, "县 %s 不存在 / county %s not found", code, code)
	}
	return c, nil
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	}
	return n
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// Cursors are opaque to clients: base64 of the last sort key, parts joined by NUL.
func encodeCursor(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "\x00")))
}

func decodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) > 512 {
		return "", fishpond.Invalid("分页游标无效 / invalid cursor", map[string]string{"cursor": "invalid"})
	}
	return string(b), nil
}

func decodeCursorParts(c string, n int) ([]string, error) {
	s, err := decodeCursor(c)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(s, "\x00")
	if len(parts) != n {
		return nil, fishpond.Invalid("分页游标无效 / invalid cursor", map[string]string{"cursor": "invalid"})
	}
	return parts, nil
}

// sortedKeys is a small helper for deterministic output of maps.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
