package governance

import (
	"maps"
	"slices"
	"strings"
)

// Naming violation codes. They are stable: clients and translations key on them.
const (
	NamingEmpty               = "name_empty"
	NamingTooShort            = "name_too_short"
	NamingTooLong             = "name_too_long"
	NamingBlockedWord         = "name_blocked_word"
	NamingCharacterNotAllowed = "name_character_not_allowed"
	NamingTokenMissing        = "name_token_missing"
	NamingTokenUnknown        = "name_token_unknown"
)

// namingMessages is the one place the English text of naming violations
// lives, so a later catalogue (French, ...) can be a second table with the
// same keys. The key is the violation's Code, or Code + "." + Args["source"]
// when the violation has a source (who can fix it decides the wording).
// {name} is replaced by Args[name].
var namingMessages = map[string]string{
	NamingEmpty:    "Type a name for the team.",
	NamingTooShort: "Use at least {min} characters for the name, not counting the prefix and suffix (you typed {length}).",
	NamingTooLong:  "Team names can be at most {max} characters including the prefix and suffix; this one has {length}, so remove {excess}.",

	NamingBlockedWord + ".name":  `"{word}" is not allowed in team names; remove it or use another word.`,
	NamingBlockedWord + ".field": `"{word}" is not allowed in team names; change the "{field}" field.`,

	NamingCharacterNotAllowed + ".name":   "Remove {character} from the name: team names can contain only {allowed}.",
	NamingCharacterNotAllowed + ".policy": "The team name's {part} contains {character}, which this template does not allow (only {allowed}); ask the template owner to fix the naming policy.",

	NamingTokenMissing + ".attribute": "The team name includes your {token} from the company directory, but your profile has none; ask your IT administrator to fill it in.",
	NamingTokenMissing + ".field":     `Fill in the "{token}" field: the team name includes it.`,

	NamingTokenUnknown: "The naming policy uses {token}, which Steward does not know; ask the template owner to fix the naming policy.",
}

// namingMessageKey is the key of v's text in namingMessages.
func namingMessageKey(code string, args map[string]string) string {
	if s, ok := args["source"]; ok {
		return code + "." + s
	}
	return code
}

// newNamingViolation builds a violation with its English message.
func newNamingViolation(code string, args map[string]string) NamingViolation {
	msg, ok := renderNamingMessage(namingMessages, code, args)
	if !ok {
		// A missing entry is a programming error; the test over every code
		// catches it, and the user still gets the code rather than nothing.
		msg = code
	}
	return NamingViolation{Code: code, Message: msg, Args: args}
}

// LocalizeViolation is v's message in lang ("fr", "fr-CA", ... for French;
// anything else for English), rebuilt from its Code and Args. It falls back
// to v.Message when the language has no text for the violation.
func LocalizeViolation(v NamingViolation, lang string) string {
	if normalizeLanguage(lang) != LangFrench {
		return v.Message
	}
	args := v.Args
	if part, ok := frenchNamingParts[args["part"]]; ok {
		args = maps.Clone(args)
		args["part"] = part
	}
	if msg, ok := renderNamingMessage(frenchNamingMessages, v.Code, args); ok {
		return msg
	}
	return v.Message
}

// renderNamingMessage fills the {name} placeholders of the text table has
// for the violation.
func renderNamingMessage(table map[string]string, code string, args map[string]string) (string, bool) {
	tmpl, ok := table[namingMessageKey(code, args)]
	if !ok {
		return "", false
	}
	if len(args) > 0 {
		// Sorted keys keep the replacer, and so the message, deterministic.
		pairs := make([]string, 0, 2*len(args))
		for _, k := range slices.Sorted(maps.Keys(args)) {
			pairs = append(pairs, "{"+k+"}", args[k])
		}
		tmpl = strings.NewReplacer(pairs...).Replace(tmpl)
	}
	return tmpl, true
}
