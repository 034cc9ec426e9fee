package governance

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Languages a user-facing message can be rendered in. English is the source
// language: its format strings are the message ids of every catalogue, so
// two messages sharing a code never collide and a missing translation falls
// back to the English text rather than to nothing.
const (
	LangEnglish = "en"
	LangFrench  = "fr"
)

// Localize is Public in lang: the error's code and its user-safe message
// rendered in the language lang names ("fr", "fr-CA", ... for French;
// anything else for English). A message with no translation stays English.
func Localize(err error, lang string) (code, message string) {
	lang = normalizeLanguage(lang)
	var e *Error
	if !errors.As(err, &e) || e.Kind == KindInternal {
		return "internal", translate(lang, msg{format: internalMessage})
	}
	return e.Code, e.localMessage(lang)
}

// localMessage renders e's message in lang, or returns the English Message
// when e was not built by Errorf, Wrap or problems, or was changed since.
func (e *Error) localMessage(lang string) string {
	if lang == LangEnglish {
		return e.Message
	}
	if len(e.parts) > 0 {
		eng := make([]string, len(e.parts))
		loc := make([]string, len(e.parts))
		for i, m := range e.parts {
			eng[i] = m.english()
			loc[i] = translate(lang, m)
		}
		if strings.Join(eng, "; ") != e.Message {
			return e.Message
		}
		return strings.Join(loc, listSeparator(lang))
	}
	m := msg{e.format, e.args}
	if e.format == "" || m.english() != e.Message {
		return e.Message
	}
	return translate(lang, m)
}

// translate renders m in lang, falling back to English.
func translate(lang string, m msg) string {
	if lang == LangFrench {
		if f, ok := frenchFormats[m.format]; ok {
			return fmt.Sprintf(f, m.args...)
		}
	}
	return m.english()
}

// listSeparator joins the problems of one error; French puts a narrow
// no-break space before the semicolon.
func listSeparator(lang string) string {
	if lang == LangFrench {
		return "\u202f; "
	}
	return "; "
}

// normalizeLanguage maps a language tag to a supported language.
func normalizeLanguage(tag string) string {
	if strings.EqualFold(primarySubtag(tag), LangFrench) {
		return LangFrench
	}
	return LangEnglish
}

// primarySubtag is "fr" for "fr-CA" (and for "fr_CA", the POSIX spelling).
func primarySubtag(tag string) string {
	primary, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
	primary, _, _ = strings.Cut(primary, "_")
	return primary
}

// PreferredLanguage picks the supported language an Accept-Language header
// ranks highest (RFC 9110, section 12.5.4): the highest quality wins, the
// earlier range on a tie; English when the header names neither French nor
// English. "*" and unsupported languages never select French.
func PreferredLanguage(acceptLanguage string) string {
	best, bestQ := LangEnglish, 0.0
	for _, item := range strings.Split(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(item, ";")
		tag = strings.TrimSpace(tag)
		if tag == "" || tag == "*" {
			continue
		}
		q, ok := acceptQuality(params)
		if !ok {
			continue
		}
		primary := primarySubtag(tag)
		if !strings.EqualFold(primary, LangFrench) && !strings.EqualFold(primary, LangEnglish) {
			continue
		}
		if q > bestQ {
			best, bestQ = normalizeLanguage(primary), q
		}
	}
	return best
}

// acceptQuality is the q parameter of one Accept-Language range (1 when
// absent); ok is false when it is malformed.
func acceptQuality(params string) (q float64, ok bool) {
	q = 1
	for p := range strings.SplitSeq(params, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || v < 0 || v > 1 {
			return 0, false
		}
		q = v
	}
	return q, true
}
