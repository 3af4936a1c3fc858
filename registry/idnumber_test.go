package registry

import (
	"strings"
	"testing"
	"time"
)

func TestParseIDNumber(t *testing.T) {
	good := mkID("110101", "1990-03-07", 66, true)
	info, msg := ParseIDNumber(good)
	if msg != "" || info.BirthDate != "1990-03-07" || info.Sex != "M" || info.AddressCode != "110101" {
		t.Fatalf("ParseIDNumber(valid) = %+v, %q", info, msg)
	}
	if _, msg := ParseIDNumber("11010519491231002X"); msg != "" { // the standard's own example
		t.Errorf("GB 11643 example rejected: %s", msg)
	}
	bad := map[string]string{
		"short":         "1101011990",
		"letters":       "11010119900307A63X",
		"last char":     good[:17] + "Y",
		"address":       "00" + good[2:],
		"date":          "110101199002306631",
		"checksum":      good[:17] + map[bool]string{true: "1", false: "0"}[good[17] == '0'],
		"lowercase x":   "11010519491231002x",
		"future digits": "110101" + "29991231" + "0011",
	}
	for name, s := range bad {
		if _, msg := ParseIDNumber(s); msg == "" {
			t.Errorf("%s: %q accepted", name, s)
		}
	}
	if NormalizeIDNumber(" 11010519491231002x ") != "11010519491231002X" {
		t.Error("normalize")
	}
	if got := MaskIDNumber("11010519491231002X"); got != "110***********002X" {
		t.Errorf("mask = %q", got)
	}
	if got := MaskPhone("13812345678"); got != "138****5678" {
		t.Errorf("mask phone = %q", got)
	}
	for _, p := range []string{"13812345678", "19912345678"} {
		if !ValidPhone(p) {
			t.Errorf("%s rejected", p)
		}
	}
	for _, p := range []string{"12812345678", "1381234567", "138123456789", "0312123456a"} {
		if ValidPhone(p) {
			t.Errorf("%s accepted", p)
		}
	}
	if NormalizePhone("+86 138-1234-5678") != "13812345678" {
		t.Error("normalize phone")
	}
}

func TestCauses(t *testing.T) {
	if len(Causes) != 12 {
		t.Fatalf("%d causes", len(Causes))
	}
	for _, c := range Causes {
		if got, ok := ParseCause(c.Chinese()); !ok || got != c {
			t.Errorf("ParseCause(%s) = %s", c.Chinese(), got)
		}
		if got, ok := ParseCause(string(c)); !ok || got != c {
			t.Errorf("ParseCause(%s) = %s", c, got)
		}
	}
	if _, ok := ParseCause("运气不好"); ok {
		t.Error("unknown cause accepted")
	}
}

func TestSynthesize(t *testing.T) {
	c := County{Code: "622926"}
	a := Synthesize(42, c, []string{"锁南镇/红星村", "达板镇/新庄村"}, 400)
	b := Synthesize(42, c, []string{"锁南镇/红星村", "达板镇/新庄村"}, 400)
	today := time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)
	causes := map[Cause]int{}
	sizes := map[int]int{}
	ids := map[string]bool{}
	for i := range a {
		if a[i].Number != b[i].Number || a[i].Members[0].IDNumber != b[i].Members[0].IDNumber {
			t.Fatal("not deterministic")
		}
		in := a[i]
		in.normalize()
		if errs := in.validate(today); len(errs) > 0 {
			t.Fatalf("household %d invalid: %v", i, errs)
		}
		causes[in.PovertyCause]++
		sizes[len(in.Members)]++
		for _, m := range in.Members {
			if m.IDNumber[:6] != c.Code || ids[m.IDNumber] {
				t.Fatalf("identity number %s: wrong county or repeated", MaskIDNumber(m.IDNumber))
			}
			ids[m.IDNumber] = true
		}
	}
	if share := causes[CauseIllness] * 100 / len(a); share < 30 || share > 50 {
		t.Errorf("illness share %d%%, want about 40%%", share)
	}
	if sizes[1] != 0 || sizes[7] != 0 || sizes[4] < 60 {
		t.Errorf("sizes %v", sizes)
	}
	if Synthesize(43, c, nil, 5)[0].Members[0].IDNumber == a[0].Members[0].IDNumber {
		t.Error("seed ignored")
	}
}

func FuzzIDNumber(f *testing.F) {
	f.Add("11010519491231002X")
	f.Add(mkID("130624", "1970-03-12", 10, true))
	f.Add("1.30624E+17")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		info, msg := ParseIDNumber(s)
		if msg == "" {
			if len(s) != 18 || IDCheckChar(s) != s[17] || (info.Sex != "M" && info.Sex != "F") {
				t.Fatalf("accepted invalid %q", s)
			}
			if _, err := time.Parse("2006-01-02", info.BirthDate); err != nil {
				t.Fatalf("bad birth date %q", info.BirthDate)
			}
		} else if info != (IDInfo{}) {
			t.Fatal("info returned with an error")
		}
		m := MaskIDNumber(s)
		if len(m) != len(s) || (len(s) >= 8 && strings.Trim(m[3:len(m)-4], "*") != "") {
			t.Fatalf("mask %q does not hide the middle of %q", m, s)
		}
	})
}

func FuzzImportCSV(f *testing.F) {
	for _, name := range []string{"good.csv", "bad_rows.csv", "gbk.csv", "broken.csv"} {
		b, err := readTestdataF(name)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("户编号;村\n1;2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := readTable("fuzz.csv", data)
		if err != nil {
			return
		}
		var rep ImportReport
		groups, err := parseTable(tb, &rep, time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			return
		}
		for _, e := range rep.Errors {
			if e.Row < 1 || e.Reason == "" {
				t.Fatalf("row error without row or reason: %+v", e)
			}
		}
		for _, g := range groups {
			if len(g.rows) == 0 {
				t.Fatal("empty group")
			}
		}
	})
}
