package registry

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// Hash kinds of the secret package: identity and phone numbers never share an index.
const (
	hashKindID    = "id"
	hashKindPhone = "phone"
)

// saveMode tells save which household it may touch.
type saveMode int

const (
	modeCreate saveMode = iota // a new household; an existing number is a conflict
	modeUpdate                 // the household with the given id
	modeImport                 // create, or update the household with the same county and number
)

// saveOutcome counts what save did, for import reports.
type saveOutcome struct {
	id                               string
	created, updated                 bool
	membersCreated, membersUpdated   int
	membersUnchanged, membersRemoved int
}

const householdColumns = `h.id, h.county_code, h.village_id, v.name, v.town, h.number, h.head_name, h.registered_year,
	h.poverty_cause, h.food_clothing_secure, h.compulsory_education, h.medical_insurance, h.housing_safety, h.safe_water,
	h.status, COALESCE(h.status_year, 0), h.created_at, h.updated_at,
	(SELECT COUNT(*) FROM members m WHERE m.household_id = h.id)
	FROM households h JOIN villages v ON v.id = h.village_id`

func scanHousehold(sc interface{ Scan(...any) error }) (Household, error) {
	var h Household
	var cause, created, updated string
	var food, edu, med, water int
	err := sc.Scan(&h.ID, &h.CountyCode, &h.VillageID, &h.VillageName, &h.Town, &h.Number, &h.HeadName, &h.RegisteredYear,
		&cause, &food, &edu, &med, &h.Indicators.HousingSafety, &water, &h.Status, &h.StatusYear, &created, &updated, &h.Size)
	h.PovertyCause = Cause(cause)
	h.Indicators.FoodClothingSecure, h.Indicators.CompulsoryEducation = food != 0, edu != 0
	h.Indicators.MedicalInsurance, h.Indicators.SafeWater = med != 0, water != 0
	h.CreatedAt, h.UpdatedAt = db.MustTime(created), db.MustTime(updated)
	return h, err
}

// storedMember is a member row with its protected columns.
type storedMember struct {
	Member
	idEnc, idHash, phoneEnc, phoneHash string
}

const memberColumns = `id, household_id, name, relationship, sex, birth_date, id_mask, phone_mask, labour, health,
	schooling, in_school, disability, id_enc, id_hash, phone_enc, phone_hash FROM members`

func scanMember(sc interface{ Scan(...any) error }) (storedMember, error) {
	var m storedMember
	var inSchool int
	err := sc.Scan(&m.ID, &m.HouseholdID, &m.Name, &m.Relationship, &m.Sex, &m.BirthDate, &m.IDNumber, &m.Phone, &m.Labour,
		&m.Health, &m.Schooling, &inSchool, &m.Disability, &m.idEnc, &m.idHash, &m.phoneEnc, &m.phoneHash)
	m.InSchool = inSchool != 0
	return m, err
}

func loadMembers(ctx context.Context, q db.Querier, householdID string) ([]storedMember, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+memberColumns+" WHERE household_id = ? ORDER BY CASE WHEN relationship = '户主' THEN 0 ELSE 1 END, birth_date, id", householdID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storedMember
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func loadHousehold(ctx context.Context, q db.Querier, id string) (Household, error) {
	return scanHousehold(q.QueryRowContext(ctx, "SELECT "+householdColumns+" WHERE h.id = ?", id))
}

// CreateHousehold registers a new household with its members; its status starts as
// "poor" until assessment says otherwise.
func (s *Store) CreateHousehold(ctx context.Context, p fishpond.Principal, in HouseholdInput) (Household, error) {
	var id string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		out, err := s.save(ctx, tx, p, s.now(), modeCreate, "", in, "create")
		id = out.id
		return err
	})
	if err != nil {
		return Household{}, err
	}
	return s.Household(ctx, p, id)
}

// UpdateHousehold replaces a household's fields and member list with in (members
// matched by ID or identity number; members left out are removed) and records the
// differences in the history.
func (s *Store) UpdateHousehold(ctx context.Context, p fishpond.Principal, id string, in HouseholdInput) (Household, error) {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := s.save(ctx, tx, p, s.now(), modeUpdate, id, in, "update")
		return err
	})
	if err != nil {
		return Household{}, err
	}
	return s.Household(ctx, p, id)
}

