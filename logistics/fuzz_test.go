package logistics

import (
	"strings"
	"testing"
)

// FuzzParsePickupInput: whatever the console receives (typed, pasted or scanned),
// parsing never panics, a pickup QR text round-trips, and anything else is taken as
// a typed code with no tracking number.
func FuzzParsePickupInput(f *testing.F) {
	for _, s := range []string{"123456", " 654321 ", "FPPICKUP:FPABC1:123456", "FPPICKUP:", "FPPICKUP::", "fppickup:x:1", "FPPICKUP:a:b:c", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tn, code := ParsePickupInput(s)
		if !strings.HasPrefix(strings.TrimSpace(s), "FPPICKUP:") && tn != "" {
			t.Fatalf("%q gave a tracking number %q", s, tn)
		}
		if validCode(code) {
			tn2, code2 := ParsePickupInput(PickupQRText(tn, code))
			if code2 != code || (tn != "" && tn2 != NormalizeTrackingNo(tn)) {
				t.Fatalf("round trip of %q, %q gave %q, %q", tn, code, tn2, code2)
			}
		}
	})
}
