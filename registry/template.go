package registry

import (
	"bytes"
	"encoding/csv"

	"fishpond"

	"github.com/xuri/excelize/v2"
)

// templateExample is one valid example row, so officers see the expected form of
// every cell (dates, 是/否, cause labels).
func templateExample() []string {
	id := "52032619750312203"
	id += string(IDCheckChar(id))
	vals := map[string]string{
		"number": "5203260001", "town": "丰乐镇", "village": "新田村", "head_name": "王建国", "name": "王建国",
		"relationship": "户主", "sex": "男", "birth_date": "1975-03-12", "id_number": id, "phone": "13800000000",
		"labour": "普通劳动力", "health": "长期慢性病", "schooling": "初中", "in_school": "否", "disability": "",
		"registered_year": "2016", "poverty_cause": "因病", "food_clothing_secure": "是", "compulsory_education": "是",
		"medical_insurance": "是", "housing_safety": "B", "safe_water": "是",
	}
	row := make([]string, len(importColumns))
	for i, c := range importColumns {
		row[i] = vals[c.key]
	}
	return row
}

func templateHeader() []string {
	h := make([]string, len(importColumns))
	for i, c := range importColumns {
		h[i] = c.zh
	}
	return h
}

// Template returns the downloadable import template ("csv" or "xlsx") with the
// Chinese headers and one example row. The CSV carries a UTF-8 BOM so that Excel opens
// it in the right encoding; in the XLSX the identity-number column is text, so Excel
// does not turn numbers into 1.1E+17.
func Template(format string) ([]byte, error) {
	switch format {
	case "csv":
		var b bytes.Buffer
		b.WriteString("\ufeff")
		w := csv.NewWriter(&b)
		w.Write(templateHeader())
		w.Write(templateExample())
		w.Flush()
		return b.Bytes(), w.Error()
	case "xlsx":
		return buildXLSX(templateHeader(), [][]string{templateExample()})
	}
	return nil, fishpond.Invalid("模板格式应为csv或xlsx / template format must be csv or xlsx", map[string]string{"format": format})
}

// buildXLSX writes rows as text cells on one sheet named 建档立卡户.
func buildXLSX(header []string, rows [][]string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "建档立卡户"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	textStyle, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return nil, err
	}
	if err := f.SetColStyle(sheet, "A:V", textStyle); err != nil {
		return nil, err
	}
	all := append([][]string{header}, rows...)
	for r, row := range all {
		for c, v := range row {
			cell, err := excelize.CoordinatesToCellName(c+1, r+1)
			if err != nil {
				return nil, err
			}
			if err := f.SetCellStr(sheet, cell, v); err != nil {
				return nil, err
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
