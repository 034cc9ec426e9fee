package governance

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The standard library has no Unicode normalisation (NFD lives in
// golang.org/x/text, which governance must not import), so accents are folded
// with a table of precomposed letters instead. It covers Latin-1 Supplement
// and Latin Extended-A, which is what Western and Central European names use;
// combining marks (decomposed accents) are dropped separately.
//
// Each byte is the base letter of the rune at that offset; '?' means "no single
// letter": those runes are either multi-letter folds (see namingFoldSpecial) or not
// letters at all (× and ÷), which are kept as they are.
const (
	namingFoldLatin1Base = 0x00C0
	namingFoldLatin1     = "AAAAAA?CEEEEIIIIDNOOOOO?OUUUUY??aaaaaa?ceeeeiiiidnooooo?ouuuuy?y"
	namingFoldExtABase   = 0x0100
	namingFoldExtA       = "AaAaAa" + "CcCcCcCc" + "DdDd" + "EeEeEeEeEe" + "GgGgGgGg" + "HhHh" +
		"IiIiIiIiIi" + "??" + "Jj" + "Kkk" + "LlLlLlLlLl" + "NnNnNnnNn" + "OoOoOo" + "??" +
		"RrRrRr" + "SsSsSsSs" + "TtTtTt" + "UuUuUuUuUuUu" + "Ww" + "YyY" + "ZzZzZz" + "s"
)

// namingFoldSpecial holds the folds that are not one base letter.
func namingFoldSpecial(r rune) (string, bool) {
	switch r {
	case 'Æ', 'æ':
		return "ae", true
	case 'Œ', 'œ':
		return "oe", true
	case 'Ĳ', 'ĳ':
		return "ij", true
	case 'Þ', 'þ':
		return "th", true
	case 'ß', 'ẞ':
		return "ss", true
	case 'Ș', 'ș': // Romanian comma-below letters, outside Extended-A but common
		return "s", true
	case 'Ț', 'ț':
		return "t", true
	case 'ª':
		return "a", true
	case 'º':
		return "o", true
	}
	return "", false
}

// namingFoldRune returns the lowercase ASCII spelling of a precomposed Latin letter,
// or ok=false when the table does not know r.
func namingFoldRune(r rune) (string, bool) {
	if s, ok := namingFoldSpecial(r); ok {
		return s, true
	}
	var b byte
	switch {
	case r >= namingFoldLatin1Base && r < namingFoldLatin1Base+rune(len(namingFoldLatin1)):
		b = namingFoldLatin1[r-namingFoldLatin1Base]
	case r >= namingFoldExtABase && r < namingFoldExtABase+rune(len(namingFoldExtA)):
		b = namingFoldExtA[r-namingFoldExtABase]
	default:
		return "", false
	}
	if b == '?' {
		return "", false
	}
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	return string(b), true
}

// namingCombiningMark reports whether r is a combining mark that only decorates
// the letter before it, so folding can drop it ("e" + U+0301 → "e").
func namingCombiningMark(r rune) bool {
	switch {
	case r >= 0x0300 && r <= 0x036F, // Combining Diacritical Marks
		r >= 0x1AB0 && r <= 0x1AFF, // ... Extended
		r >= 0x1DC0 && r <= 0x1DFF, // ... Supplement
		r >= 0x20D0 && r <= 0x20FF, // ... for Symbols
		r >= 0xFE20 && r <= 0xFE2F: // Combining Half Marks
		return true
	}
	return false
}

// namingFoldFullwidth maps fullwidth ASCII (U+FF01–U+FF5E, "Ｓａｌｅｓ") to ASCII so it
// cannot be used to slip a blocked word past the check.
func namingFoldFullwidth(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFF01 + '!'
	}
	return r
}

// FoldForMatch returns s in the form names are compared in: lowercase, accents
// folded to ASCII base letters ("Sàles" → "sales", "Straße" → "strasse",
// "ÉTÉ" → "ete"), combining marks and fullwidth forms folded, whitespace
// trimmed and collapsed to single spaces. Two names that fold to the same
// string read the same to people, so blocked words and (later) duplicate-name
// detection compare folded forms. Invalid UTF-8 becomes U+FFFD.
func FoldForMatch(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			pendingSpace = b.Len() > 0
			continue
		}
		if namingCombiningMark(r) {
			continue
		}
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		r = namingFoldFullwidth(r)
		if f, ok := namingFoldRune(r); ok {
			b.WriteString(f)
			continue
		}
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		// Lowercasing can land in the table (the Angstrom sign Å lowercases
		// to å), so look again: folding must be idempotent.
		r = unicode.ToLower(r)
		if f, ok := namingFoldRune(r); ok {
			b.WriteString(f)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
