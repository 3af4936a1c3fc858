package registry

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"fishpond"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// readCSV decodes a CSV file: UTF-8 (with or without the BOM Excel adds) or GBK /
// GB18030, which Chinese Excel writes by default. The delimiter may be a comma, a
// semicolon or a tab.
func readCSV(data []byte) (table, error) {
	text, enc, err := decodeText(data)
	if err != nil {
		return table{}, err
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = sniffDelimiter(text)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	t := table{format: "csv", encoding: enc}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return table{}, fishpond.Invalid("CSV格式错误 / the CSV file is malformed", map[string]string{"file": err.Error()})
		}
		rowNum, _ := r.FieldPos(0) // the line, which is the row Excel shows unless a cell spans lines
		if t.header == nil {
			if isBlank(rec) {
				continue
			}
			t.header = rec
			continue
		}
		t.rows = append(t.rows, rec)
		t.rowNums = append(t.rowNums, rowNum)
	}
	if t.header == nil {
		return table{}, fishpond.Invalid("文件为空 / the file is empty", map[string]string{"file": "empty"})
	}
	return t, nil
}

func isBlank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// decodeText returns the file as UTF-8 text and the encoding found.
func decodeText(data []byte) (string, string, error) {
	if bytes.IndexByte(data, 0) >= 0 {
		return "", "", fishpond.Invalid("文件不是CSV或XLSX（含二进制内容）/ the file is not CSV or XLSX (it holds binary data)", map[string]string{"file": "binary"})
	}
	if utf8.Valid(data) {
		return strings.TrimPrefix(string(data), "\ufeff"), "utf-8", nil
	}
	dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err == nil && plausibleText(string(dec)) {
		return string(dec), "gb18030", nil
	}
	return "", "", fishpond.Invalid("无法识别文件编码，请另存为“CSV UTF-8”或GBK编码 / cannot tell the file's encoding; save it as CSV UTF-8 or GBK",
		map[string]string{"file": "encoding"})
}

// plausibleText rejects decodings full of replacement or control characters, the
// sign that a file is neither UTF-8 nor GBK.
func plausibleText(s string) bool {
	bad, total := 0, 0
	for _, r := range s {
		total++
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t') || (r >= 0xE000 && r <= 0xF8FF) {
			bad++
		}
	}
	return total > 0 && bad*100 <= total
}

// sniffDelimiter picks the separator used in the first line.
func sniffDelimiter(text string) rune {
	line, _, _ := strings.Cut(text, "\n")
	best, n := ',', strings.Count(line, ",")
	for _, d := range []rune{'\t', ';'} {
		if c := strings.Count(line, string(d)); c > n {
			best, n = d, c
		}
	}
	return best
}
