package governance

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// namingAttributes are the directory attributes a prefix or suffix may use as
// [Token]: Microsoft Entra's group naming policy supports Department, Company,
// Office, StateOrProvince, CountryOrRegion and Title; Steward adds City. The
// adapter that reads the requester from Microsoft Graph maps them to the user
// properties department, companyName, officeLocation, state, country,
// jobTitle and city.
var namingAttributes = []string{"Department", "Company", "Office", "City", "StateOrProvince", "CountryOrRegion", "Title"}

// namingFieldID is the shape of a request field id used as {field}.
var namingFieldID = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// canonicalAttribute returns the canonical spelling of a [Token] name, which
// policies may write in any case.
func canonicalAttribute(name string) (string, bool) {
	for _, a := range namingAttributes {
		if strings.EqualFold(a, name) {
			return a, true
		}
	}
	return "", false
}

// namingSegment is a piece of a prefix or suffix: literal text, a directory
// attribute ([Department]) or a request field ({project_code}).
type namingSegment struct {
	literal string
	token   string // canonical attribute name or field id; "" for literal text
	field   bool   // token is a request field, not a directory attribute
	unknown bool   // token names nothing Steward knows; raw holds the text
	raw     string // the token as written, brackets included
}

// parseNamingTemplate splits a prefix or suffix into segments. "[[", "]]",
// "{{" and "}}" stand for a literal bracket or brace. Problems (unbalanced
// brackets, unknown tokens) are reported in words a catalog manager can act
// on; parsing continues so every problem is reported at once, and the
// offending text is kept literally so Apply on an unvalidated policy still
// produces something sensible.
func parseNamingTemplate(where, tmpl string) (segs []namingSegment, problems []string) {
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, namingSegment{literal: lit.String()})
			lit.Reset()
		}
	}
	pos := func(i int) int { return utf8.RuneCountInString(tmpl[:i]) + 1 }
	for i := 0; i < len(tmpl); {
		c := tmpl[i]
		switch c {
		case '[', '{':
			if i+1 < len(tmpl) && tmpl[i+1] == c {
				lit.WriteByte(c)
				i += 2
				continue
			}
			closing := byte(']')
			if c == '{' {
				closing = '}'
			}
			end := strings.IndexAny(tmpl[i+1:], "[]{}")
			if end < 0 || tmpl[i+1+end] != closing {
				problems = append(problems, fmt.Sprintf("%s: %q at character %d is not closed by %q (write %q for a literal %q)",
					where, string(c), pos(i), string(closing), string([]byte{c, c}), string(c)))
				lit.WriteByte(c)
				i++
				continue
			}
			raw := tmpl[i : i+end+2]
			name := strings.TrimSpace(tmpl[i+1 : i+1+end])
			seg := namingSegment{raw: raw, field: c == '{'}
			switch {
			case seg.field && namingFieldID.MatchString(name):
				seg.token = name
			case seg.field:
				seg.unknown = true
				problems = append(problems, fmt.Sprintf("%s: %s is not a valid request field id (start with a letter; use letters, digits, \"_\", \".\" or \"-\"; at most 64 characters)", where, raw))
			default:
				if a, ok := canonicalAttribute(name); ok {
					seg.token = a
				} else {
					seg.unknown = true
					problems = append(problems, fmt.Sprintf("%s: %s is not a known attribute; use one of [%s], or {field_id} for a request field",
						where, raw, strings.Join(namingAttributes, "], [")))
				}
			}
			flush()
			segs = append(segs, seg)
			i += end + 2
		case ']', '}':
			if i+1 < len(tmpl) && tmpl[i+1] == c {
				lit.WriteByte(c)
				i += 2
				continue
			}
			problems = append(problems, fmt.Sprintf("%s: %q at character %d has no opening bracket (write %q for a literal %q)",
				where, string(c), pos(i), string([]byte{c, c}), string(c)))
			lit.WriteByte(c)
			i++
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return segs, problems
}
