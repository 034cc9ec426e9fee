package governance

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxDisplayNameLength is Microsoft Graph's limit for a group's displayName
// ("Maximum length is 256 characters", group resource type). Teams are
// Microsoft 365 groups, so no naming policy may allow more.
const MaxDisplayNameLength = 256

// namingMaxBlockedWords mirrors Microsoft Entra's limit of 5,000 custom blocked
// words: a longer list is almost certainly a mistake (a pasted dictionary).
const namingMaxBlockedWords = 5000

// namingMaxCharViolations caps how many distinct disallowed characters are
// reported, so pasting a paragraph of emoji does not flood the preview.
const namingMaxCharViolations = 5

// NamingPolicy is part of a template's policies: how the display name of a
// team created from the template is built and what it may contain. It works
// like Microsoft Entra's group naming policy (prefix and suffix with
// directory attributes, custom blocked words) and adds request fields,
// length and character rules. The zero value asks only for what Microsoft 365
// itself needs: a non-empty name of printable characters, at most 256 long.
//
// Prefix and Suffix are templates: literal text mixed with tokens.
// [Attribute] is a directory attribute of the requester (Department, Company,
// Office, City, StateOrProvince, CountryOrRegion, Title; any case), and
// {field_id} is the value of a request field. "[[", "]]", "{{" and "}}" write
// a literal bracket or brace.
type NamingPolicy struct {
	// Prefix is put before the name the user types, e.g. "[Department]-".
	Prefix string `json:"prefix,omitempty"`
	// Suffix is put after it, e.g. "-[CountryOrRegion]" or "-{project_code}".
	Suffix string `json:"suffix,omitempty"`
	// BlockedWords may not appear in what the requester wrote (the typed name
	// and request-field values). They match case- and accent-insensitively
	// ("Sàles" matches "sales") and, unless BlockSubstrings is set, only as
	// whole words: "HR" blocks "HR team" but not "Three".
	BlockedWords []string `json:"blockedWords,omitempty"`
	// BlockSubstrings makes blocked words match anywhere, inside other words
	// too ("HR" then blocks "Three").
	BlockSubstrings bool `json:"blockSubstrings,omitempty"`
	// MaxLength limits the final display name, prefix and suffix included,
	// counted in characters (runes) as Microsoft counts them. 0 means
	// MaxDisplayNameLength, which is also the most a policy may set.
	MaxLength int `json:"maxLength,omitempty"`
	// AllowedCharacters restricts the characters of the whole display name:
	// AllowAnyPrintable (""), AllowASCIIAlnumSpaceDash,
	// AllowLettersDigitsSpaceDashUnderscore or AllowCustomPrefix followed by
	// the allowed characters ("chars:abc -").
	AllowedCharacters string `json:"allowedCharacters,omitempty"`
	// MinUserPartLength is the fewest characters the user must type (after
	// trimming), so a prefix alone does not become a team name.
	MinUserPartLength int `json:"minUserPartLength,omitempty"`
}

// NamingInput is what a name is built from.
type NamingInput struct {
	// Requested is what the user typed.
	Requested string
	// Requester holds the requester's directory attributes by token name
	// (Department, Company, Office, City, StateOrProvince, CountryOrRegion,
	// Title). Keys match case-insensitively.
	Requester map[string]string
	// Fields holds request field values by field id, for {field_id} tokens.
	Fields map[string]string
}

// NamingResult is the outcome of applying a policy, for the preview endpoint
// (called as the user types) and for validating a request.
type NamingResult struct {
	// DisplayName is the final name. While tokens are missing it shows them
	// as written ("[Department]"), so the preview still reads sensibly.
	DisplayName string `json:"displayName"`
	// MailNickname is DeriveMailNickname(DisplayName); it is not checked for
	// uniqueness here (see UniqueMailNickname).
	MailNickname string `json:"mailNickname"`
	// Violations lists everything wrong, in a stable order; empty means the
	// name is valid. Never nil, so it encodes as [] rather than null.
	Violations []NamingViolation `json:"violations"`
}

// NamingViolation is one thing wrong with a name.
type NamingViolation struct {
	// Code is stable: name_empty, name_too_short, name_too_long,
	// name_blocked_word, name_character_not_allowed, name_token_missing,
	// name_token_unknown.
	Code string `json:"code"`
	// Message is user-safe English that says what to fix.
	Message string `json:"message"`
	// Args are the values in Message, so another language can rebuild it
	// from Code and Args (see namingMessages).
	Args map[string]string `json:"args,omitempty"`
}

