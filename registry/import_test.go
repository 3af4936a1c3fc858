package registry

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustImport(t *testing.T, s *Store, p fishpond.Principal, name string, data []byte) ImportReport {
	t.Helper()
	rep, err := s.Import(ctx, p, countyA, name, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
	return rep
}

// csvToXLSX turns a test CSV into a workbook, as an officer saving from Excel would.
func csvToXLSX(t *testing.T, data []byte) []byte {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	b, err := buildXLSX(recs[0], recs[1:])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func countRows(t *testing.T, d *db.DB, table string) int {
	t.Helper()
	var n int
	if err := d.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportGoodRepeatChanged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := mustStore(t, d)
		good := readTestdata(t, "good.csv")
		rep := mustImport(t, s, officerA, "good.csv", good)
		if rep.Format != "csv" || rep.Encoding != "utf-8" || rep.Rows != 8 || rep.HouseholdsCreated != 3 || rep.MembersCreated != 8 || len(rep.Errors) != 0 {
			t.Fatalf("first import: %+v", rep)
		}
		vs, _ := s.Villages(ctx, officerA, countyA)
		if len(vs) != 2 {
			t.Errorf("villages created on demand: %d, want 2", len(vs))
		}
		historyBefore := countRows(t, d, "household_history")

		rep = mustImport(t, s, officerA, "good.csv", good)
		if rep.HouseholdsUnchanged != 3 || rep.MembersUnchanged != 8 || rep.HouseholdsCreated+rep.HouseholdsUpdated+rep.MembersCreated+rep.MembersUpdated != 0 {
			t.Errorf("repeat import: %+v", rep)
		}
		if n := countRows(t, d, "household_history"); n != historyBefore {
			t.Errorf("repeat import wrote history: %d -> %d", historyBefore, n)
		}

		// The same households as a workbook are unchanged too.
		rep = mustImport(t, s, officerA, "good.xlsx", csvToXLSX(t, good))
		if rep.Format != "xlsx" || rep.HouseholdsUnchanged != 3 || rep.MembersUnchanged != 8 || len(rep.Errors) != 0 {
			t.Errorf("xlsx import: %+v", rep)
		}

		changed := strings.Replace(string(good), "13831200001", "13831200009", 1)
		changed = strings.ReplaceAll(changed, ",C,否", ",B,是")
		rep = mustImport(t, s, officerA, "good.csv", []byte(changed))
		if rep.HouseholdsUpdated != 2 || rep.HouseholdsUnchanged != 1 || rep.MembersUpdated != 1 || rep.MembersUnchanged != 7 {
			t.Errorf("changed import: %+v", rep)
		}
		list, _, _ := s.Households(ctx, officerA, HouseholdFilter{Query: "1306240002"})
		if len(list) != 1 || list[0].Indicators.HousingSafety != "B" || !list[0].Indicators.SafeWater {
			t.Fatalf("updated household %+v", list)
		}
		hist, err := s.History(ctx, officerA, list[0].ID)
		if err != nil || len(hist) != 2 || hist[0].Action != "import.create" || hist[1].Action != "import.update" {
			t.Errorf("history %+v, %v", hist, err)
		}
	})
}

func TestImportBadRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := mustStore(t, d)
		rep := mustImport(t, s, officerA, "bad_rows.csv", readTestdata(t, "bad_rows.csv"))
		if rep.HouseholdsCreated != 1 || rep.MembersCreated != 1 {
			t.Errorf("only household 1306240006 is valid: %+v", rep)
		}
		want := map[[2]any]string{
			{3, "身份证号"}:   "校验位",
			{4, "出生日期"}:   "不一致",
			{6, "联系电话"}:   "11位",
			{7, "住房安全等级"}: "A、B、C或D",
			{8, "与户主关系"}:  "一名户主",
			{10, "身份证号"}:  "科学计数法",
		}
		got := map[[2]any]string{}
		for _, e := range rep.Errors {
			got[[2]any{e.Row, e.Column}] = e.Reason
		}
		for k, frag := range want {
			if !strings.Contains(got[k], frag) {
				t.Errorf("row %v: reason %q, want it to mention %q; all errors: %+v", k, got[k], frag, rep.Errors)
			}
		}
		if len(rep.Errors) != len(want) {
			t.Errorf("got %d errors, want %d: %+v", len(rep.Errors), len(want), rep.Errors)
		}
		if countRows(t, d, "households") != 1 {
			t.Errorf("households = %d, want 1", countRows(t, d, "households"))
		}
	})
}

