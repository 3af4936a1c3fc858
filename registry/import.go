package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/internal/db"
)

// ImportReport says what an import did and which rows were refused, so an officer can
// fix exactly those rows and import the same file again.
type ImportReport struct {
	Format              string // "csv" or "xlsx"
	Encoding            string // for CSV: "utf-8" or "gb18030"
	Rows                int    // data rows read (blank rows skipped)
	HouseholdsCreated   int
	HouseholdsUpdated   int
	HouseholdsUnchanged int
	MembersCreated      int
	MembersUpdated      int
	MembersUnchanged    int
	MembersRemoved      int
	Errors              []RowError
}

// RowError is one refused cell: the row number as the spreadsheet shows it (the header
// is row 1), the column header, and a short bilingual reason.
type RowError struct {
	Row    int
	Column string
	Reason string
}

// MaxImportBytes bounds an upload; a county's registry is far smaller.
const MaxImportBytes = 32 << 20

// maxImportRows bounds the rows of one file.
const maxImportRows = 200_000

// column is one column of the import file: its field key, Chinese header (what the
// template and the national system's exports use) and English alias.
type column struct {
	key, zh, en string
	required    bool
}

// importColumns are the columns in template order.
var importColumns = []column{
	{"number", "户编号", "household_number", true},
	{"town", "乡镇", "town", false},
	{"village", "村", "village", true},
	{"head_name", "户主姓名", "head_name", true},
	{"name", "成员姓名", "name", true},
	{"relationship", "与户主关系", "relationship", true},
	{"sex", "性别", "sex", true},
	{"birth_date", "出生日期", "birth_date", true},
	{"id_number", "身份证号", "id_number", true},
	{"phone", "联系电话", "phone", false},
	{"labour", "劳动能力", "labour", false},
	{"health", "健康状况", "health", false},
	{"schooling", "文化程度", "schooling", false},
	{"in_school", "在校生", "in_school", false},
	{"disability", "残疾", "disability", false},
	{"registered_year", "识别年份", "registered_year", true},
	{"poverty_cause", "主要致贫原因", "poverty_cause", true},
	{"food_clothing_secure", "吃穿不愁", "food_clothing_secure", true},
	{"compulsory_education", "义务教育保障", "compulsory_education", true},
	{"medical_insurance", "基本医疗保险", "medical_insurance", true},
	{"housing_safety", "住房安全等级", "housing_safety", true},
	{"safe_water", "安全饮水", "safe_water", true},
}

var columnByKey = func() map[string]column {
	m := map[string]column{}
	for _, c := range importColumns {
		m[c.key] = c
	}
	return m
}()

// headerAliases maps a normalised header to its column key.
var headerAliases = func() map[string]string {
	m := map[string]string{}
	for _, c := range importColumns {
		m[normalizeHeader(c.zh)] = c.key
		m[normalizeHeader(c.en)] = c.key
		m[normalizeHeader(c.key)] = c.key
	}
	for alias, key := range map[string]string{
		"户码": "number", "户号": "number", "行政村": "village", "村名": "village", "乡镇名": "town", "乡(镇)": "town",
		"姓名": "name", "证件号码": "id_number", "身份证号码": "id_number", "公民身份号码": "id_number",
		"手机号": "phone", "手机号码": "phone", "电话": "phone", "是否在校生": "in_school", "残疾情况": "disability",
		"致贫原因": "poverty_cause", "识别时间": "registered_year", "住房安全": "housing_safety", "饮水安全": "safe_water",
	} {
		m[normalizeHeader(alias)] = key
	}
	return m
}()

// normalizeHeader lets "身份证号*", " 身份证号 ", "ID_Number" and "（必填）" variants match.
func normalizeHeader(h string) string {
	h = strings.TrimPrefix(h, "\ufeff")
	h = strings.NewReplacer(" ", "", "\u3000", "", "*", "", "＊", "", "（", "(", "）", ")", "\t", "").Replace(h)
	h = strings.TrimSuffix(h, "(必填)")
	return strings.ToLower(strings.TrimSpace(h))
}

