package registry

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
)

// RevealMember returns a member's plain identity and phone numbers to a principal
// whose role needs them, and writes one pii_audit row per value read, with the
// stated purpose. A member out of scope is not_found; in scope but without the right,
// forbidden.
func (s *Store) RevealMember(ctx context.Context, p fishpond.Principal, memberID, purpose string) (idNumber, phone string, err error) {
	purpose = strings.TrimSpace(purpose)
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		m, county, err := memberWithCounty(ctx, tx, memberID)
		if err != nil || !p.SeesRegistry() || !p.CanSeeHousehold(county, m.HouseholdID) {
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fishpond.Internal(err)
			}
			return notFound("成员不存在 / member not found")
		}
		if !p.CanRevealPII(county, m.HouseholdID) {
			return forbidden("无权查看完整身份证号和电话 / not allowed to see unmasked identity and phone numbers")
		}
		if purpose == "" || utf8.RuneCountInString(purpose) > 200 {
			return fishpond.Invalid("请说明查看用途 / state why you need the numbers", map[string]string{"purpose": "必填，最长200字 / required, at most 200 characters"})
		}
		if idNumber, err = s.keys.Open(m.idEnc); err != nil {
			return fishpond.Internal(err)
		}
		phone = ""
		if m.phoneEnc != "" {
			if phone, err = s.keys.Open(m.phoneEnc); err != nil {
				return fishpond.Internal(err)
			}
		}
		now := db.FormatTime(s.now())
		fields := []string{"id_number"}
		if phone != "" {
			fields = append(fields, "phone")
		}
		for _, f := range fields {
			if _, err := tx.ExecContext(ctx, "INSERT INTO pii_audit (id, at, user_id, subject_kind, subject_id, field, purpose) VALUES (?, ?, ?, ?, ?, ?, ?)",
				newID(), now, p.UserID, "member", m.ID, f, purpose); err != nil {
				return fishpond.Internal(err)
			}
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	return idNumber, phone, nil
}

func memberWithCounty(ctx context.Context, q db.Querier, memberID string) (storedMember, string, error) {
	m, err := scanMember(q.QueryRowContext(ctx, "SELECT "+memberColumns+" WHERE id = ?", memberID))
	if err != nil {
		return m, "", err
	}
	var county string
	err = q.QueryRowContext(ctx, "SELECT county_code FROM households WHERE id = ?", m.HouseholdID).Scan(&county)
	return m, county, err
}

// FindMemberByIDNumber finds the member holding an identity number through its keyed
// hash (the number itself is never stored), within the principal's scope. The result
// is masked.
func (s *Store) FindMemberByIDNumber(ctx context.Context, p fishpond.Principal, idNumber string) (Member, error) {
	idNumber = NormalizeIDNumber(idNumber)
	if _, msg := ParseIDNumber(idNumber); msg != "" {
		return Member{}, fishpond.Invalid(msg, map[string]string{"id_number": msg})
	}
	q := s.db.Read()
	var memberID string
	err := q.QueryRowContext(ctx, "SELECT id FROM members WHERE id_hash = ?", s.keys.Hash(hashKindID, idNumber)).Scan(&memberID)
	if err != nil {
		return Member{}, db.NotFound(err, "未找到该身份证号的成员 / no member with this identity number")
	}
	m, county, err := memberWithCounty(ctx, q, memberID)
	if err != nil || !p.SeesRegistry() || !p.CanSeeHousehold(county, m.HouseholdID) {
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return Member{}, fishpond.Internal(err)
		}
		return Member{}, notFound("未找到该身份证号的成员 / no member with this identity number")
	}
	return m.Member, nil
}