func TestImportConflictsAndBroken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := mustStore(t, d)
		broken := readTestdata(t, "broken.csv")
		cases := map[string][]byte{
			"broken.csv":  broken,
			"empty.csv":   []byte("\ufeff\n\n"),
			"header.csv":  []byte(strings.SplitN(string(readTestdata(t, "good.csv")), "\n", 2)[0] + "\n"),
			"binary.csv":  {0x00, 0x01, 0x02, 0xff},
			"garbage.csv": {0xff, 0xfe, 0x80, 0x81, 0xff, 0x30, 0x80, 0xfe, 0xff, 0x80},
			"bad.xlsx":    []byte("PK\x03\x04 not really a zip"),
			"old.xls":     []byte("whatever"),
			"photo.jpg":   []byte("whatever"),
		}
		for name, data := range cases {
			_, err := s.Import(ctx, officerA, countyA, name, bytes.NewReader(data))
			fe := wantCode(t, err, fishpond.EInvalid)
			if name == "broken.csv" && !strings.Contains(fe.Message, "身份证号") {
				t.Errorf("broken file message %q does not name the missing column", fe.Message)
			}
		}
		if n := countRows(t, d, "households") + countRows(t, d, "villages"); n != 0 {
			t.Errorf("broken files changed the database: %d rows", n)
		}
		_, err := s.Import(ctx, officerB, countyA, "good.csv", bytes.NewReader(readTestdata(t, "good.csv")))
		wantCode(t, err, fishpond.EForbidden)

		mustImport(t, s, officerA, "good.csv", readTestdata(t, "good.csv"))
		// The GBK file holds the same people under other household numbers: every row is refused.
		rep := mustImport(t, s, officerA, "gbk.csv", readTestdata(t, "gbk.csv"))
		if rep.Encoding != "gb18030" || rep.HouseholdsCreated != 0 || len(rep.Errors) != 8 {
			t.Fatalf("moving people between households: %+v", rep)
		}
		for _, e := range rep.Errors {
			if e.Column != "身份证号" || !strings.Contains(e.Reason, "其他户") {
				t.Errorf("error %+v", e)
			}
		}
	})
}

func TestImportGBKAndTemplates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := mustStore(t, d)
		rep := mustImport(t, s, officerA, "gbk.csv", readTestdata(t, "gbk.csv"))
		if rep.Encoding != "gb18030" || rep.HouseholdsCreated != 3 || rep.MembersCreated != 8 || len(rep.Errors) != 0 {
			t.Fatalf("GBK import: %+v", rep)
		}
		list, _, _ := s.Households(ctx, officerA, HouseholdFilter{Query: "唐宗秀"})
		if len(list) != 1 || list[0].VillageName != "骆驼湾村" || list[0].Town != "龙泉关镇" {
			t.Errorf("GBK text decoded wrongly: %+v", list)
		}
		for _, format := range []string{"csv", "xlsx"} {
			b, err := Template(format)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := s.Import(ctx, officerB, countyB, "template."+format, bytes.NewReader(b))
			if err != nil || rep.Rows != 1 || len(rep.Errors) != 0 || rep.HouseholdsCreated+rep.HouseholdsUnchanged != 1 {
				t.Errorf("template %s imports as %+v, %v", format, rep, err)
			}
		}
		if _, err := Template("pdf"); fishpond.Code(err) != fishpond.EInvalid {
			t.Errorf("Template(pdf): %v", err)
		}
	})
}

// TestNoPlainNumbersOnDisk proves identity and phone numbers are stored only
// encrypted: none appears in the SQLite file or its write-ahead log.
func TestNoPlainNumbersOnDisk(t *testing.T) {
	d := dbtest.SQLite(t)
	s := mustStore(t, d)
	good := readTestdata(t, "good.csv")
	mustImport(t, s, officerA, "good.csv", good)
	h, _, _ := s.Households(ctx, officerA, HouseholdFilter{Limit: 1})
	full, _ := s.Household(ctx, officerA, h[0].ID)
	s.RevealMember(ctx, officerA, full.Members[0].ID, "disk test")
	recs, _ := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(good, []byte("\ufeff")))).ReadAll()
	var secrets []string
	for _, r := range recs[1:] {
		secrets = append(secrets, r[8])
		if r[9] != "" {
			secrets = append(secrets, r[9])
		}
	}
	var disk []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(d.Path + suffix)
		if err != nil && suffix == "" {
			t.Fatal(err)
		}
		disk = append(disk, b...)
	}
	if len(disk) < 4096 {
		t.Fatalf("read only %d bytes of database", len(disk))
	}
	for _, sec := range secrets {
		if bytes.Contains(disk, []byte(sec)) {
			t.Errorf("plain value %s…%s found in the database files", sec[:3], sec[len(sec)-2:])
		}
	}
	if !bytes.Contains(disk, []byte("骆驼湾村")) {
		t.Error("sanity: village name not found on disk, the test reads the wrong files")
	}
}

func readTestdataF(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata", name)) }
