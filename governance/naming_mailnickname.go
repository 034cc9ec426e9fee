package governance

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// MaxMailNicknameLength is Microsoft Graph's limit for a group's mailNickname
// ("Maximum length is 64 characters", group resource type).
const MaxMailNicknameLength = 64

// mailNicknameFallback is used when nothing of a display name survives
// derivation (an all-symbol or non-Latin name): Graph requires a nickname.
const mailNicknameFallback = "team"

// mailNicknameAttempts bounds UniqueMailNickname: each attempt is a Graph
// call, and a hundred taken variants means the name needs rethinking.
const mailNicknameAttempts = 100

// DeriveMailNickname turns a display name into a mail nickname (the part of
// the group's address before the @).
//
// Microsoft Graph allows ASCII 0–127 except @ ( ) \ [ ] " ; : < > , and the
// space, at most 64 characters (group resource type, mailNickname). Steward
// produces a stricter form that is also a tidy, dot-atom-safe address:
// lowercase letters, digits, "-" and "_", starting and ending with a letter or
// digit, no repeated "-", at most 64 characters; that is
// ^[a-z0-9]([a-z0-9_-]{0,62}[a-z0-9])?$. The dot is replaced too, because an
// earlier revision of the Graph documentation listed it as invalid and SMTP
// forbids leading, trailing and doubled dots. Accents are folded ("Équipe" →
// "equipe"); every other character becomes "-". The result is never empty:
// it falls back to "team". Deriving a nickname that already follows this
// rule returns it unchanged.
func DeriveMailNickname(displayName string) string {
	var b strings.Builder
	b.Grow(len(displayName))
	dash := func() {
		if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
			b.WriteByte('-')
		}
	}
	for _, r := range displayName {
		if namingCombiningMark(r) {
			continue
		}
		r = namingFoldFullwidth(r)
		if f, ok := namingFoldRune(r); ok {
			b.WriteString(f)
			continue
		}
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			b.WriteRune(r)
		case 'A' <= r && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		case r == '_':
			if b.Len() > 0 {
				b.WriteByte('_')
			}
		default:
			dash()
		}
	}
	return trimMailNickname(b.String(), MaxMailNicknameLength)
}

// trimMailNickname cuts s to at most n bytes (it is ASCII) and removes the
// separators that may not end a nickname; "" becomes the fallback.
func trimMailNickname(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	s = strings.Trim(s, "-_")
	if s == "" {
		return mailNicknameFallback
	}
	return s
}

// UniqueMailNickname returns the first of base, base-2, base-3, ... that taken
// reports free, trimming base so every candidate stays within 64 characters.
// base is first normalised with DeriveMailNickname. taken is typically a
// Graph lookup (GET /groups?$filter=mailNickname eq '...'); its errors are
// returned wrapped, and ctx is checked before each attempt. After 100
// attempts it gives up with KindConflict, code mail_nickname_unavailable.
func UniqueMailNickname(ctx context.Context, base string, taken func(ctx context.Context, nick string) (bool, error)) (string, error) {
	base = DeriveMailNickname(base)
	for n := 1; n <= mailNicknameAttempts; n++ {
		if err := ctx.Err(); err != nil {
			return "", fmt.Errorf("governance: unique mail nickname: %w", err)
		}
		nick := base
		if n > 1 {
			suffix := "-" + strconv.Itoa(n)
			nick = trimMailNickname(base, MaxMailNicknameLength-len(suffix)) + suffix
		}
		used, err := taken(ctx, nick)
		if err != nil {
			return "", fmt.Errorf("governance: check mail nickname %q: %w", nick, err)
		}
		if !used {
			return nick, nil
		}
	}
	return "", Errorf(KindConflict, "mail_nickname_unavailable",
		"No free email alias was found for %q after %d attempts; choose a more distinctive team name.", base, mailNicknameAttempts)
}
