package governance

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestFrenchFormatsKeepTheVerbs(t *testing.T) {
	for english, french := range frenchFormats {
		if got, want := verbSignature(french), verbSignature(english); !slices.Equal(got, want) {
			t.Errorf("%q: French verbs %v, English %v", french, got, want)
		}
		if strings.TrimSpace(french) == "" {
			t.Errorf("%q: empty French", english)
		}
	}
}

func TestFormatVerbs(t *testing.T) {
	for format, want := range map[string][]string{
		"%s is %d%%":           {"1s", "2d"},
		"%[2]s then %[1]q":     {"2s", "1q"},
		"%-5.2f %*d %[1]v %v":  {"1f", "2*", "3d", "1v", "2v"},
		"no verbs, 100%% sure": nil,
	} {
		var got []string
		for _, v := range formatVerbs(format) {
			got = append(got, fmt.Sprint(v.arg)+string(v.verb))
		}
		if !slices.Equal(got, want) {
			t.Errorf("formatVerbs(%q) = %v, want %v", format, got, want)
		}
	}
}

// frenchTexts is every French text, for the checks that apply to all.
func frenchTexts() map[string]string {
	out := maps.Clone(frenchFormats)
	for k, v := range frenchNamingMessages {
		out["naming "+k] = v
	}
	return out
}

func TestFrenchTypography(t *testing.T) {
	for key, french := range frenchTexts() {
		for i, r := range french {
			if !strings.ContainsRune(":;?!", r) || i == 0 {
				continue
			}
			if r == ':' && strings.HasPrefix(french[i:], "://") {
				continue
			}
			prev, _ := utf8.DecodeLastRuneInString(french[:i])
			// A colon between digits is a time of day (09:30), not punctuation.
			if next, _ := utf8.DecodeRuneInString(french[i+1:]); r == ':' && unicode.IsDigit(prev) && unicode.IsDigit(next) {
				continue
			}
			if prev != '\u00a0' && prev != '\u202f' {
				t.Errorf("%q: %q needs a no-break space before it in %q", key, r, french)
			}
		}
	}
}

func TestFrenchNamingMessagesMatchEnglish(t *testing.T) {
	placeholders := regexp.MustCompile(`\{[a-zA-Z]+\}`)
	for key, english := range namingMessages {
		french, ok := frenchNamingMessages[key]
		if !ok {
			t.Errorf("no French for naming message %q", key)
			continue
		}
		want := placeholders.FindAllString(english, -1)
		got := placeholders.FindAllString(french, -1)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(slices.Compact(got), slices.Compact(want)) {
			t.Errorf("%q: French placeholders %v, English %v", key, got, want)
		}
	}
	for key := range frenchNamingMessages {
		if _, ok := namingMessages[key]; !ok {
			t.Errorf("stale French naming message %q", key)
		}
	}
}

func TestLocalizeViolation(t *testing.T) {
	v := newNamingViolation(NamingCharacterNotAllowed, map[string]string{
		"character": `"&"`, "allowed": "letters", "source": "policy", "part": "prefix",
	})
	if got := LocalizeViolation(v, "en-GB"); got != v.Message {
		t.Errorf("English: %q, want %q", got, v.Message)
	}
	want := "Le préfixe du nom d’équipe contient \"&\", que ce modèle n’autorise pas (uniquement letters)\u202f; demandez au propriétaire du modèle de corriger la stratégie de nommage."
	if got := LocalizeViolation(v, "fr-FR"); got != want {
		t.Errorf("French:\n got %q\nwant %q", got, want)
	}
	if v.Args["part"] != "prefix" {
		t.Error("LocalizeViolation changed the violation's args")
	}
	odd := NamingViolation{Code: "name_from_the_future", Message: "Future text."}
	if got := LocalizeViolation(odd, "fr"); got != odd.Message {
		t.Errorf("unknown code: %q, want the English fallback", got)
	}
}

