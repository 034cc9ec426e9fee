package governance

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestFoldForMatch(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Sales", "sales"},
		{"Sàles", "sales"},
		{"ÉTÉ", "ete"},
		{"été", "ete"},
		{"Straße", "strasse"},
		{"STRASSE", "strasse"},
		{"ẞ", "ss"},
		{"Æsir Œuvre", "aesir oeuvre"},
		{"Søren Łódź Đorđe Þór", "soren lodz dorde thor"},
		{"İstanbul ılık", "istanbul ilik"},
		{"Ĳssel", "ijssel"},
		{"Ștefan Țară", "stefan tara"},
		{"Cafe\u0301", "cafe"},                // decomposed accent
		{"n\u0303o\u0308", "no"},              // several marks
		{"Ｓａｌｅｓ", "sales"},                    // fullwidth
		{"  Sales \t\n Team  ", "sales team"}, // whitespace
		{"Δέλτα", "δέλτα"},                    // outside the table: lowercased only
		{"東京 🚀", "東京 🚀"},
		{"a\xffb", "a\ufffdb"},
		{"× ÷", "× ÷"},
		{"\u212Bngstr\u00F6m", "angstrom"}, // Angstrom sign lowercases into the table
	}
	for _, tt := range tests {
		if got := FoldForMatch(tt.in); got != tt.want {
			t.Errorf("FoldForMatch(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Every letter of Latin-1 Supplement and Latin Extended-A folds to lowercase
// ASCII letters; the table strings must be exactly as long as their blocks.
func TestNamingFoldTableCoversBlocks(t *testing.T) {
	if len(namingFoldLatin1) != 0x100-namingFoldLatin1Base {
		t.Fatalf("Latin-1 table has %d entries, want %d", len(namingFoldLatin1), 0x100-namingFoldLatin1Base)
	}
	if len(namingFoldExtA) != 0x180-namingFoldExtABase {
		t.Fatalf("Extended-A table has %d entries, want %d", len(namingFoldExtA), 0x180-namingFoldExtABase)
	}
	for r := rune(0xC0); r < 0x180; r++ {
		f, ok := namingFoldRune(r)
		if !unicode.IsLetter(r) {
			if ok {
				t.Errorf("%U %c is not a letter but folds to %q", r, r, f)
			}
			continue
		}
		if !ok || f == "" {
			t.Errorf("%U %c does not fold", r, r)
			continue
		}
		for _, c := range f {
			if c < 'a' || c > 'z' {
				t.Errorf("%U %c folds to %q", r, r, f)
			}
		}
	}
	// Upper and lower case of the same letter fold alike.
	for r := rune(0xC0); r < 0x180; r++ {
		if l := unicode.ToLower(r); l != r && l >= 0xC0 && unicode.IsLetter(r) {
			a, _ := namingFoldRune(r)
			b, _ := namingFoldRune(l)
			if a != b {
				t.Errorf("%c folds to %q but %c to %q", r, a, l, b)
			}
		}
	}
}

func FuzzFoldForMatch(f *testing.F) {
	for _, s := range []string{"Sàles", "Straße", "\u212B", "Cafe\u0301", "Ｓａｌｅｓ", " a \t b ", "a\xffb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := FoldForMatch(s)
		if !utf8.ValidString(got) || got != strings.TrimSpace(got) || strings.Contains(got, "  ") {
			t.Fatalf("FoldForMatch(%q) = %q", s, got)
		}
		if again := FoldForMatch(got); again != got {
			t.Fatalf("not idempotent: %q → %q → %q", s, got, again)
		}
		if strings.ContainsFunc(got, func(r rune) bool { return unicode.ToLower(r) != r }) {
			t.Fatalf("FoldForMatch(%q) = %q is not lowercase", s, got)
		}
	})
}

func FuzzDeriveMailNickname(f *testing.F) {
	for _, s := range []string{"Project Alpha", "Équipe", "!!!", "", "a--b", "東京"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := DeriveMailNickname(s)
		checkMailNickname(t, got)
		if DeriveMailNickname(got) != got {
			t.Fatalf("not idempotent on %q", got)
		}
	})
}
