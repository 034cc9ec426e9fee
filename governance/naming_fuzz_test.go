package governance

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Oracles written independently of the implementation, for FuzzApply.
var (
	fuzzASCIIAlnumSpaceDash = regexp.MustCompile(`^[A-Za-z0-9 -]*$`)
	fuzzLettersDigits       = regexp.MustCompile(`^[\p{L}\p{M}\p{Nd} _-]*$`)
)

// fuzzBlocked reports whether the folded word occurs in the folded text as
// the policy defines it.
func fuzzBlocked(text, word string, substrings bool) bool {
	text, word = FoldForMatch(text), FoldForMatch(word)
	if word == "" {
		return false
	}
	if substrings {
		return strings.Contains(text, word)
	}
	const wordClass = `\p{L}\p{Nd}\p{M}`
	pattern := regexp.QuoteMeta(word)
	if first, _ := utf8.DecodeRuneInString(word); regexp.MustCompile(`^[` + wordClass + `]$`).MatchString(string(first)) {
		pattern = `(?:^|[^` + wordClass + `])` + pattern
	}
	if last, _ := utf8.DecodeLastRuneInString(word); regexp.MustCompile(`^[` + wordClass + `]$`).MatchString(string(last)) {
		pattern += `(?:$|[^` + wordClass + `])`
	}
	return regexp.MustCompile(pattern).MatchString(text)
}

var fuzzCharSets = []string{AllowAnyPrintable, AllowASCIIAlnumSpaceDash, AllowLettersDigitsSpaceDashUnderscore, "custom", "bogus"}

func FuzzApply(f *testing.F) {
	f.Add("Project Alpha", "[Department]-", "-{code}", "sales", false, 64, uint8(0), "", "Sales", "P42", 0)
	f.Add("Sàles ÉTÉ", "GRP ", "", "ete", false, 0, uint8(1), "", "", "", 3)
	f.Add("Hauptstraße", "", "-[CountryOrRegion]", "strasse", true, 20, uint8(2), "", "R&D", "", 0)
	f.Add("🚀🚀🚀\u202e\x00", "[[x]] {{", "}}", "c++", false, 5, uint8(3), "abc -🚀", "", "payroll", 1)
	f.Add("  a\t\nb  ", "[Bogus", "]", "", false, 300, uint8(4), "", "", "", -1)
	f.Add(strings.Repeat("ß", 100), "[Office]", "{x}", "ss", true, 1, uint8(0), "", "Paris", "", 0)
	f.Add("a\xffb", "\xfe", "{", "\xff", false, 10, uint8(0), "\xff", "\xff", "\xff", 0)
	f.Fuzz(func(t *testing.T, typed, prefix, suffix, blocked string, substrings bool, maxLength int, set uint8, custom, dept, code string, minUser int) {
		allowed := fuzzCharSets[int(set)%len(fuzzCharSets)]
		if allowed == "custom" {
			allowed = AllowCustomPrefix + custom
		}
		p := NamingPolicy{
			Prefix: prefix, Suffix: suffix, BlockedWords: []string{blocked}, BlockSubstrings: substrings,
			MaxLength: maxLength, AllowedCharacters: allowed, MinUserPartLength: minUser,
		}
		in := NamingInput{Requested: typed, Requester: map[string]string{"department": dept}, Fields: map[string]string{"code": code}}

		_ = p.Validate() // must not panic either
		r := p.Apply(in)
		if again := p.Apply(in); !reflect.DeepEqual(r, again) {
			t.Fatalf("Apply is not deterministic: %+v vs %+v", r, again)
		}
		checkMailNickname(t, r.MailNickname)
		if DeriveMailNickname(r.MailNickname) != r.MailNickname {
			t.Fatalf("DeriveMailNickname not idempotent on %q", r.MailNickname)
		}
		if r.Violations == nil {
			t.Fatal("Violations is nil; want an empty slice")
		}
		for _, v := range r.Violations {
			if _, ok := namingMessages[namingMessageKey(v.Code, v.Args)]; !ok || v.Message == "" {
				t.Fatalf("bad violation %+v", v)
			}
		}
		if !utf8.ValidString(r.DisplayName) {
			t.Fatalf("DisplayName %q is not valid UTF-8", r.DisplayName)
		}
		if !r.Valid() {
			return
		}

		limit := maxLength
		if limit <= 0 || limit > 256 {
			limit = 256
		}
		if n := utf8.RuneCountInString(r.DisplayName); n > limit {
			t.Fatalf("valid name %q has %d runes, limit %d", r.DisplayName, n, limit)
		}
		user := strings.Join(strings.FieldsFunc(typed, unicode.IsSpace), " ")
		if user == "" || !strings.Contains(r.DisplayName, user) {
			t.Fatalf("valid name %q does not contain the typed part %q", r.DisplayName, user)
		}
		if utf8.RuneCountInString(user) < minUser {
			t.Fatalf("valid name with typed part %q shorter than %d", user, minUser)
		}
		if fuzzBlocked(user, blocked, substrings) {
			t.Fatalf("valid name %q contains blocked word %q (substrings=%v)", user, blocked, substrings)
		}
		if strings.Contains(prefix+suffix, "{code}") && fuzzBlocked(code, blocked, substrings) {
			t.Fatalf("valid name uses field value %q with blocked word %q", code, blocked)
		}
		switch allowed {
		case AllowASCIIAlnumSpaceDash:
			if !fuzzASCIIAlnumSpaceDash.MatchString(r.DisplayName) {
				t.Fatalf("valid name %q breaks %s", r.DisplayName, allowed)
			}
		case AllowLettersDigitsSpaceDashUnderscore:
			if !fuzzLettersDigits.MatchString(r.DisplayName) {
				t.Fatalf("valid name %q breaks %s", r.DisplayName, allowed)
			}
		case AllowAnyPrintable:
			for _, c := range r.DisplayName {
				if unicode.IsControl(c) || c == utf8.RuneError || unicode.Is(unicode.Bidi_Control, c) {
					t.Fatalf("valid name %q contains %U", r.DisplayName, c)
				}
			}
		default:
			if _, err := parseNamingCharSet(allowed); err == nil {
				set := strings.TrimPrefix(allowed, AllowCustomPrefix)
				for _, c := range r.DisplayName {
					if !strings.ContainsRune(set, c) {
						t.Fatalf("valid name %q contains %q outside %q", r.DisplayName, c, set)
					}
				}
			}
		}
	})
}