// save is the one path by which households change: create, edit and import share its
// validation, permission checks, encryption and history.
func (s *Store) save(ctx context.Context, tx *db.Tx, p fishpond.Principal, now time.Time, mode saveMode, id string, in HouseholdInput, action string) (saveOutcome, error) {
	var out saveOutcome
	in.normalize()
	var existing *Household
	if mode == modeUpdate {
		h, err := scanHousehold(tx.QueryRowContext(ctx, "SELECT "+householdColumns+" WHERE h.id = ?"+tx.ForUpdate(), id))
		if err != nil || !p.CanSeeHousehold(h.CountyCode, h.ID) {
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return out, fishpond.Internal(err)
			}
			return out, notFound("户不存在 / household not found")
		}
		if in.CountyCode == "" {
			in.CountyCode = h.CountyCode
		}
		if in.CountyCode != h.CountyCode {
			return out, fishpond.Invalid("不能更改户所属县 / a household cannot move to another county", map[string]string{"county_code": "不能更改 / cannot change"})
		}
		existing = &h
	}
	if !p.CanEditRegistry(in.CountyCode) {
		if existing != nil {
			return out, forbidden("无权修改此县的户 / not allowed to edit households of this county")
		}
		return out, forbidden("无权登记此县的户 / not allowed to register households in county %s", in.CountyCode)
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM counties WHERE code = ?", in.CountyCode).Scan(&n); err != nil {
		return out, fishpond.Internal(err)
	}
	if n == 0 {
		return out, fishpond.Invalid("县不存在 / county not found", map[string]string{"county_code": "县不存在 / county not found"})
	}
	if existing == nil || in.Number != existing.Number {
		h, err := scanHousehold(tx.QueryRowContext(ctx, "SELECT "+householdColumns+" WHERE h.county_code = ? AND h.number = ?"+tx.ForUpdate(), in.CountyCode, in.Number))
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return out, fishpond.Internal(err)
		case mode == modeImport:
			existing = &h
		default:
			return out, &fishpond.Error{Code: fishpond.EConflict, Message: "户编号已存在 / household number already exists in this county",
				Fields: map[string]string{"number": "户编号已存在 / already exists"}}
		}
	}
	var old []storedMember
	if existing != nil {
		var err error
		if old, err = loadMembers(ctx, tx, existing.ID); err != nil {
			return out, fishpond.Internal(err)
		}
	}
	oldByID := map[string]*storedMember{}
	for i := range old {
		oldByID[old[i].ID] = &old[i]
	}
	fields := map[string]string{}
	for i := range in.Members {
		m := &in.Members[i]
		if m.ID == "" {
			continue
		}
		o := oldByID[m.ID]
		if o == nil {
			fields[memberField(i, "id")] = "成员不属于此户 / member is not in this household"
			continue
		}
		if m.IDNumber == "" || m.IDNumber == o.IDNumber {
			plain, err := s.keys.Open(o.idEnc)
			if err != nil {
				return out, fishpond.Internal(err)
			}
			m.IDNumber = plain
		}
		if m.Phone != "" && m.Phone == o.Phone && o.phoneEnc != "" {
			plain, err := s.keys.Open(o.phoneEnc)
			if err != nil {
				return out, fishpond.Internal(err)
			}
			m.Phone = plain
		}
	}
	for k, v := range in.validate(now.In(fishpond.ChinaTime)) {
		fields[k] = v
	}
	if len(fields) > 0 {
		return out, fishpond.Invalid("户信息有误 / the household has invalid fields", fields)
	}
	// An identity number belongs to one person in one household: never move silently.
	hashes := make([]string, len(in.Members))
	args := make([]any, len(in.Members))
	for i, m := range in.Members {
		hashes[i] = s.keys.Hash(hashKindID, m.IDNumber)
		args[i] = hashes[i]
	}
	rows, err := tx.QueryContext(ctx, "SELECT id_hash, household_id FROM members WHERE id_hash IN ("+db.Placeholders(len(args))+")", args...)
	if err != nil {
		return out, fishpond.Internal(err)
	}
	owner := map[string]string{}
	for rows.Next() {
		var h, hh string
		if err := rows.Scan(&h, &hh); err != nil {
			rows.Close()
			return out, fishpond.Internal(err)
		}
		owner[h] = hh
	}
	rows.Close()
	for i, h := range hashes {
		if hh, ok := owner[h]; ok && (existing == nil || hh != existing.ID) {
			fields[memberField(i, "id_number")] = "身份证号已登记在其他户 / identity number already belongs to a member of another household"
		}
	}
	if len(fields) > 0 {
		return out, fishpond.Invalid("身份证号重复登记 / identity number registered twice", fields)
	}
	village, err := s.resolveVillage(ctx, tx, now, in)
	if err != nil {
		return out, err
	}
	head := ""
	for _, m := range in.Members {
		if m.Relationship == RelationshipHead {
			head = m.Name
		}
	}
	var changes []FieldChange
	nowText := db.FormatTime(now)
	ind := in.Indicators
	if existing == nil {
		out.id, out.created = newID(), true
		_, err := tx.ExecContext(ctx, `INSERT INTO households (id, county_code, village_id, number, head_name, registered_year,
			poverty_cause, food_clothing_secure, compulsory_education, medical_insurance, housing_safety, safe_water,
			status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'poor', ?, ?)`,
			out.id, in.CountyCode, village.ID, in.Number, head, in.RegisteredYear, string(in.PovertyCause),
			boolInt(ind.FoodClothingSecure), boolInt(ind.CompulsoryEducation), boolInt(ind.MedicalInsurance), ind.HousingSafety,
			boolInt(ind.SafeWater), nowText, nowText)
		if err != nil {
			return out, conflictOrInternal(err)
		}
	} else {
		out.id = existing.ID
		e := existing
		diff := func(field, o, n string) {
			if o != n {
				changes = append(changes, FieldChange{Field: field, Old: o, New: n})
			}
		}
		diff("number", e.Number, in.Number)
		diff("village", e.Town+"/"+e.VillageName, village.Town+"/"+village.Name)
		diff("head_name", e.HeadName, head)
		diff("registered_year", itoa(e.RegisteredYear), itoa(in.RegisteredYear))
		diff("poverty_cause", string(e.PovertyCause), string(in.PovertyCause))
		diff("food_clothing_secure", yesNo(e.Indicators.FoodClothingSecure), yesNo(ind.FoodClothingSecure))
		diff("compulsory_education", yesNo(e.Indicators.CompulsoryEducation), yesNo(ind.CompulsoryEducation))
		diff("medical_insurance", yesNo(e.Indicators.MedicalInsurance), yesNo(ind.MedicalInsurance))
		diff("housing_safety", e.Indicators.HousingSafety, ind.HousingSafety)
		diff("safe_water", yesNo(e.Indicators.SafeWater), yesNo(ind.SafeWater))
	}
	// Members: match by id, else by identity number; insert new, update changed, remove missing.
	oldByHash := map[string]*storedMember{}
	for i := range old {
		oldByHash[old[i].idHash] = &old[i]
	}
	kept := map[string]bool{}
	for i, m := range in.Members {
		o := oldByID[m.ID]
		if o == nil {
			o = oldByHash[hashes[i]]
		}
		if o != nil && kept[o.ID] {
			o = nil
		}
		phoneHash := ""
		if m.Phone != "" {
			phoneHash = s.keys.Hash(hashKindPhone, m.Phone)
		}
		if o == nil {
			if err := s.insertMember(ctx, tx, out.id, nowText, m, hashes[i], phoneHash); err != nil {
				return out, err
			}
			out.membersCreated++
			if existing != nil {
				changes = append(changes, FieldChange{Member: m.Name, Field: "member", New: "added " + MaskIDNumber(m.IDNumber)})
			}
			continue
		}
		kept[o.ID] = true
		mc := memberDiff(o, m, hashes[i], phoneHash)
		if len(mc) == 0 {
			out.membersUnchanged++
			continue
		}
		if err := s.updateMember(ctx, tx, o, nowText, m, hashes[i], phoneHash); err != nil {
			return out, err
		}
		out.membersUpdated++
		changes = append(changes, mc...)
	}
	for _, o := range old {
		if kept[o.ID] {
			continue
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM members WHERE id = ?", o.ID); err != nil {
			return out, fishpond.Internal(err)
		}
		out.membersRemoved++
		changes = append(changes, FieldChange{Member: o.Name, Field: "member", Old: "removed " + o.IDNumber})
	}
	if existing != nil && len(changes) > 0 {
		out.updated = true
		_, err := tx.ExecContext(ctx, `UPDATE households SET number = ?, village_id = ?, head_name = ?, registered_year = ?,
			poverty_cause = ?, food_clothing_secure = ?, compulsory_education = ?, medical_insurance = ?, housing_safety = ?,
			safe_water = ?, updated_at = ? WHERE id = ?`,
			in.Number, village.ID, head, in.RegisteredYear, string(in.PovertyCause), boolInt(ind.FoodClothingSecure),
			boolInt(ind.CompulsoryEducation), boolInt(ind.MedicalInsurance), ind.HousingSafety, boolInt(ind.SafeWater), nowText, out.id)
		if err != nil {
			return out, conflictOrInternal(err)
		}
	}
	if out.created {
		changes = []FieldChange{{Field: "household", New: in.Number}}
		for _, m := range in.Members {
			changes = append(changes, FieldChange{Member: m.Name, Field: "member", New: "added " + MaskIDNumber(m.IDNumber)})
		}
	}
	if out.created || out.updated {
		if action == "import" {
			action = "import.update"
			if out.created {
				action = "import.create"
			}
		}
		if err := writeHistory(ctx, tx, out.id, now, p, action, changes); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (s *Store) insertMember(ctx context.Context, tx *db.Tx, householdID, now string, m MemberInput, idHash, phoneHash string) error {
	idEnc, err := s.keys.Seal(m.IDNumber)
	if err != nil {
		return fishpond.Internal(err)
	}
	phoneEnc := ""
	if m.Phone != "" {
		if phoneEnc, err = s.keys.Seal(m.Phone); err != nil {
			return fishpond.Internal(err)
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO members (id, household_id, name, relationship, sex, birth_date, id_enc, id_hash,
		id_mask, phone_enc, phone_hash, phone_mask, labour, health, schooling, in_school, disability, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		newID(), householdID, m.Name, m.Relationship, m.Sex, m.BirthDate, idEnc, idHash, MaskIDNumber(m.IDNumber),
		phoneEnc, phoneHash, MaskPhone(m.Phone), m.Labour, m.Health, m.Schooling, boolInt(m.InSchool), m.Disability, now, now)
	return conflictOrInternal(err)
}

func (s *Store) updateMember(ctx context.Context, tx *db.Tx, o *storedMember, now string, m MemberInput, idHash, phoneHash string) error {
	idEnc, phoneEnc := o.idEnc, o.phoneEnc
	var err error
	if idHash != o.idHash {
		if idEnc, err = s.keys.Seal(m.IDNumber); err != nil {
			return fishpond.Internal(err)
		}
	}
	if phoneHash != o.phoneHash {
		phoneEnc = ""
		if m.Phone != "" {
			if phoneEnc, err = s.keys.Seal(m.Phone); err != nil {
				return fishpond.Internal(err)
			}
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE members SET name = ?, relationship = ?, sex = ?, birth_date = ?, id_enc = ?, id_hash = ?,
		id_mask = ?, phone_enc = ?, phone_hash = ?, phone_mask = ?, labour = ?, health = ?, schooling = ?, in_school = ?,
		disability = ?, updated_at = ? WHERE id = ?`,
		m.Name, m.Relationship, m.Sex, m.BirthDate, idEnc, idHash, MaskIDNumber(m.IDNumber), phoneEnc, phoneHash,
		MaskPhone(m.Phone), m.Labour, m.Health, m.Schooling, boolInt(m.InSchool), m.Disability, now, o.ID)
	return conflictOrInternal(err)
}

// memberDiff lists changed member fields; personal numbers appear masked only.
func memberDiff(o *storedMember, m MemberInput, idHash, phoneHash string) []FieldChange {
	var out []FieldChange
	d := func(field, a, b string) {
		if a != b {
			out = append(out, FieldChange{Member: m.Name, Field: field, Old: a, New: b})
		}
	}
	d("name", o.Name, m.Name)
	d("relationship", o.Relationship, m.Relationship)
	d("sex", o.Sex, m.Sex)
	d("birth_date", o.BirthDate, m.BirthDate)
	if o.idHash != idHash {
		out = append(out, FieldChange{Member: m.Name, Field: "id_number", Old: o.IDNumber, New: MaskIDNumber(m.IDNumber)})
	}
	if o.phoneHash != phoneHash {
		out = append(out, FieldChange{Member: m.Name, Field: "phone", Old: o.Phone, New: MaskPhone(m.Phone)})
	}
	d("labour", o.Labour, m.Labour)
	d("health", o.Health, m.Health)
	d("schooling", o.Schooling, m.Schooling)
	d("in_school", yesNo(o.InSchool), yesNo(m.InSchool))
	d("disability", o.Disability, m.Disability)
	return out
}

func conflictOrInternal(err error) error {
	if err == nil {
		return nil
	}
	if db.IsUniqueViolation(err) {
		return &fishpond.Error{Code: fishpond.EConflict, Message: "记录已被并发修改或重复 / the record changed concurrently or is a duplicate", Err: err}
	}
	return fishpond.Internal(err)
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// Household returns one household with its members (personal numbers masked). A
// household outside the principal's scope is not_found, never forbidden, so that
// nobody learns which households exist elsewhere.
func (s *Store) Household(ctx context.Context, p fishpond.Principal, id string) (Household, error) {
	q := s.db.Read()
	h, err := loadHousehold(ctx, q, id)
	if err != nil || !p.SeesRegistry() || !p.CanSeeHousehold(h.CountyCode, h.ID) {
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return Household{}, fishpond.Internal(err)
		}
		return Household{}, notFound("户不存在 / household not found")
	}
	ms, err := loadMembers(ctx, q, id)
	if err != nil {
		return Household{}, fishpond.Internal(err)
	}
	for _, m := range ms {
		h.Members = append(h.Members, m.Member)
	}
	return h, nil
}

// HouseholdFilter selects households for lists; the principal's scope always applies
// on top of it.
type HouseholdFilter struct {
	CountyCode string
	VillageID  string
	Status     string
	Cause      string // code or Chinese label
	Query      string // start of the household number, or part of the head's name
	Limit      int    // default 50, at most 500
	Cursor     string
}

// Households lists the households the principal may see, ordered by county and
// number, a page at a time. Principals without registry access get an empty list.
func (s *Store) Households(ctx context.Context, p fishpond.Principal, f HouseholdFilter) ([]Household, string, error) {
	limit := clampLimit(f.Limit)
	where, args := []string{"1 = 1"}, []any{}
	switch {
	case !p.SeesRegistry():
		return nil, "", nil
	case p.Role == fishpond.RoleHousehold:
		if p.HouseholdID == "" {
			return nil, "", nil
		}
		where, args = append(where, "h.id = ?"), append(args, p.HouseholdID)
	case !p.SeesAllCounties():
		if len(p.Counties) == 0 || !p.Role.CountyScoped() {
			return nil, "", nil
		}
		where = append(where, "h.county_code IN ("+db.Placeholders(len(p.Counties))+")")
		for _, c := range p.Counties {
			args = append(args, c)
		}
	}
	if f.CountyCode != "" {
		where, args = append(where, "h.county_code = ?"), append(args, f.CountyCode)
	}
	if f.VillageID != "" {
		where, args = append(where, "h.village_id = ?"), append(args, f.VillageID)
	}
	if f.Status != "" {
		where, args = append(where, "h.status = ?"), append(args, f.Status)
	}
	if f.Cause != "" {
		c, ok := ParseCause(f.Cause)
		if !ok {
			return nil, "", fishpond.Invalid("致贫原因无效 / unknown poverty cause", map[string]string{"cause": "unknown"})
		}
		where, args = append(where, "h.poverty_cause = ?"), append(args, string(c))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		where = append(where, `(h.number LIKE ? ESCAPE '\' OR h.head_name LIKE ? ESCAPE '\')`)
		args = append(args, escapeLike(q)+"%", "%"+escapeLike(q)+"%")
	}
	if f.Cursor != "" {
		parts, err := decodeCursorParts(f.Cursor, 2)
		if err != nil {
			return nil, "", err
		}
		where = append(where, "(h.county_code > ? OR (h.county_code = ? AND h.number > ?))")
		args = append(args, parts[0], parts[0], parts[1])
	}
	args = append(args, limit+1)
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+householdColumns+" WHERE "+strings.Join(where, " AND ")+
		" ORDER BY h.county_code, h.number LIMIT ?", args...)
	if err != nil {
		return nil, "", fishpond.Internal(err)
	}
	defer rows.Close()
	var out []Household
	for rows.Next() {
		h, err := scanHousehold(rows)
		if err != nil {
			return nil, "", fishpond.Internal(err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fishpond.Internal(err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeCursor(last.CountyCode, last.Number)
	}
	return out, next, nil
}
