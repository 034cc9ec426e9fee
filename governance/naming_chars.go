package governance

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Values of NamingPolicy.AllowedCharacters.
const (
	// AllowAnyPrintable ("") allows every printable character (letters,
	// marks, digits, punctuation, symbols including emoji, the space) plus the
	// zero-width joiner and non-joiner that emoji sequences and several
	// scripts need. It rejects control characters, other invisible format
	// characters such as bidirectional overrides (which can make a name read
	// differently from what it is), unassigned and private-use code points,
	// and U+FFFD, which stands for bytes that were not valid UTF-8.
	AllowAnyPrintable = ""
	// AllowASCIIAlnumSpaceDash allows A–Z, a–z, 0–9, the space and "-".
	AllowASCIIAlnumSpaceDash = "ascii-alnum-space-dash"
	// AllowLettersDigitsSpaceDashUnderscore allows letters and decimal digits
	// of any script, combining marks (so decomposed accents pass), the space,
	// "-" and "_".
	AllowLettersDigitsSpaceDashUnderscore = "letters-digits-space-dash-underscore"
	// AllowCustomPrefix introduces a custom set: "chars:" followed by every
	// allowed character written out literally, e.g. "chars:abc123 -". There
	// are no ranges and no escapes, so what you read is what is allowed; a
	// character written twice is harmless. Include the space if names may
	// have several words.
	AllowCustomPrefix = "chars:"
)

// namingCharSet decides which runes a name may contain.
type namingCharSet struct {
	allow    func(rune) bool
	describe string // English, for messages: "letters A–Z, digits, spaces and hyphens"
}

const (
	namingZWNJ = '\u200C'
	namingZWJ  = '\u200D'
)

func namingPrintable(r rune) bool {
	if r == utf8.RuneError {
		return false
	}
	return unicode.IsPrint(r) || r == namingZWJ || r == namingZWNJ
}

// parseNamingCharSet interprets NamingPolicy.AllowedCharacters; the error text
// completes "allowedCharacters ...".
func parseNamingCharSet(spec string) (namingCharSet, error) {
	switch spec {
	case AllowAnyPrintable:
		return namingCharSet{allow: namingPrintable, describe: "printable characters"}, nil
	case AllowASCIIAlnumSpaceDash:
		return namingCharSet{
			allow: func(r rune) bool {
				return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == ' ' || r == '-'
			},
			describe: "letters A-Z, digits, spaces and hyphens",
		}, nil
	case AllowLettersDigitsSpaceDashUnderscore:
		return namingCharSet{
			allow: func(r rune) bool {
				return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.Nd, r) || r == ' ' || r == '-' || r == '_'
			},
			describe: "letters, digits, spaces, hyphens and underscores",
		}, nil
	}
	set, ok := strings.CutPrefix(spec, AllowCustomPrefix)
	if !ok {
		return namingCharSet{}, fmt.Errorf("allowedCharacters %q is not known: use %q, %q, %q (any printable character) or %q followed by the allowed characters",
			spec, AllowASCIIAlnumSpaceDash, AllowLettersDigitsSpaceDashUnderscore, AllowAnyPrintable, AllowCustomPrefix)
	}
	if set == "" {
		return namingCharSet{}, fmt.Errorf("allowedCharacters %q lists no characters: write them after %q", spec, AllowCustomPrefix)
	}
	if !utf8.ValidString(set) {
		return namingCharSet{}, fmt.Errorf("allowedCharacters is not valid UTF-8")
	}
	allowed := make(map[rune]bool)
	for _, r := range set {
		if !namingPrintable(r) {
			return namingCharSet{}, fmt.Errorf("allowedCharacters contains %s, which is not a printable character; remove it", namingRuneDisplay(r))
		}
		allowed[r] = true
	}
	return namingCharSet{
		allow:    func(r rune) bool { return allowed[r] },
		describe: "these characters: " + set,
	}, nil
}

// namingRuneDisplay writes r so a person can see it even when it is invisible.
func namingRuneDisplay(r rune) string {
	if r != utf8.RuneError && r != '"' && unicode.IsPrint(r) && r != ' ' {
		return `"` + string(r) + `"`
	}
	if r == ' ' {
		return "the space"
	}
	return namingCodePoint(r)
}

func namingCodePoint(r rune) string { return fmt.Sprintf("U+%04X", r) }
