package crm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/stewardhq/steward/governance"
)

// parseJSON reads a JSON array of objects, one record each, keeping each
// object's keys in the order written (the order its extra fields show in).
// A row's line is the line its object starts on.
func parseJSON(data []byte, kind Kind, maxRows int, reject func(RowError)) ([]parsedRow, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	lines := lineCounter{data: data}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return nil, governance.Errorf(governance.KindInvalid, "crm_import_empty",
			"the file is empty: it needs a JSON array of objects, each with at least %s and %s", "id", "name")
	}
	if err != nil {
		return nil, malformedJSON(err, &lines)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, governance.Errorf(governance.KindInvalid, "crm_import_not_array",
			"the JSON must be an array of objects, e.g. %s", `[{"id": "A-1", "name": "Contoso"}]`)
	}
	var rows []parsedRow
	for n := 0; dec.More(); n++ {
		if n >= maxRows {
			return nil, tooManyRows(maxRows)
		}
		line := lines.lineAt(nextValue(data, int(dec.InputOffset())))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, malformedJSON(err, &lines)
		}
		cells, msg := jsonCells(raw)
		if msg != "" {
			reject(RowError{Line: line, Message: msg})
			continue
		}
		rec, rowErr := recordFromCells(kind, cells)
		if rowErr != nil {
			rowErr.Line = line
			reject(*rowErr)
			continue
		}
		rows = append(rows, parsedRow{line: line, rec: rec})
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return nil, malformedJSON(err, &lines)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, governance.Errorf(governance.KindInvalid, "crm_import_malformed",
			"the JSON has more after its array, at line %d", lines.lineAt(nextValue(data, int(dec.InputOffset()))))
	}
	return rows, nil
}

// jsonCells reads one element of the array: an object whose values are
// strings, numbers, booleans or null. It says what is wrong, or "".
func jsonCells(raw json.RawMessage) ([]cell, string) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, "must be a JSON object"
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, "must be a JSON object"
	}
	var cells []cell
	for dec.More() {
		if len(cells) == MaxImportColumns {
			return nil, fmt.Sprintf("has more than %d fields", MaxImportColumns)
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, "must be a JSON object"
		}
		label, _ := tok.(string)
		if msg := checkColumnName(label); msg != "" {
			return nil, "a field name " + msg
		}
		col := normalizeColumn(label)
		if slices.ContainsFunc(cells, func(c cell) bool { return c.column == col }) {
			return nil, fmt.Sprintf("names the field %q twice", col)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, "must be a JSON object"
		}
		value, ok := jsonScalar(v)
		if !ok {
			return nil, fmt.Sprintf("field %q must be a string, a number, true, false or null", label)
		}
		cells = append(cells, cell{column: col, label: label, value: value})
	}
	return cells, ""
}

// jsonScalar spells a JSON scalar as the text a CSV cell would hold.
func jsonScalar(v json.RawMessage) (string, bool) {
	switch {
	case len(v) == 0:
		return "", false
	case v[0] == '"':
		var s string
		err := json.Unmarshal(v, &s)
		return s, err == nil
	case v[0] == '{' || v[0] == '[':
		return "", false
	case string(v) == "null":
		return "", true
	}
	return string(v), true // a number, true or false, as written
}

// nextValue skips the whitespace and comma before the value at off.
func nextValue(data []byte, off int) int {
	for off < len(data) && bytes.IndexByte([]byte(" \t\r\n,"), data[off]) >= 0 {
		off++
	}
	return off
}

// lineCounter turns byte offsets, asked for in increasing order, into
// line numbers without rescanning the input.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func (c *lineCounter) lineAt(off int) int {
	off = min(off, len(c.data))
	if off < c.off { // out of order: count from the start
		c.off, c.line = 0, 0
	}
	c.line += bytes.Count(c.data[c.off:off], []byte("\n"))
	c.off = off
	return c.line + 1
}

func malformedJSON(err error, lines *lineCounter) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return governance.Errorf(governance.KindInvalid, "crm_import_malformed",
			"the JSON is malformed at line %d: %s", lines.lineAt(int(se.Offset)), se.Error())
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return governance.Errorf(governance.KindInvalid, "crm_import_malformed",
			"the JSON ends before its array is closed")
	}
	return governance.Wrap(governance.KindInvalid, "crm_import_malformed", "the JSON could not be read", err)
}