// table is a decoded file: the header row and the data rows with their spreadsheet
// row numbers.
type table struct {
	format, encoding string
	header           []string
	rows             [][]string
	rowNums          []int
}

// Import reads a CSV or XLSX file of registered households (one row per member,
// household columns repeated) into a county. A structurally broken file is an error
// and changes nothing. Otherwise every bad row is reported and every household whose
// rows are all valid is created or updated; importing the same file again changes
// nothing. It runs in one transaction.
func (s *Store) Import(ctx context.Context, p fishpond.Principal, county, filename string, r io.Reader) (ImportReport, error) {
	if !p.CanEditRegistry(county) {
		return ImportReport{}, forbidden("无权向此县导入 / not allowed to import into this county")
	}
	if _, err := s.County(ctx, county); err != nil {
		return ImportReport{}, err
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return ImportReport{}, fishpond.Invalid("无法读取文件 / cannot read the file", map[string]string{"file": err.Error()})
	}
	if len(data) > MaxImportBytes {
		return ImportReport{}, fishpond.Invalid("文件过大 / file is too large", map[string]string{"file": fmt.Sprintf("最大 %d MB / at most %d MB", MaxImportBytes>>20, MaxImportBytes>>20)})
	}
	t, err := readTable(filename, data)
	if err != nil {
		return ImportReport{}, err
	}
	rep := ImportReport{Format: t.format, Encoding: t.encoding}
	groups, err := parseTable(t, &rep, s.now().In(fishpond.ChinaTime))
	if err != nil {
		return rep, err
	}
	parseErrors := rep.Errors
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		// InTx may run this again: start every attempt from the parse result.
		rep.Errors = append([]RowError(nil), parseErrors...)
		rep.HouseholdsCreated, rep.HouseholdsUpdated, rep.HouseholdsUnchanged = 0, 0, 0
		rep.MembersCreated, rep.MembersUpdated, rep.MembersUnchanged, rep.MembersRemoved = 0, 0, 0, 0
		now := s.now()
		for _, g := range groups {
			if g.bad {
				continue
			}
			g.in.CountyCode = county
			out, err := s.save(ctx, tx, p, now, modeImport, "", g.in, "import")
			var fe *fishpond.Error
			if errors.As(err, &fe) && (fe.Code == fishpond.EInvalid) {
				rep.Errors = append(rep.Errors, g.rowErrors(fe.Fields)...)
				continue
			}
			if err != nil {
				return err
			}
			switch {
			case out.created:
				rep.HouseholdsCreated++
			case out.updated:
				rep.HouseholdsUpdated++
			default:
				rep.HouseholdsUnchanged++
			}
			rep.MembersCreated += out.membersCreated
			rep.MembersUpdated += out.membersUpdated
			rep.MembersUnchanged += out.membersUnchanged
			rep.MembersRemoved += out.membersRemoved
		}
		return nil
	})
	if err != nil {
		return ImportReport{}, err
	}
	sort.SliceStable(rep.Errors, func(i, j int) bool { return rep.Errors[i].Row < rep.Errors[j].Row })
	return rep, nil
}

// readTable decodes the file by its name and content.
func readTable(filename string, data []byte) (table, error) {
	ext := strings.ToLower(filepath.Ext(filename))
	if len(bytes.TrimSpace(data)) == 0 {
		return table{}, fishpond.Invalid("文件为空 / the file is empty", map[string]string{"file": "empty"})
	}
	switch {
	case ext == ".xls":
		return table{}, fishpond.Invalid("不支持旧版.xls，请另存为.xlsx或CSV / old .xls files are not supported; save as .xlsx or CSV", map[string]string{"file": "xls"})
	case ext == ".xlsx" || bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return readXLSX(data)
	case ext == ".csv" || ext == ".txt" || ext == "":
		return readCSV(data)
	}
	return table{}, fishpond.Invalid("只支持CSV和XLSX文件 / only CSV and XLSX files can be imported", map[string]string{"file": ext})
}

