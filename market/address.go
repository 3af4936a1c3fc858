package market

import (
	"context"
	"strings"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
)

// Address is a buyer's delivery address. Phone is the full number only for its
// owner; everyone else gets the mask (138****5678), as with registry phones.
type Address struct {
	ID           string
	BuyerID      string
	Name         string
	Phone        string
	ProvinceCode string
	CountyCode   string
	Detail       string
}

// AddressInput is what a buyer enters.
type AddressInput struct {
	Name         string
	Phone        string
	ProvinceCode string
	CountyCode   string
	Detail       string
}

// ParseMobile normalises a mainland mobile number ("+86 138-0013-8000") to its 11
// digits and rejects anything else, so couriers never get an unusable number.
func ParseMobile(s string) (string, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "+86")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-':
		default:
			return "", false
		}
	}
	d := b.String()
	if len(d) == 13 && strings.HasPrefix(d, "86") {
		d = d[2:]
	}
	if len(d) != 11 || d[0] != '1' || d[1] < '3' {
		return "", false
	}
	return d, true
}

// MaskMobile hides the middle four digits, the form shown to anyone but the owner.
func MaskMobile(d string) string {
	if len(d) != 11 {
		return "***"
	}
	return d[:3] + "****" + d[7:]
}

// validate checks the fields that need no database and normalises the phone.
func (in *AddressInput) validate() map[string]string {
	in.Name, in.Detail = strings.TrimSpace(in.Name), strings.TrimSpace(in.Detail)
	f := map[string]string{}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 30 {
		f["name"] = "收件人必填，最多30字 recipient required, at most 30 characters"
	}
	if d, ok := ParseMobile(in.Phone); ok {
		in.Phone = d
	} else {
		f["phone"] = "须为11位手机号 must be an 11-digit mobile number"
	}
	if n := utf8.RuneCountInString(in.Detail); n < 4 || n > 120 {
		f["detail"] = "详细地址4到120字 street address of 4–120 characters"
	}
	if in.ProvinceCode == "" {
		f["province_code"] = "必填 required"
	}
	if in.CountyCode == "" {
		f["county_code"] = "必填 required"
	}
	return f
}

// AddAddress saves a delivery address of the calling buyer, its phone sealed at
// rest.
func (s *Store) AddAddress(ctx context.Context, p fishpond.Principal, in AddressInput) (Address, error) {
	if p.UserID == "" {
		return Address{}, fishpond.Errorf(fishpond.EUnauthorized, "请先登录 sign in first")
	}
	f := in.validate()
	a := Address{ID: newID(), BuyerID: p.UserID, Name: in.Name, Phone: in.Phone, ProvinceCode: in.ProvinceCode, CountyCode: in.CountyCode, Detail: in.Detail}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if in.CountyCode != "" {
			var prov string
			err := tx.QueryRowContext(ctx, "SELECT province_code FROM counties WHERE code = ?", in.CountyCode).Scan(&prov)
			switch {
			case err == nil && prov != in.ProvinceCode && f["province_code"] == "":
				f["county_code"] = "该县不属于所选省份 the county is not in the province"
			case err != nil && fishpond.Code(db.NotFound(err, "")) == fishpond.ENotFound:
				f["county_code"] = "没有该县 no such county"
			case err != nil:
				return internal(err)
			}
		}
		if len(f) > 0 {
			return fishpond.Invalid("收货地址有误 invalid address", f)
		}
		enc, err := s.keys.Seal(a.Phone)
		if err != nil {
			return fishpond.Internal(err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO market_addresses (id, buyer_id, name, phone_enc, phone_mask, province_code, county_code, detail, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.BuyerID, a.Name, enc, MaskMobile(a.Phone), a.ProvinceCode, a.CountyCode, a.Detail, db.FormatTime(s.now()))
		return internal(err)
	})
	if err != nil {
		return Address{}, err
	}
	return a, nil
}

// Addresses lists the calling buyer's addresses with full phone numbers: they are
// the buyer's own.
func (s *Store) Addresses(ctx context.Context, p fishpond.Principal) ([]Address, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, buyer_id, name, phone_enc, province_code, county_code, detail
		FROM market_addresses WHERE buyer_id = ? ORDER BY id`, p.UserID)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Address
	for rows.Next() {
		var a Address
		var enc string
		if err := rows.Scan(&a.ID, &a.BuyerID, &a.Name, &enc, &a.ProvinceCode, &a.CountyCode, &a.Detail); err != nil {
			return nil, internal(err)
		}
		if a.Phone, err = s.keys.Open(enc); err != nil {
			return nil, fishpond.Internal(err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
