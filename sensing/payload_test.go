package sensing

import (
	"strings"
	"testing"
)

func TestParsePayloadForms(t *testing.T) {
	rs, err := ParsePayload([]byte(`{"device":"d1","t0":1777622400,"metrics":["soil_moisture","soil_temp"],"rows":[[0,23.5,18.2],[60.5,23.4,null]]}`))
	if err != nil || len(rs) != 3 || rs[2].AtMs != 1777622460500 || rs[2].Value != 23.4 {
		t.Fatalf("batch: %v %+v", err, rs)
	}
	for _, bad := range []struct{ in, want string }{
		{`{"device":"d1","t0":1,"metrics":["a"],"rows":[[0]]}`, "want 2 values"},
		{`{"device":"d1","time":"yesterday","readings":{"a":1}}`, "RFC 3339"},
		{`{"time":"2026-01-01T00:00:00Z","readings":{"a":1}}`, "device is missing"},
		{`{"device":"d1"}`, "no readings"},
		{`[1,2]`, "malformed JSON"},
		{`"x"`, "JSON object or array"},
	} {
		if _, err := ParsePayload([]byte(bad.in)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want %q", bad.in, err, bad.want)
		}
	}
	enc := EncodeBatch("d1", []string{"a", "b"}, []int64{1000500, 1002000}, [][]float64{{1.25, 2}, {3, 4}})
	rs, err = ParsePayload(enc)
	if err != nil || len(rs) != 4 || rs[0].AtMs != 1000500 || rs[3].AtMs != 1002000 || rs[0].Value != 1.25 {
		t.Fatalf("round trip of %s: %v %+v", enc, err, rs)
	}
}

// FuzzParsePayload: no input makes the parser panic, and whatever it accepts
// names a device for every reading.
func FuzzParsePayload(f *testing.F) {
	f.Add([]byte(`{"device":"d1","time":"2026-05-01T08:00:00Z","readings":{"soil_moisture":23.5}}`))
	f.Add([]byte(`[{"device":"d1","t0":1777622400,"metrics":["a","b"],"rows":[[0,1,null],[60,2,3]]}]`))
	f.Add([]byte(`{"device":"d1","t0":-1,"metrics":[],"rows":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := ParsePayload(b)
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.Device == "" {
				t.Fatalf("reading without a device from %q", b)
			}
		}
	})
}