// rowData is one parsed data row.
type rowData struct {
	num    int
	values map[string]string // by column key
}

// importGroup is the rows of one household number.
type importGroup struct {
	rows []rowData
	in   HouseholdInput
	bad  bool
}

// rowErrors maps validation fields of the household back to cells.
func (g *importGroup) rowErrors(fields map[string]string) []RowError {
	var out []RowError
	for _, k := range sortedKeys(fields) {
		row, col := g.rows[0].num, k
		if strings.HasPrefix(k, "members[") {
			end := strings.Index(k, "]")
			i, err := strconv.Atoi(k[len("members["):end])
			if err == nil && i < len(g.rows) {
				row = g.rows[i].num
			}
			col = strings.TrimPrefix(k[end+1:], ".")
		}
		if k == "members" {
			col = "relationship"
		}
		if k == "village_id" {
			col = "village"
		}
		header := col
		if c, ok := columnByKey[col]; ok {
			header = c.zh
		}
		out = append(out, RowError{Row: row, Column: header, Reason: fields[k]})
	}
	return out
}

// householdKeys are the columns repeated on every row of a household.
var householdKeys = []string{"town", "village", "head_name", "registered_year", "poverty_cause", "food_clothing_secure",
	"compulsory_education", "medical_insurance", "housing_safety", "safe_water"}

var sciNotation = regexp.MustCompile(`^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$`)

