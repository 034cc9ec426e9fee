package crm

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of one imported record, in characters.
const (
	MaxIDRunes         = 128
	MaxNameRunes       = 256
	MaxValueRunes      = 1024
	MaxColumnNameRunes = 64
)

// knownColumns are the columns each kind gives a meaning to, in the order
// their fields are shown; every other column is kept as an extra field.
// id, name and url (the record's link) apply to every kind.
var knownColumns = map[Kind][]string{
	KindAccount:     {"industry", "city", "owner", "website"},
	KindOpportunity: {"account", "amount", "stage", "close_date", "owner"},
	KindContact:     {"email", "phone", "account", "title"},
}

// subtitleColumns make a record's second line, joined by " · ".
var subtitleColumns = map[Kind][]string{
	KindAccount:     {"industry", "city"},
	KindOpportunity: {"account", "stage", "amount"},
	KindContact:     {"title", "account"},
}

// cell is one value of an input row under its column.
type cell struct {
	column string // normalized: lowercase, spaces and dashes as underscores
	label  string // as the file spells it, the name an extra field is shown under
	value  string
}

// normalizeColumn maps a column name to the form known columns are
// compared in: "Close Date" and "close-date" are "close_date".
func normalizeColumn(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, name)
}

// checkColumnName says what is wrong with a column name, or "".
func checkColumnName(label string) string {
	switch {
	case !utf8.ValidString(label):
		return "is not valid UTF-8 text"
	case strings.TrimSpace(label) == "":
		return "has no name"
	case utf8.RuneCountInString(label) > MaxColumnNameRunes:
		return fmt.Sprintf("is longer than %d characters", MaxColumnNameRunes)
	case strings.ContainsFunc(label, unicode.IsControl):
		return "contains a control character"
	}
	return ""
}

// parsedRow is one input row that passed every check.
type parsedRow struct {
	line int
	rec  Record
}

// recordFromCells checks one row of kind and builds its record, or says
// what is wrong with the first bad value.
func recordFromCells(kind Kind, cells []cell) (Record, *RowError) {
	r := Record{Kind: kind}
	known := map[string]string{}
	var extra []Field
	for _, c := range cells {
		v := strings.TrimSpace(c.value)
		typed := c.column // an extra column named like another kind's is plain text
		if !slices.Contains(knownColumns[kind], typed) && typed != "id" && typed != "name" && typed != "url" {
			typed = ""
		}
		if msg := checkValue(typed, v); msg != "" {
			return r, &RowError{Field: c.label, Message: msg}
		}
		switch {
		case c.column == "id":
			r.ID = v
		case c.column == "name":
			r.Title = v
		case c.column == "url":
			r.URL = v
		case slices.Contains(knownColumns[kind], c.column):
			known[c.column] = v
		case v != "":
			extra = append(extra, Field{Name: strings.TrimSpace(c.label), Value: v})
		}
	}
	if r.ID == "" {
		return r, &RowError{Field: "id", Message: "is required"}
	}
	if r.Title == "" {
		return r, &RowError{Field: "name", Message: "is required"}
	}
	for _, col := range knownColumns[kind] {
		if v := known[col]; v != "" {
			r.Fields = append(r.Fields, Field{Name: col, Value: v})
		}
	}
	r.Fields = append(r.Fields, extra...)
	var sub []string
	for _, col := range subtitleColumns[kind] {
		if v := known[col]; v != "" {
			sub = append(sub, v)
		}
	}
	if len(sub) == 0 && kind == KindContact {
		sub = append(sub, known["email"])
	}
	r.Subtitle = strings.Join(sub, " · ")
	return r, nil
}

// checkValue says what is wrong with the value v of column (a column the
// kind knows, or "" for an extra one), or "".
func checkValue(column, v string) string {
	limit := MaxValueRunes
	switch column {
	case "id":
		limit = MaxIDRunes
	case "name":
		limit = MaxNameRunes
	}
	switch {
	case !utf8.ValidString(v):
		return "is not valid UTF-8 text: save the file as UTF-8"
	case utf8.RuneCountInString(v) > limit:
		return fmt.Sprintf("is longer than %d characters", limit)
	case strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' }):
		return "contains a control character"
	case v == "":
		return ""
	}
	switch column {
	case "id":
		if strings.ContainsFunc(v, unicode.IsControl) {
			return "must be on one line"
		}
	case "url", "website":
		if !isWebURL(v) {
			return "must be an http or https URL, e.g. https://crm.example.com/record/42"
		}
	case "amount":
		if f, err := strconv.ParseFloat(v, 64); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return "must be a number, e.g. 125000.50"
		}
	case "close_date":
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return "must be a date written YYYY-MM-DD, e.g. 2026-03-31"
		}
	case "email":
		local, domain, ok := strings.Cut(v, "@")
		if !ok || local == "" || !strings.Contains(domain, ".") || strings.ContainsAny(domain, "@ ") || strings.Contains(local, " ") {
			return "must be an email address, e.g. jane@contoso.com"
		}
	}
	return ""
}

// isWebURL accepts absolute http and https URLs with a host: anything else
// (javascript:, data:, relative paths) must never become a link in a card.
func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}
