package market

import "testing"

// FuzzParseMobile: any accepted number is 11 digits starting 1[3-9], and parsing
// it again gives the same number.
func FuzzParseMobile(f *testing.F) {
	for _, s := range []string{"13800138000", "+86 138-0013-8000", "8613800138000", "12345", "１３８", "138 0013 800a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseMobile(s)
		if !ok {
			return
		}
		if len(d) != 11 || d[0] != '1' || d[1] < '3' {
			t.Fatalf("%q accepted as %q", s, d)
		}
		for _, c := range d {
			if c < '0' || c > '9' {
				t.Fatalf("%q accepted as %q", s, d)
			}
		}
		if again, ok := ParseMobile(d); !ok || again != d {
			t.Fatalf("not idempotent: %q → %q → %q", s, d, again)
		}
		if m := MaskMobile(d); len(m) != 11 || m[3:7] != "****" {
			t.Fatalf("mask %q", m)
		}
	})
}
