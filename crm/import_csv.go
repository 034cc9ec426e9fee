package crm

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/stewardhq/steward/governance"
)

// parseCSV reads a CSV file whose first row names the columns. A problem
// with the file as a whole (its header, its syntax, its size) refuses it;
// a bad row is only rejected. Lines count from 1, the header's.
func parseCSV(data []byte, kind Kind, maxRows int, reject func(RowError)) ([]parsedRow, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // spreadsheet exports start with a BOM
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1 // a short or long row is that row's problem, not the file's
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, governance.Errorf(governance.KindInvalid, "crm_import_empty",
			"the file is empty: it needs a header row naming the columns, with at least %s and %s", "id", "name")
	}
	if err != nil {
		return nil, malformedCSV(err)
	}
	columns, err := csvColumns(header)
	if err != nil {
		return nil, err
	}
	var rows []parsedRow
	for n := 0; ; n++ {
		values, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, malformedCSV(err)
		}
		if n >= maxRows {
			return nil, tooManyRows(maxRows)
		}
		line, _ := cr.FieldPos(0)
		if len(values) != len(columns) {
			reject(RowError{Line: line, Message: fmt.Sprintf("has %d values but the header names %d columns", len(values), len(columns))})
			continue
		}
		cells := make([]cell, len(values))
		for i, v := range values {
			cells[i] = cell{column: columns[i].column, label: columns[i].label, value: v}
		}
		rec, rowErr := recordFromCells(kind, cells)
		if rowErr != nil {
			rowErr.Line = line
			reject(*rowErr)
			continue
		}
		rows = append(rows, parsedRow{line: line, rec: rec})
	}
}

// csvColumns checks the header row.
func csvColumns(header []string) ([]cell, error) {
	if len(header) > MaxImportColumns {
		return nil, governance.Errorf(governance.KindInvalid, "crm_import_too_many_columns",
			"the file has %d columns; at most %d are allowed", len(header), MaxImportColumns)
	}
	columns := make([]cell, len(header))
	var names []string
	for i, label := range header {
		if msg := checkColumnName(label); msg != "" {
			return nil, governance.Errorf(governance.KindInvalid, "crm_import_column_invalid",
				"column %d of the header row %s", i+1, msg)
		}
		col := normalizeColumn(label)
		if slices.Contains(names, col) {
			return nil, governance.Errorf(governance.KindInvalid, "crm_import_column_invalid",
				"the header row names the column %q twice", col)
		}
		names = append(names, col)
		columns[i] = cell{column: col, label: label}
	}
	for _, required := range []string{"id", "name"} {
		if !slices.Contains(names, required) {
			return nil, missingColumn(required)
		}
	}
	return columns, nil
}

func missingColumn(name string) error {
	return governance.Errorf(governance.KindInvalid, "crm_import_missing_column",
		"the header row has no %q column: every file needs the columns %s and %s", name, "id", "name")
}

func malformedCSV(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return governance.Errorf(governance.KindInvalid, "crm_import_malformed",
			"the CSV is malformed at line %d: %s", pe.StartLine, pe.Err.Error())
	}
	return governance.Wrap(governance.KindInvalid, "crm_import_malformed", "the CSV could not be read", err)
}
