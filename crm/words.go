package crm

import (
	"slices"
	"strings"
	"unicode"

	"github.com/stewardhq/steward/governance"
)

// appendWords appends the search words of s to dst: s folded the way
// governance folds names (lowercase, accents dropped: "Zürich" → "zurich",
// "Straße" → "strasse"), then split on everything that is not a letter or
// a digit, so "jane.doe@contoso.com" and "OPP-0042" are several words.
//
// An apostrophe inside a word joins it ("O'Brien" → "obrien"), so a user
// who types the name without it still finds it; with parts, a record's
// words also include the pieces ("o", "brien"), which is how people type
// "Oreal" for "L'Oréal".
func appendWords(dst []string, s string, parts bool) []string {
	folded := governance.FoldForMatch(s)
	for raw := range strings.FieldsFuncSeq(folded, isSeparator) {
		raw = strings.Trim(raw, apostrophes)
		if raw == "" {
			continue
		}
		if !strings.ContainsAny(raw, apostrophes) {
			dst = append(dst, raw)
			continue
		}
		pieces := strings.FieldsFunc(raw, isApostrophe)
		dst = append(dst, strings.Join(pieces, ""))
		if parts {
			dst = append(dst, pieces...)
		}
	}
	return dst
}

const apostrophes = "'’"

func isApostrophe(r rune) bool { return r == '\'' || r == '’' }

func isSeparator(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !isApostrophe(r)
}

// uniqueWords drops repeated words, keeping the first of each.
func uniqueWords(ws []string) []string {
	out := ws[:0]
	for _, w := range ws {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}
