package governance

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// codes lists the codes of vs, in order.
func codes(vs []NamingViolation) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.Code)
	}
	return out
}

func TestNamingApplyTokens(t *testing.T) {
	requester := map[string]string{"department": "Sales", "COUNTRYORREGION": "FR", "Company": " Contoso   Ltd ", "Title": ""}
	tests := []struct {
		name    string
		policy  NamingPolicy
		in      NamingInput
		want    string
		codes   []string
		missing []string // token args of name_token_missing
	}{
		{"no policy", NamingPolicy{}, NamingInput{Requested: "Project Alpha"}, "Project Alpha", nil, nil},
		{"fixed prefix", NamingPolicy{Prefix: "GRP "}, NamingInput{Requested: "Alpha"}, "GRP Alpha", nil, nil},
		{"attribute keys are case-insensitive", NamingPolicy{Prefix: "[Department]-", Suffix: "-[CountryOrRegion]"},
			NamingInput{Requested: "Alpha", Requester: requester}, "Sales-Alpha-FR", nil, nil},
		{"token names are case-insensitive", NamingPolicy{Prefix: "[DEPARTMENT]-"},
			NamingInput{Requested: "Alpha", Requester: requester}, "Sales-Alpha", nil, nil},
		{"attribute value whitespace is collapsed", NamingPolicy{Prefix: "[Company] - "},
			NamingInput{Requested: "Alpha", Requester: requester}, "Contoso Ltd - Alpha", nil, nil},
		{"case-variant keys resolve deterministically", NamingPolicy{Prefix: "[Office] "},
			NamingInput{Requested: "A", Requester: map[string]string{"OFFICE": "Lyon", "office": "Nice", "oFFice": "Metz"}}, "Lyon A", nil, nil},
		{"empty key is not a wildcard", NamingPolicy{Prefix: "[Office] "},
			NamingInput{Requested: "A", Requester: map[string]string{"": "Oops"}}, "[Office] A", []string{NamingTokenMissing}, []string{"Office"}},
		{"exact key wins", NamingPolicy{Prefix: "[Office] "},
			NamingInput{Requested: "A", Requester: map[string]string{"Office": "Paris"}}, "Paris A", nil, nil},
		{"request field", NamingPolicy{Suffix: "-{project_code}"},
			NamingInput{Requested: "Alpha", Fields: map[string]string{"project_code": "P42"}}, "Alpha-P42", nil, nil},
		{"field and attribute", NamingPolicy{Prefix: "[Department] ", Suffix: " ({project_code})"},
			NamingInput{Requested: "Alpha", Requester: requester, Fields: map[string]string{"project_code": "P42"}}, "Sales Alpha (P42)", nil, nil},
		{"missing attribute", NamingPolicy{Prefix: "[Office]-"},
			NamingInput{Requested: "Alpha", Requester: requester}, "[Office]-Alpha", []string{NamingTokenMissing}, []string{"Office"}},
		{"blank attribute is missing", NamingPolicy{Prefix: "[Title]-"},
			NamingInput{Requested: "Alpha", Requester: requester}, "[Title]-Alpha", []string{NamingTokenMissing}, []string{"Title"}},
		{"nil requester", NamingPolicy{Prefix: "[Department]-"},
			NamingInput{Requested: "Alpha"}, "[Department]-Alpha", []string{NamingTokenMissing}, []string{"Department"}},
		{"missing field", NamingPolicy{Suffix: "-{project_code}"},
			NamingInput{Requested: "Alpha", Fields: map[string]string{"other": "x"}}, "Alpha-{project_code}", []string{NamingTokenMissing}, []string{"project_code"}},
		{"field ids are case-sensitive", NamingPolicy{Suffix: "-{code}"},
			NamingInput{Requested: "Alpha", Fields: map[string]string{"Code": "x"}}, "Alpha-{code}", []string{NamingTokenMissing}, []string{"code"}},
		{"same missing token reported once", NamingPolicy{Prefix: "[Office]-", Suffix: "-[Office]"},
			NamingInput{Requested: "Alpha"}, "[Office]-Alpha-[Office]", []string{NamingTokenMissing}, []string{"Office"}},
		{"escaped brackets", NamingPolicy{Prefix: "[[EXT]] {{", Suffix: "}}"},
			NamingInput{Requested: "Alpha"}, "[EXT] {Alpha}", nil, nil},
		{"unknown token in unvalidated policy", NamingPolicy{Prefix: "[postalCode] "},
			NamingInput{Requested: "Alpha"}, "[postalCode] Alpha", []string{NamingTokenUnknown}, nil},
		{"unbalanced bracket kept literally", NamingPolicy{Prefix: "[Dept "},
			NamingInput{Requested: "Alpha"}, "[Dept Alpha", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.policy.Apply(tt.in)
			if r.DisplayName != tt.want {
				t.Errorf("DisplayName = %q, want %q", r.DisplayName, tt.want)
			}
			want := tt.codes
			if want == nil {
				want = []string{}
			}
			if got := codes(r.Violations); !slices.Equal(got, want) {
				t.Fatalf("violations = %v, want %v (%+v)", got, want, r.Violations)
			}
			var missing []string
			for _, v := range r.Violations {
				if v.Code == NamingTokenMissing {
					missing = append(missing, v.Args["token"])
					if !strings.Contains(v.Message, v.Args["token"]) {
						t.Errorf("message %q does not name the token", v.Message)
					}
				}
			}
			if !slices.Equal(missing, tt.missing) {
				t.Errorf("missing tokens = %v, want %v", missing, tt.missing)
			}
		})
	}
}