// parseTable maps headers, parses rows into household groups and records per-row
// errors in rep. A missing required column or a file without data rows is an error.
func parseTable(t table, rep *ImportReport, today time.Time) ([]*importGroup, error) {
	colIndex := map[string]int{}
	for i, h := range t.header {
		key, ok := headerAliases[normalizeHeader(h)]
		if !ok {
			continue
		}
		if _, dup := colIndex[key]; dup {
			return nil, fishpond.Invalid(fmt.Sprintf("列“%s”出现了两次 / column %q appears twice", h, h), map[string]string{"columns": h})
		}
		colIndex[key] = i
	}
	var missing []string
	for _, c := range importColumns {
		if _, ok := colIndex[c.key]; c.required && !ok {
			missing = append(missing, c.zh)
		}
	}
	if len(missing) > 0 {
		msg := "缺少必需的列：" + strings.Join(missing, "、") + " / required columns are missing: " + strings.Join(missing, ", ")
		return nil, fishpond.Invalid(msg, map[string]string{"columns": strings.Join(missing, ",")})
	}
	var groups []*importGroup
	byNumber := map[string]*importGroup{}
	idOwner := map[string]string{} // identity number -> household number, within the file
	bad := func(row int, key, reason string) {
		rep.Errors = append(rep.Errors, RowError{Row: row, Column: columnByKey[key].zh, Reason: reason})
	}
	for ri, cells := range t.rows {
		num := t.rowNums[ri]
		vals := map[string]string{}
		empty := true
		for key, i := range colIndex {
			v := ""
			if i < len(cells) {
				v = strings.TrimSpace(strings.TrimLeft(cells[i], "'\t"))
			}
			if v != "" {
				empty = false
			}
			vals[key] = v
		}
		if empty {
			continue
		}
		rep.Rows++
		if rep.Rows > maxImportRows {
			return nil, fishpond.Invalid(fmt.Sprintf("行数超过%d / more than %d rows", maxImportRows, maxImportRows), map[string]string{"file": "too many rows"})
		}
		rd := rowData{num: num, values: vals}
		number := vals["number"]
		if number == "" {
			bad(num, "number", "户编号不能为空 / household number is required")
			continue
		}
		g := byNumber[number]
		if g == nil {
			g = &importGroup{}
			byNumber[number] = g
			groups = append(groups, g)
		} else {
			for _, k := range householdKeys {
				if vals[k] != g.rows[0].values[k] {
					bad(num, k, fmt.Sprintf("同一户各行的“%s”不一致（第%d行为“%s”）/ differs from row %d of the same household",
						columnByKey[k].zh, g.rows[0].num, g.rows[0].values[k], g.rows[0].num))
					g.bad = true
				}
			}
		}
		g.rows = append(g.rows, rd)
		if id := NormalizeIDNumber(vals["id_number"]); id != "" {
			if owner, dup := idOwner[id]; dup && owner != number {
				bad(num, "id_number", "身份证号在文件中属于另一户（"+owner+"）/ identity number appears in another household of the file")
				g.bad = true
			}
			idOwner[id] = number
		}
	}
	if rep.Rows == 0 {
		return nil, fishpond.Invalid("文件没有数据行 / the file has no data rows", map[string]string{"file": "no rows"})
	}
	for _, g := range groups {
		first := g.rows[0]
		g.in = HouseholdInput{Town: first.values["town"], Village: first.values["village"], Number: first.values["number"],
			HeadName: first.values["head_name"]}
		fields := map[string]string{}
		hv := first.values
		if y, err := strconv.Atoi(hv["registered_year"]); err == nil {
			g.in.RegisteredYear = y
		} else if hv["registered_year"] != "" {
			if d, ok := parseDate(hv["registered_year"]); ok {
				g.in.RegisteredYear, _ = strconv.Atoi(d[:4])
			} else {
				fields["registered_year"] = "识别年份应为四位年份 / registration year must be a year like 2016"
			}
		}
		if c, ok := ParseCause(hv["poverty_cause"]); ok {
			g.in.PovertyCause = c
		} else {
			g.in.PovertyCause = Cause(hv["poverty_cause"])
		}
		boolField := func(key string, dst *bool) {
			v, ok := parseYesNo(hv[key])
			if !ok {
				fields[key] = "应填“是”或“否” / must be 是 or 否 (yes or no)"
			}
			*dst = v
		}
		boolField("food_clothing_secure", &g.in.Indicators.FoodClothingSecure)
		boolField("compulsory_education", &g.in.Indicators.CompulsoryEducation)
		boolField("medical_insurance", &g.in.Indicators.MedicalInsurance)
		boolField("safe_water", &g.in.Indicators.SafeWater)
		g.in.Indicators.HousingSafety = hv["housing_safety"]
		for i, rd := range g.rows {
			v := rd.values
			m := MemberInput{Name: v["name"], Relationship: v["relationship"], Sex: v["sex"], BirthDate: excelDate(v["birth_date"]),
				IDNumber: v["id_number"], Phone: v["phone"], Labour: v["labour"], Health: v["health"], Schooling: v["schooling"],
				Disability: v["disability"]}
			if m.Disability == "无" || m.Disability == "否" {
				m.Disability = ""
			}
			if v["in_school"] != "" {
				b, ok := parseYesNo(v["in_school"])
				if !ok {
					fields[memberField(i, "in_school")] = "应填“是”或“否” / must be 是 or 否 (yes or no)"
				}
				m.InSchool = b
			}
			if sciNotation.MatchString(m.IDNumber) {
				fields[memberField(i, "id_number")] = "身份证号被Excel转成了科学计数法，请把该列设为文本 / Excel turned the number into scientific notation; format the column as text"
				m.IDNumber = "x"
			}
			g.in.Members = append(g.in.Members, m)
		}
		g.in.CountyCode = "000000" // the county is set by Import; a placeholder keeps validation local
		g.in.normalize()
		for k, v := range g.in.validate(today) {
			if k == "county_code" {
				continue
			}
			if _, ok := fields[k]; !ok {
				fields[k] = v
			}
		}
		if len(fields) > 0 {
			g.bad = true
			rep.Errors = append(rep.Errors, g.rowErrors(fields)...)
		}
	}
	return groups, nil
}

func parseYesNo(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "是", "有", "y", "yes", "true", "1", "√", "已保障", "保障":
		return true, true
	case "否", "无", "n", "no", "false", "0", "×", "未保障":
		return false, true
	}
	return false, false
}
