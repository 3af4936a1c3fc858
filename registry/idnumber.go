package registry

import (
	"strings"
	"time"
)

// IDInfo is what an 18-digit resident identity number (GB 11643) says about its
// holder; the registry checks it against the member's other fields.
type IDInfo struct {
	AddressCode string // first 6 digits: county of first registration
	BirthDate   string // YYYY-MM-DD
	Sex         string // "M" (odd 17th digit) or "F"
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// IDCheckChar computes the ISO 7064 MOD 11-2 check character for the first 17
// digits, so that synthetic data and tests can build valid numbers.
func IDCheckChar(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// ParseIDNumber validates an identity number and reports what it encodes. The
// returned message is bilingual and names the one thing that is wrong, for officers
// fixing a spreadsheet; it never repeats the number.
func ParseIDNumber(s string) (IDInfo, string) {
	if len(s) != 18 {
		return IDInfo{}, "身份证号应为18位 / identity number must have 18 characters"
	}
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return IDInfo{}, "身份证号前17位应为数字 / the first 17 characters must be digits"
		}
	}
	if c := s[17]; (c < '0' || c > '9') && c != 'X' {
		return IDInfo{}, "身份证号最后一位应为数字或X / the last character must be a digit or X"
	}
	if s[:2] < "11" || s[:2] > "82" || s[2:6] == "0000" {
		return IDInfo{}, "身份证号地址码不合理 / the address code (first 6 digits) is not a plausible region"
	}
	birth, err := time.Parse("20060102", s[6:14])
	if err != nil || birth.Year() < 1900 {
		return IDInfo{}, "身份证号中的出生日期无效 / the birth date inside the identity number is not a real date"
	}
	if IDCheckChar(s) != s[17] {
		return IDInfo{}, "身份证号校验位错误 / identity number checksum is wrong"
	}
	sex := "F"
	if (s[16]-'0')%2 == 1 {
		sex = "M"
	}
	return IDInfo{AddressCode: s[:6], BirthDate: birth.Format("2006-01-02"), Sex: sex}, ""
}

// NormalizeIDNumber trims spaces and upper-cases a trailing x, the usual ways a typed
// or pasted number differs from the canonical form.
func NormalizeIDNumber(s string) string {
	return strings.ToUpper(strings.TrimSpace(s))
}

// ValidPhone reports whether s is an 11-digit mainland mobile number (1[3-9]…), the
// only kind the registry stores, because SMS is how households are reached.
func ValidPhone(s string) bool {
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' {
		return false
	}
	for i := 0; i < 11; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NormalizePhone drops spaces, dashes and a +86 / 86 prefix.
func NormalizePhone(s string) string {
	s = strings.NewReplacer(" ", "", "-", "", "\u00a0", "").Replace(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "+86")
	if len(s) == 13 && strings.HasPrefix(s, "86") {
		s = s[2:]
	}
	return s
}

// MaskIDNumber shows the first 3 and last 4 characters ("110***********123X"): enough
// for an officer to tell members apart on the phone, not enough to reuse the number.
func MaskIDNumber(s string) string {
	if len(s) < 8 {
		return strings.Repeat("*", len(s))
	}
	return s[:3] + strings.Repeat("*", len(s)-7) + s[len(s)-4:]
}

// MaskPhone shows the first 3 and last 4 digits ("138****5678"), the form Chinese
// services customarily show.
func MaskPhone(s string) string {
	if s == "" {
		return ""
	}
	if len(s) < 8 {
		return strings.Repeat("*", len(s))
	}
	return s[:3] + strings.Repeat("*", len(s)-7) + s[len(s)-4:]
}