func TestNamingMissingTokenSaysWhoFixesIt(t *testing.T) {
	r := NamingPolicy{Prefix: "[Department]-", Suffix: "-{cost_center}"}.Apply(NamingInput{Requested: "Alpha"})
	if len(r.Violations) != 2 {
		t.Fatalf("violations = %+v", r.Violations)
	}
	if m := r.Violations[0].Message; !strings.Contains(m, "IT administrator") || !strings.Contains(m, "Department") {
		t.Errorf("attribute message = %q: should send the user to IT for their directory profile", m)
	}
	if m := r.Violations[1].Message; !strings.Contains(m, `Fill in the "cost_center" field`) {
		t.Errorf("field message = %q: should ask the user to fill in the field", m)
	}
}

func TestNamingWhitespace(t *testing.T) {
	tests := []struct {
		name, typed, want string
		codes             []string
	}{
		{"trim", "  Alpha  ", "Alpha", nil},
		{"collapse", "Alpha   \t Beta", "Alpha Beta", nil},
		{"newlines become spaces", "Alpha\nBeta\r\n", "Alpha Beta", nil},
		{"non-breaking space", "Alpha\u00a0\u2003Beta", "Alpha Beta", nil},
		{"empty", "", "", []string{NamingEmpty}},
		{"only whitespace", " \t\n ", "", []string{NamingEmpty}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NamingPolicy{}.Apply(NamingInput{Requested: tt.typed})
			if r.DisplayName != tt.want {
				t.Errorf("DisplayName = %q, want %q", r.DisplayName, tt.want)
			}
			want := tt.codes
			if want == nil {
				want = []string{}
			}
			if got := codes(r.Violations); !slices.Equal(got, want) {
				t.Errorf("violations = %v, want %v", got, want)
			}
		})
	}
	t.Run("empty name still previews prefix and suffix", func(t *testing.T) {
		r := NamingPolicy{Prefix: "GRP ", Suffix: " FR"}.Apply(NamingInput{Requested: "  "})
		if r.DisplayName != "GRP FR" || !slices.Equal(codes(r.Violations), []string{NamingEmpty}) {
			t.Errorf("got %q %v", r.DisplayName, codes(r.Violations))
		}
	})
}