func TestLocalize(t *testing.T) {
	var two problems
	two.add("a team needs at least one owner")
	two.add("the template asks no question %q", "budget")
	changed := Errorf(KindInvalid, "changed", "the API key is not valid")
	changed.Message = "set by hand"

	tests := []struct {
		name      string
		err       error
		lang      string
		code, msg string
	}{
		{
			name: "invalid with args",
			err:  Errorf(KindInvalid, "api_key_scopes_invalid", "unknown scope %q: use one of %s", "admin", "requests:read, requests:write"),
			lang: "fr",
			code: "api_key_scopes_invalid",
			msg:  "portée \"admin\" inconnue\u202f; utilisez l’une des suivantes\u00a0: requests:read, requests:write",
		},
		{
			name: "wrapped, regional French",
			err:  fmt.Errorf("store: %w", Errorf(KindNotFound, "request_not_found", "there is no request %q", "r1")),
			lang: "fr-CA",
			code: "request_not_found",
			msg:  "la demande \"r1\" n’existe pas",
		},
		{
			name: "problems, each part translated",
			err:  two.err("request_invalid"),
			lang: "fr",
			code: "request_invalid",
			msg:  "une équipe nécessite au moins un propriétaire\u202f; le modèle ne pose pas de question \"budget\"",
		},
		{
			name: "problems in English are unchanged",
			err:  two.err("request_invalid"),
			lang: "en",
			code: "request_invalid",
			msg:  "a team needs at least one owner; the template asks no question \"budget\"",
		},
		{
			name: "forwarding helper with a prefix",
			err:  ValidateWebhookURL("", false),
			lang: "fr",
			code: "webhook_url_invalid",
			msg:  "URL du webhook\u00a0: saisissez l’URL https:// de votre point de terminaison",
		},
		{
			name: "internal",
			err:  errors.New("dial tcp 10.0.0.7:5432: connection refused"),
			lang: "fr",
			code: "internal",
			msg:  "Une erreur s’est produite de notre côté. Elle a été enregistrée\u202f; réessayez plus tard.",
		},
		{
			name: "classified internal",
			err:  Errorf(KindInternal, "db_broken", "the API key is not valid"),
			lang: "fr",
			code: "internal",
			msg:  frenchFormats[internalMessage],
		},
		{
			name: "unknown language is English",
			err:  Errorf(KindNotFound, "request_not_found", "there is no request %q", "r1"),
			lang: "de",
			code: "request_not_found",
			msg:  `there is no request "r1"`,
		},
		{
			name: "no translation falls back to English",
			err:  Errorf(KindInvalid, "x", "not in any catalogue: %d", 3),
			lang: "fr",
			code: "x",
			msg:  "not in any catalogue: 3",
		},
		{
			name: "wrap keeps a percent sign",
			err:  Wrap(KindUnavailable, "store_unavailable", "100% of replicas are down", errors.New("x")),
			lang: "fr",
			code: "store_unavailable",
			msg:  "100% of replicas are down",
		},
		{
			name: "message changed by hand is kept",
			err:  changed,
			lang: "fr",
			code: "changed",
			msg:  "set by hand",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, msg := Localize(tt.err, tt.lang)
			if code != tt.code || msg != tt.msg {
				t.Errorf("Localize = %q, %q\nwant       %q, %q", code, msg, tt.code, tt.msg)
			}
			if tt.lang == "en" || tt.lang == "de" {
				pc, pm := Public(tt.err)
				if pc != code || pm != msg {
					t.Errorf("English differs from Public: %q, %q", pc, pm)
				}
			}
		})
	}
}

func TestPreferredLanguage(t *testing.T) {
	for header, want := range map[string]string{
		"fr-CA,fr;q=0.9,en;q=0.8":    "fr",
		"en-US,en;q=0.9,fr;q=0.8":    "en",
		"de":                         "en",
		"":                           "en",
		"*":                          "en",
		"FR":                         "fr",
		"de-DE,fr;q=0.5":             "fr",
		"en;q=0.4, fr;q=0.6":         "fr",
		"fr;q=0":                     "en",
		"fr;q=high":                  "en",
		"fr_FR":                      "fr",
		"fr;level=1;q=0.7,en;q=0.6":  "fr",
		"en;q=0.5,fr;q=0.5":          "en",
		"  fr-BE ; q=0.8 , de;q=0.9": "fr",
	} {
		if got := PreferredLanguage(header); got != want {
			t.Errorf("PreferredLanguage(%q) = %q, want %q", header, got, want)
		}
	}
}

func TestFrenchTablesDoNotOverlap(t *testing.T) {
	seen := map[string]int{}
	for i, table := range []map[string]string{frenchCoreFormats, frenchPageFormats, frenchAdminFormats, frenchCatalogFormats, frenchTrustFormats} {
		for k := range table {
			if j, ok := seen[k]; ok {
				t.Errorf("%q is translated in table %d and table %d: keep one", k, j, i)
			}
			seen[k] = i
		}
	}
}