// Valid reports whether the name has no violations.
func (r NamingResult) Valid() bool { return len(r.Violations) == 0 }

// Err returns nil for a valid name, or a KindInvalid error whose code is the
// first violation's and whose message lists every violation, for service
// methods that reject a request with an invalid name.
func (r NamingResult) Err() error {
	if r.Valid() {
		return nil
	}
	msgs := make([]string, len(r.Violations))
	for i, v := range r.Violations {
		msgs[i] = v.Message
	}
	return Errorf(KindInvalid, r.Violations[0].Code, "%s", strings.Join(msgs, " "))
}

// maxLength is the effective limit: MaxLength, defaulted and capped.
func (p NamingPolicy) maxLength() int {
	if p.MaxLength <= 0 || p.MaxLength > MaxDisplayNameLength {
		return MaxDisplayNameLength
	}
	return p.MaxLength
}

// Tokens returns the directory attributes (canonical names) and request field
// ids that Prefix and Suffix use, each once, in order of appearance: what the
// caller must look up before calling Apply, and what a template's form must
// ask for.
func (p NamingPolicy) Tokens() (attributes, fields []string) {
	seen := make(map[string]bool)
	for _, tmpl := range []string{p.Prefix, p.Suffix} {
		segs, _ := parseNamingTemplate("", tmpl)
		for _, s := range segs {
			if s.token == "" || s.unknown {
				continue
			}
			key := strconv.FormatBool(s.field) + s.token
			if seen[key] {
				continue
			}
			seen[key] = true
			if s.field {
				fields = append(fields, s.token)
			} else {
				attributes = append(attributes, s.token)
			}
		}
	}
	return attributes, fields
}

// Validate checks the policy itself, for catalog managers editing a
// template. It returns nil or a KindInvalid error with code
// naming_policy_invalid whose message lists every problem and how to fix it:
// unknown tokens, unbalanced brackets, MaxLength outside 0–256, fixed text
// that leaves no room for a name, unknown or malformed AllowedCharacters,
// fixed text the allowed characters reject, and empty blocked words.
func (p NamingPolicy) Validate() error {
	var problems []string
	prefix, pp := parseNamingTemplate("prefix", p.Prefix)
	suffix, sp := parseNamingTemplate("suffix", p.Suffix)
	problems = append(problems, pp...)
	problems = append(problems, sp...)

	if p.MaxLength < 0 || p.MaxLength > MaxDisplayNameLength {
		problems = append(problems, fmt.Sprintf("maxLength %d is out of range: use 1 to %d, or 0 for Microsoft 365's limit of %d",
			p.MaxLength, MaxDisplayNameLength, MaxDisplayNameLength))
	}
	if p.MinUserPartLength < 0 {
		problems = append(problems, fmt.Sprintf("minUserPartLength %d is negative: use 0 for no minimum", p.MinUserPartLength))
	}
	fixed := 0
	for _, segs := range [][]namingSegment{prefix, suffix} {
		for _, s := range segs {
			fixed += utf8.RuneCountInString(s.literal)
		}
	}
	// Compared by subtraction so a huge minUserPartLength cannot overflow.
	if max(1, p.MinUserPartLength) > p.maxLength()-fixed {
		problems = append(problems, fmt.Sprintf("the fixed text of the prefix and suffix (%d characters) plus at least %d typed leaves no room within the maximum length of %d: shorten the prefix or suffix, or raise maxLength",
			fixed, max(1, p.MinUserPartLength), p.maxLength()))
	}

	cs, err := parseNamingCharSet(p.AllowedCharacters)
	if err != nil {
		problems = append(problems, err.Error())
	} else {
		for _, part := range []struct {
			where string
			segs  []namingSegment
		}{{"prefix", prefix}, {"suffix", suffix}} {
			var bad []string
			for _, s := range part.segs {
				for _, r := range s.literal {
					// Apply turns tabs and newlines into spaces; in fixed text
					// they are mistakes, so they are refused here.
					if !cs.allow(r) || unicode.IsSpace(r) && r != ' ' {
						if d := namingRuneDisplay(r); !slices.Contains(bad, d) {
							bad = append(bad, d)
						}
					}
				}
			}
			if len(bad) > 0 {
				problems = append(problems, fmt.Sprintf("%s contains %s, which allowedCharacters does not allow: remove it or allow it",
					part.where, strings.Join(bad, ", ")))
			}
		}
	}

	if len(p.BlockedWords) > namingMaxBlockedWords {
		problems = append(problems, fmt.Sprintf("blockedWords has %d entries: at most %d are allowed", len(p.BlockedWords), namingMaxBlockedWords))
	}
	for i, w := range p.BlockedWords {
		if FoldForMatch(w) == "" {
			problems = append(problems, fmt.Sprintf("blockedWords entry %d is empty: remove it", i+1))
		}
	}

	if len(problems) > 0 {
		return Errorf(KindInvalid, "naming_policy_invalid", "The naming policy is invalid: %s.", strings.Join(problems, "; "))
	}
	return nil
}