func TestNamingBlockedWords(t *testing.T) {
	tests := []struct {
		name       string
		words      []string
		substrings bool
		prefix     string
		typed      string
		fields     map[string]string
		suffix     string
		blocked    []string // word args, in order
	}{
		{name: "none", words: []string{"sales"}, typed: "Marketing"},
		{name: "whole word", words: []string{"sales"}, typed: "Sales team", blocked: []string{"sales"}},
		{name: "case-insensitive", words: []string{"SALES"}, typed: "sales", blocked: []string{"SALES"}},
		{name: "accent in name", words: []string{"sales"}, typed: "Sàles team", blocked: []string{"sales"}},
		{name: "accent in word", words: []string{"Sàles"}, typed: "SALES", blocked: []string{"Sàles"}},
		{name: "uppercase accents", words: []string{"ete"}, typed: "Projet ÉTÉ 2026", blocked: []string{"ete"}},
		{name: "eszett", words: []string{"strasse"}, typed: "Hauptstraße", substrings: true, blocked: []string{"strasse"}},
		{name: "eszett whole word", words: []string{"Strasse"}, typed: "Die Straße", blocked: []string{"Strasse"}},
		{name: "decomposed accent", words: []string{"cafe"}, typed: "Cafe\u0301 crew", blocked: []string{"cafe"}},
		{name: "fullwidth", words: []string{"sales"}, typed: "Ｓａｌｅｓ", blocked: []string{"sales"}},
		{name: "inside a word is allowed", words: []string{"hr"}, typed: "Three amigos"},
		{name: "inside a word in substring mode", words: []string{"hr"}, substrings: true, typed: "Three amigos", blocked: []string{"hr"}},
		{name: "boundary is punctuation", words: []string{"hr"}, typed: "team-HR/2026", blocked: []string{"hr"}},
		{name: "digits glue words", words: []string{"hr"}, typed: "HR2026"},
		{name: "phrase", words: []string{"human resources"}, typed: "Human   Resources Paris", blocked: []string{"human resources"}},
		{name: "phrase needs all words", words: []string{"human resources"}, typed: "Human Paris"},
		{name: "symbol word", words: []string{"c++"}, typed: "C++ guild", blocked: []string{"c++"}},
		{name: "symbol word glued to letters", words: []string{"c++"}, typed: "abc++ guild"},
		{name: "symbol edge needs no boundary", words: []string{"c++"}, typed: "c++x", blocked: []string{"c++"}},
		{name: "second occurrence matches", words: []string{"ceo"}, typed: "ceox CEO", blocked: []string{"ceo"}},
		{name: "several", words: []string{"ceo", "payroll", "hr"}, typed: "CEO payroll", blocked: []string{"ceo", "payroll"}},
		{name: "entries that fold alike report once", words: []string{"CEO", "ceo", "Céo"}, typed: "ceo", blocked: []string{"CEO"}},
		{name: "word with spaces around", words: []string{"  ceo "}, typed: "CEO office", blocked: []string{"ceo"}},
		{name: "prefix does not count", words: []string{"sales"}, prefix: "Sales-", typed: "Alpha"},
		{name: "prefix does not count in substring mode", words: []string{"sales"}, substrings: true, prefix: "Sales-", suffix: "-sales", typed: "Alpha"},
		{name: "attribute does not count", words: []string{"sales"}, prefix: "[Department]-", typed: "Alpha"},
		{name: "request field counts", words: []string{"payroll"}, suffix: "-{code}", fields: map[string]string{"code": "Payroll"}, typed: "Alpha", blocked: []string{"payroll"}},
		{name: "not across the prefix boundary", words: []string{"ab"}, substrings: true, prefix: "a", typed: "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NamingPolicy{Prefix: tt.prefix, Suffix: tt.suffix, BlockedWords: tt.words, BlockSubstrings: tt.substrings}
			r := p.Apply(NamingInput{Requested: tt.typed, Fields: tt.fields, Requester: map[string]string{"Department": "Sales"}})
			var got []string
			for _, v := range r.Violations {
				if v.Code != NamingBlockedWord {
					t.Errorf("unexpected violation %+v", v)
					continue
				}
				got = append(got, v.Args["word"])
				if !strings.Contains(v.Message, `"`+v.Args["word"]+`" is not allowed in team names`) {
					t.Errorf("message %q", v.Message)
				}
			}
			if !slices.Equal(got, tt.blocked) {
				t.Errorf("blocked = %v, want %v", got, tt.blocked)
			}
		})
	}
	t.Run("field message names the field", func(t *testing.T) {
		r := NamingPolicy{Suffix: "-{code}", BlockedWords: []string{"payroll"}}.Apply(NamingInput{Requested: "A", Fields: map[string]string{"code": "payroll"}})
		if len(r.Violations) != 1 || r.Violations[0].Args["field"] != "code" || !strings.Contains(r.Violations[0].Message, `change the "code" field`) {
			t.Errorf("got %+v", r.Violations)
		}
	})
}

