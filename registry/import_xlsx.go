package registry

import (
	"bytes"
	"strconv"
	"strings"

	"fishpond"

	"github.com/xuri/excelize/v2"
)

// readXLSX reads the first worksheet of an XLSX workbook. Cells are read raw, so that
// dates arrive as serial numbers (converted by excelDate) whatever the cell format.
func readXLSX(data []byte) (table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 256 << 20, UnzipXMLSizeLimit: 64 << 20})
	if err != nil {
		return table{}, fishpond.Invalid("无法打开XLSX文件 / cannot open the XLSX file", map[string]string{"file": "xlsx"})
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return table{}, fishpond.Invalid("工作簿没有工作表 / the workbook has no sheets", map[string]string{"file": "xlsx"})
	}
	rows, err := f.GetRows(sheets[0], excelize.Options{RawCellValue: true})
	if err != nil {
		return table{}, fishpond.Invalid("无法读取工作表 / cannot read the worksheet", map[string]string{"file": "xlsx"})
	}
	t := table{format: "xlsx"}
	for i, r := range rows {
		if t.header == nil {
			if isBlank(r) {
				continue
			}
			t.header = r
			continue
		}
		t.rows = append(t.rows, r)
		t.rowNums = append(t.rowNums, i+1)
	}
	if t.header == nil {
		return table{}, fishpond.Invalid("文件为空 / the file is empty", map[string]string{"file": "empty"})
	}
	return t, nil
}

// excelDate turns an Excel serial date ("29733") into YYYY-MM-DD and leaves any other
// text alone.
func excelDate(s string) string {
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || strings.ContainsAny(s, "-/") || n < 1 || n > 80000 || len(s) == 8 {
		return s
	}
	t, err := excelize.ExcelDateToTime(n, false)
	if err != nil {
		return s
	}
	return t.Format("2006-01-02")
}