// namingRendered is a prefix or suffix with its tokens substituted.
type namingRendered struct {
	text   string
	fields map[string]string // field id → value used, for blocked-word checks
}

// namingRender substitutes tokens in segs, appending violations for missing and
// unknown tokens. A missing value is shown as the token itself.
func namingRender(segs []namingSegment, in NamingInput, violations *[]NamingViolation, reported map[string]bool) namingRendered {
	var b strings.Builder
	out := namingRendered{fields: map[string]string{}}
	for _, s := range segs {
		switch {
		case s.token == "" && !s.unknown:
			b.WriteString(s.literal)
		case s.unknown:
			b.WriteString(s.raw)
			if !reported["?"+s.raw] {
				reported["?"+s.raw] = true
				*violations = append(*violations, newNamingViolation(NamingTokenUnknown, map[string]string{"token": s.raw}))
			}
		default:
			var v string
			source := "attribute"
			if s.field {
				source = "field"
				v = namingNormalizeSpace(in.Fields[s.token])
			} else {
				v = namingNormalizeSpace(namingLookup(in.Requester, s.token))
			}
			if v == "" {
				b.WriteString(s.raw)
				if key := source + s.token; !reported[key] {
					reported[key] = true
					*violations = append(*violations, newNamingViolation(NamingTokenMissing, map[string]string{"token": s.token, "source": source}))
				}
				continue
			}
			if s.field {
				out.fields[s.token] = v
			}
			b.WriteString(v)
		}
	}
	out.text = b.String()
	return out
}

// namingLookup finds key in m ignoring case, preferring an exact match. When
// several keys differ only in case, the smallest wins, so the result does not
// depend on map iteration order.
func namingLookup(m map[string]string, key string) string {
	if v, ok := m[key]; ok {
		return v
	}
	best, found := "", false
	for k := range m {
		if strings.EqualFold(k, key) && (!found || k < best) {
			best, found = k, true
		}
	}
	if !found {
		return ""
	}
	return m[best]
}

// namingNormalizeSpace makes s valid UTF-8, trims it and collapses every run of
// whitespace (tabs and newlines included) into one space: pasted names often
// carry stray whitespace, and Teams shows it collapsed anyway.
func namingNormalizeSpace(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToValidUTF8(s, "\uFFFD"), unicode.IsSpace), " ")
}

// namingCollapseSpace is namingNormalizeSpace without the trimming, for parts that are
// joined to others.
func namingCollapseSpace(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	inSpace := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			if !inSpace {
				b.WriteByte(' ')
			}
			inSpace = true
			continue
		}
		inSpace = false
		b.WriteRune(r)
	}
	return b.String()
}

// Apply builds the display name for in and reports everything wrong with it.
// It is pure and cheap, so the preview endpoint can call it on every
// keystroke. It trims and collapses whitespace in what the user typed,
// substitutes the tokens, then checks, in this order: tokens, the typed part
// (empty, too short), blocked words in what the requester wrote (the typed
// name and request-field values, never the fixed text or directory
// attributes, which the requester cannot change), allowed characters on the
// whole name, and its length in characters.
func (p NamingPolicy) Apply(in NamingInput) NamingResult {
	violations := []NamingViolation{}
	user := namingNormalizeSpace(in.Requested)

	prefixSegs, _ := parseNamingTemplate("prefix", p.Prefix)
	suffixSegs, _ := parseNamingTemplate("suffix", p.Suffix)
	reported := map[string]bool{}
	prefix := namingRender(prefixSegs, in, &violations, reported)
	suffix := namingRender(suffixSegs, in, &violations, reported)
	display := namingNormalizeSpace(prefix.text + user + suffix.text)

	userLen := utf8.RuneCountInString(user)
	switch {
	case userLen == 0:
		violations = append(violations, newNamingViolation(NamingEmpty, nil))
	case userLen < p.MinUserPartLength:
		violations = append(violations, newNamingViolation(NamingTooShort, map[string]string{
			"min": strconv.Itoa(p.MinUserPartLength), "length": strconv.Itoa(userLen),
		}))
	}

	violations = append(violations, p.blockedWordViolations(user, prefix, suffix)...)
	violations = append(violations, p.charViolations(user, namingCollapseSpace(prefix.text), namingCollapseSpace(suffix.text))...)

	if n, limit := utf8.RuneCountInString(display), p.maxLength(); n > limit {
		violations = append(violations, newNamingViolation(NamingTooLong, map[string]string{
			"max": strconv.Itoa(limit), "length": strconv.Itoa(n), "excess": strconv.Itoa(n - limit),
		}))
	}

	return NamingResult{DisplayName: display, MailNickname: DeriveMailNickname(display), Violations: violations}
}