func TestNamingLength(t *testing.T) {
	tests := []struct {
		name    string
		policy  NamingPolicy
		typed   string
		tooLong bool
	}{
		{"default limit is 256", NamingPolicy{}, strings.Repeat("a", 256), false},
		{"257 is too long", NamingPolicy{}, strings.Repeat("a", 257), true},
		{"limit above 256 is capped", NamingPolicy{MaxLength: 1000}, strings.Repeat("a", 257), true},
		{"prefix and suffix count", NamingPolicy{Prefix: "GRP-", Suffix: "-FR", MaxLength: 10}, "abc", false},
		{"prefix and suffix count over", NamingPolicy{Prefix: "GRP-", Suffix: "-FR", MaxLength: 10}, "abcd", true},
		{"runes not bytes: accents", NamingPolicy{MaxLength: 5}, "ééééé", false},
		{"runes not bytes: emoji", NamingPolicy{MaxLength: 3}, "🚀🚀🚀", false},
		{"runes not bytes: emoji over", NamingPolicy{MaxLength: 3}, "🚀🚀🚀🚀", true},
		{"collapsed whitespace is not counted", NamingPolicy{MaxLength: 3}, "a    b", false},
		{"attribute values count", NamingPolicy{Prefix: "[Department] ", MaxLength: 8}, "Alpha", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.policy.Apply(NamingInput{Requested: tt.typed, Requester: map[string]string{"Department": "Sales"}})
			got := slices.Contains(codes(r.Violations), NamingTooLong)
			if got != tt.tooLong {
				t.Fatalf("too long = %v, want %v (%d runes, %+v)", got, tt.tooLong, utf8.RuneCountInString(r.DisplayName), r.Violations)
			}
			if !tt.tooLong && len(r.Violations) != 0 {
				t.Fatalf("violations %+v", r.Violations)
			}
		})
	}
	t.Run("message says how much to remove", func(t *testing.T) {
		r := NamingPolicy{Prefix: "GRP-", MaxLength: 10}.Apply(NamingInput{Requested: "abcdefghi"})
		v := r.Violations[0]
		if v.Args["max"] != "10" || v.Args["length"] != "13" || v.Args["excess"] != "3" || !strings.Contains(v.Message, "remove 3") {
			t.Errorf("got %+v", v)
		}
	})
}

func TestNamingMinUserPartLength(t *testing.T) {
	p := NamingPolicy{Prefix: "Sales-", MinUserPartLength: 3}
	for typed, want := range map[string][]string{
		"":      {NamingEmpty},
		"ab":    {NamingTooShort},
		" ab  ": {NamingTooShort},
		"abc":   {},
		"éé":    {NamingTooShort},
		"ééé":   {},
	} {
		if got := codes(p.Apply(NamingInput{Requested: typed}).Violations); !slices.Equal(got, want) {
			t.Errorf("%q: violations = %v, want %v", typed, got, want)
		}
	}
}

func TestNamingAllowedCharacters(t *testing.T) {
	tests := []struct {
		name    string
		allowed string
		prefix  string
		typed   string
		bad     []string // codePoint args, in order
		source  string
	}{
		{"default allows accents, emoji, punctuation", "", "", "Équipe 🚀 (R&D) – 2026", nil, ""},
		{"default allows ZWJ emoji", "", "", "Family 👨\u200d👩\u200d👧", nil, ""},
		{"default rejects NUL", "", "", "a\x00b", []string{"U+0000"}, "name"},
		{"default rejects escape", "", "", "a\x1b[31mred", []string{"U+001B"}, "name"},
		{"default rejects bell and DEL", "", "", "a\x07b\x7f", []string{"U+0007", "U+007F"}, "name"},
		{"default rejects bidi override", "", "", "abc\u202Etxt.exe", []string{"U+202E"}, "name"},
		{"default rejects invalid UTF-8", "", "", "a\xffb", []string{"U+FFFD"}, "name"},
		{"default rejects private use", "", "", "a\ue000", []string{"U+E000"}, "name"},
		{"ascii preset ok", AllowASCIIAlnumSpaceDash, "", "Project-42 Alpha", nil, ""},
		{"ascii preset rejects accent", AllowASCIIAlnumSpaceDash, "", "Équipe", []string{"U+00C9"}, "name"},
		{"ascii preset rejects underscore and ampersand", AllowASCIIAlnumSpaceDash, "", "R&D_team", []string{"U+0026", "U+005F"}, "name"},
		{"ascii preset reports each character once", AllowASCIIAlnumSpaceDash, "", "a!b!c!", []string{"U+0021"}, "name"},
		{"letters preset allows scripts", AllowLettersDigitsSpaceDashUnderscore, "", "Équipe_Ωμέγα-東京 ٣", nil, ""},
		{"letters preset allows decomposed accents", AllowLettersDigitsSpaceDashUnderscore, "", "Cafe\u0301", nil, ""},
		{"letters preset rejects emoji", AllowLettersDigitsSpaceDashUnderscore, "", "Team 🚀", []string{"U+1F680"}, "name"},
		{"letters preset rejects dot", AllowLettersDigitsSpaceDashUnderscore, "", "v2.0", []string{"U+002E"}, "name"},
		{"custom set", "chars:abc -", "", "abc cab-a", nil, ""},
		{"custom set is case-sensitive", "chars:abc -", "", "ABC", []string{"U+0041", "U+0042", "U+0043"}, "name"},
		{"custom set without space", "chars:abc", "", "a b", []string{"U+0020"}, "name"},
		{"attribute value checked as prefix", AllowASCIIAlnumSpaceDash, "[Department] ", "Alpha", []string{"U+0026"}, "policy"},
		{"at most five characters reported", AllowASCIIAlnumSpaceDash, "", "!\"#$%&'()", []string{"U+0021", "U+0022", "U+0023", "U+0024", "U+0025"}, "name"},
		{"bad set in unvalidated policy falls back to default", "nonsense", "", "ok\x00", []string{"U+0000"}, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NamingPolicy{AllowedCharacters: tt.allowed, Prefix: tt.prefix}
			r := p.Apply(NamingInput{Requested: tt.typed, Requester: map[string]string{"Department": "R&D"}})
			var bad []string
			for _, v := range r.Violations {
				if v.Code != NamingCharacterNotAllowed {
					t.Errorf("unexpected violation %+v", v)
					continue
				}
				bad = append(bad, v.Args["codePoint"])
				if v.Args["source"] != tt.source {
					t.Errorf("source = %q, want %q", v.Args["source"], tt.source)
				}
				if !strings.Contains(v.Message, v.Args["character"]) {
					t.Errorf("message %q does not show the character", v.Message)
				}
			}
			if !slices.Equal(bad, tt.bad) {
				t.Errorf("rejected = %v, want %v", bad, tt.bad)
			}
		})
	}
}