// blockedWordViolations reports each blocked word found in the typed name,
// then in request-field values, once per word and place.
func (p NamingPolicy) blockedWordViolations(user string, parts ...namingRendered) []NamingViolation {
	if len(p.BlockedWords) == 0 {
		return nil
	}
	// Fold once per call; entries that fold alike ("CEO", "ceo") are one word
	// and reported once, under their first spelling.
	type word struct{ folded, shown string }
	var words []word
	seenWord := map[string]bool{}
	for _, w := range p.BlockedWords {
		if f := FoldForMatch(w); f != "" && !seenWord[f] {
			seenWord[f] = true
			words = append(words, word{f, strings.TrimSpace(w)})
		}
	}
	var out []NamingViolation
	check := func(text string, args func(word string) map[string]string) {
		folded := FoldForMatch(text)
		if folded == "" {
			return
		}
		for _, w := range words {
			if namingContainsBlocked(folded, w.folded, p.BlockSubstrings) {
				out = append(out, newNamingViolation(NamingBlockedWord, args(w.shown)))
			}
		}
	}
	check(user, func(w string) map[string]string { return map[string]string{"word": w, "source": "name"} })
	seen := map[string]bool{}
	for _, part := range parts {
		for _, id := range slices.Sorted(maps.Keys(part.fields)) {
			if seen[id] {
				continue
			}
			seen[id] = true
			check(part.fields[id], func(w string) map[string]string {
				return map[string]string{"word": w, "source": "field", "field": id}
			})
		}
	}
	return out
}

// namingContainsBlocked reports whether the folded word occurs in the folded text:
// anywhere when substrings is set, otherwise only where it is not glued to
// other letters or digits. The boundary test applies only at an edge of the
// word that is itself a letter or digit, so a blocked "c++" still matches
// "c++ team".
func namingContainsBlocked(text, word string, substrings bool) bool {
	if word == "" {
		return false
	}
	if substrings {
		return strings.Contains(text, word)
	}
	first, _ := utf8.DecodeRuneInString(word)
	last, _ := utf8.DecodeLastRuneInString(word)
	for from := 0; from <= len(text)-len(word); {
		i := strings.Index(text[from:], word)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(word)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		okBefore := start == 0 || !namingWordRune(first) || !namingWordRune(before)
		okAfter := end == len(text) || !namingWordRune(last) || !namingWordRune(after)
		if okBefore && okAfter {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[start:])
		from = start + size
	}
	return false
}

func namingWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// charViolations reports the distinct characters the policy does not allow,
// first in the typed name (the user can fix those), then in the prefix and
// suffix (only the template owner can).
func (p NamingPolicy) charViolations(user, prefix, suffix string) []NamingViolation {
	cs, err := parseNamingCharSet(p.AllowedCharacters)
	if err != nil {
		// An unvalidated policy with a bad set: fall back to the default so
		// control characters are still refused.
		cs, _ = parseNamingCharSet(AllowAnyPrintable)
	}
	var out []NamingViolation
	seen := map[rune]bool{}
	for _, part := range []struct{ name, text string }{{"name", user}, {"prefix", prefix}, {"suffix", suffix}} {
		for _, r := range part.text {
			if cs.allow(r) || seen[r] {
				continue
			}
			seen[r] = true
			if len(seen) > namingMaxCharViolations {
				return out
			}
			args := map[string]string{
				"character": namingRuneDisplay(r),
				"codePoint": namingCodePoint(r),
				"allowed":   cs.describe,
				"source":    "name",
			}
			if part.name != "name" {
				args["source"] = "policy"
				args["part"] = part.name
			}
			out = append(out, newNamingViolation(NamingCharacterNotAllowed, args))
		}
	}
	return out
}