func TestNamingValidate(t *testing.T) {
	tests := []struct {
		name   string
		policy NamingPolicy
		want   []string // fragments of the message; nil = valid
	}{
		{"zero value", NamingPolicy{}, nil},
		{"full", NamingPolicy{Prefix: "[Department]-", Suffix: "-{project_code}", BlockedWords: []string{"ceo"}, MaxLength: 64,
			AllowedCharacters: AllowLettersDigitsSpaceDashUnderscore, MinUserPartLength: 3}, nil},
		{"every attribute", NamingPolicy{Prefix: "[Department][Company][Office][City][StateOrProvince][CountryOrRegion][Title]"}, nil},
		{"escapes", NamingPolicy{Prefix: "[[x]] {{y}} "}, nil},
		{"custom chars", NamingPolicy{AllowedCharacters: "chars:ab -", Prefix: "a-"}, nil},
		{"max 256", NamingPolicy{MaxLength: 256}, nil},
		{"unknown attribute", NamingPolicy{Prefix: "[postalCode]"}, []string{"[postalCode] is not a known attribute", "[Department]"}},
		{"empty attribute", NamingPolicy{Prefix: "[]"}, []string{"[] is not a known attribute"}},
		{"bad field id", NamingPolicy{Suffix: "{1x}"}, []string{"{1x} is not a valid request field id"}},
		{"unclosed bracket", NamingPolicy{Prefix: "[Department-"}, []string{`prefix: "[" at character 1 is not closed by "]"`}},
		{"mismatched", NamingPolicy{Prefix: "[Department}"}, []string{`"[" at character 1 is not closed`, `"}" at character 12 has no opening`}},
		{"stray closing", NamingPolicy{Suffix: "-x]"}, []string{`suffix: "]" at character 3 has no opening bracket`}},
		{"nested", NamingPolicy{Prefix: "[Dep[Title]]"}, []string{`"[" at character 1 is not closed`}},
		{"max length too big", NamingPolicy{MaxLength: 257}, []string{"maxLength 257 is out of range"}},
		{"max length negative", NamingPolicy{MaxLength: -1}, []string{"maxLength -1 is out of range"}},
		{"min negative", NamingPolicy{MinUserPartLength: -2}, []string{"minUserPartLength -2 is negative"}},
		{"prefix and suffix fill the name", NamingPolicy{Prefix: "ABCDE", Suffix: "FGHIJ", MaxLength: 10}, []string{"leaves no room"}},
		{"min length does not fit", NamingPolicy{Prefix: "AB", MaxLength: 10, MinUserPartLength: 9}, []string{"leaves no room"}},
		{"huge min length does not overflow", NamingPolicy{MinUserPartLength: math.MaxInt}, []string{"leaves no room"}},
		{"fits exactly", NamingPolicy{Prefix: "AB", MaxLength: 10, MinUserPartLength: 8}, nil},
		{"unknown preset", NamingPolicy{AllowedCharacters: "alnum"}, []string{`allowedCharacters "alnum" is not known`}},
		{"empty custom set", NamingPolicy{AllowedCharacters: "chars:"}, []string{"lists no characters"}},
		{"control in custom set", NamingPolicy{AllowedCharacters: "chars:ab\x00"}, []string{"U+0000, which is not a printable character"}},
		{"prefix text not allowed", NamingPolicy{AllowedCharacters: AllowASCIIAlnumSpaceDash, Prefix: "R&D_"}, []string{`prefix contains "&", "_"`}},
		{"tab in suffix", NamingPolicy{Suffix: "\tFR"}, []string{"suffix contains U+0009"}},
		{"blank blocked word", NamingPolicy{BlockedWords: []string{"ok", "  "}}, []string{"blockedWords entry 2 is empty"}},
		{"too many blocked words", NamingPolicy{BlockedWords: slices.Repeat([]string{"x"}, 5001)}, []string{"blockedWords has 5001 entries"}},
		{"several problems at once", NamingPolicy{Prefix: "[Nope]", MaxLength: 300}, []string{"[Nope]", "maxLength 300"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindInvalid || e.Code != "naming_policy_invalid" {
				t.Fatalf("got %v, want KindInvalid naming_policy_invalid", err)
			}
			for _, frag := range tt.want {
				if !strings.Contains(e.Message, frag) {
					t.Errorf("message %q lacks %q", e.Message, frag)
				}
			}
		})
	}
}

func TestNamingTokens(t *testing.T) {
	p := NamingPolicy{Prefix: "[department]-{code}-", Suffix: "-[Department]-[Title]-{code}-{other}-[bogus]"}
	attrs, fields := p.Tokens()
	if !slices.Equal(attrs, []string{"Department", "Title"}) || !slices.Equal(fields, []string{"code", "other"}) {
		t.Errorf("Tokens() = %v %v", attrs, fields)
	}
	if a, f := (NamingPolicy{}).Tokens(); a != nil || f != nil {
		t.Errorf("zero policy Tokens() = %v %v", a, f)
	}
}

func TestNamingResult(t *testing.T) {
	p := NamingPolicy{Prefix: "[Department]-", BlockedWords: []string{"ceo"}}
	ok := p.Apply(NamingInput{Requested: "Alpha", Requester: map[string]string{"Department": "Sales"}})
	if !ok.Valid() || ok.Err() != nil || ok.MailNickname != "sales-alpha" {
		t.Fatalf("got %+v", ok)
	}
	b, _ := json.Marshal(ok)
	if !strings.Contains(string(b), `"violations":[]`) {
		t.Errorf("valid result encodes as %s; want an empty violations array", b)
	}
	bad := p.Apply(NamingInput{Requested: "CEO"})
	err := bad.Err()
	var e *Error
	if bad.Valid() || !errors.As(err, &e) || e.Kind != KindInvalid || e.Code != NamingTokenMissing ||
		!strings.Contains(e.Message, `"ceo" is not allowed`) {
		t.Fatalf("Err() = %v", err)
	}
}

func TestNamingMessagesCoverEveryVariant(t *testing.T) {
	variants := []struct {
		code string
		args map[string]string
	}{
		{NamingEmpty, nil},
		{NamingTooShort, map[string]string{"min": "3", "length": "1"}},
		{NamingTooLong, map[string]string{"max": "3", "length": "5", "excess": "2"}},
		{NamingBlockedWord, map[string]string{"word": "w", "source": "name"}},
		{NamingBlockedWord, map[string]string{"word": "w", "source": "field", "field": "f"}},
		{NamingCharacterNotAllowed, map[string]string{"character": `"&"`, "allowed": "x", "source": "name"}},
		{NamingCharacterNotAllowed, map[string]string{"character": `"&"`, "allowed": "x", "source": "policy", "part": "prefix"}},
		{NamingTokenMissing, map[string]string{"token": "t", "source": "attribute"}},
		{NamingTokenMissing, map[string]string{"token": "t", "source": "field"}},
		{NamingTokenUnknown, map[string]string{"token": "[x]"}},
	}
	used := map[string]bool{}
	for _, v := range variants {
		key := namingMessageKey(v.code, v.args)
		used[key] = true
		msg := newNamingViolation(v.code, v.args).Message
		if _, ok := namingMessages[key]; !ok || strings.ContainsAny(msg, "{}") {
			t.Errorf("%s: message %q (missing entry or unfilled placeholder)", key, msg)
		}
	}
	for key := range namingMessages {
		if !used[key] {
			t.Errorf("message %q is never produced", key)
		}
	}
}
