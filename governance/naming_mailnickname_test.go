package governance

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// mailNicknameRule is DeriveMailNickname's documented rule, written
// independently of it: Graph's own limits (ASCII without @ ( ) \ [ ] " ; : < >
// , or space, at most 64) are a superset.
var mailNicknameRule = regexp.MustCompile(`^[a-z0-9]([a-z0-9_-]{0,62}[a-z0-9])?$`)

func checkMailNickname(t testing.TB, nick string) {
	t.Helper()
	if !mailNicknameRule.MatchString(nick) || strings.Contains(nick, "--") {
		t.Fatalf("mail nickname %q breaks the rule", nick)
	}
	if strings.ContainsAny(nick, "@()\\[]\";:<>, .") {
		t.Fatalf("mail nickname %q has a character Graph refuses", nick)
	}
}

func TestDeriveMailNickname(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Project Alpha", "project-alpha"},
		{"Équipe Été 2026", "equipe-ete-2026"},
		{"Straße & Œuvre", "strasse-oeuvre"},
		{"Sales-Alpha-FR", "sales-alpha-fr"},
		{"  --Sales  (EMEA)--  ", "sales-emea"},
		{"R&D / Lab @ HQ; \"x\" <y>, [z]: \\w", "r-d-lab-hq-x-y-z-w"},
		{"v2.0 release", "v2-0-release"},
		{"snake_case_name", "snake_case_name"},
		{"_leading and trailing_", "leading-and-trailing"},
		{"Cafe\u0301", "cafe"},
		{"Ｓａｌｅｓ", "sales"},
		{"東京 Team 🚀", "team"},
		{"東京", "team"},
		{"!!!", "team"},
		{"", "team"},
		{"🚀🚀", "team"},
		{"a\x00b", "a-b"},
		{"already-valid_nick42", "already-valid_nick42"},
		{strings.Repeat("a", 70), strings.Repeat("a", 64)},
		{strings.Repeat("a", 63) + " b", strings.Repeat("a", 63)}, // cut at 64 ends with "-", trimmed
		{strings.Repeat("é", 40), strings.Repeat("e", 40)},
		{strings.Repeat("ß", 40), strings.Repeat("s", 64)},
	}
	for _, tt := range tests {
		got := DeriveMailNickname(tt.in)
		if got != tt.want {
			t.Errorf("DeriveMailNickname(%q) = %q, want %q", tt.in, got, tt.want)
		}
		checkMailNickname(t, got)
		if again := DeriveMailNickname(got); again != got {
			t.Errorf("not idempotent: %q → %q", got, again)
		}
	}
}

// fakeDirectory answers "is this nickname taken?" like a Graph
// $filter=mailNickname eq '...' lookup, and records what it was asked.
type fakeDirectory struct {
	taken map[string]bool
	asked []string
	err   error
}

func (d *fakeDirectory) isTaken(_ context.Context, nick string) (bool, error) {
	d.asked = append(d.asked, nick)
	if d.err != nil {
		return false, d.err
	}
	return d.taken[nick], nil
}

func TestUniqueMailNickname(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		name  string
		base  string
		taken []string
		want  string
		asked int
	}{
		{"free", "sales-alpha", nil, "sales-alpha", 1},
		{"one collision", "sales-alpha", []string{"sales-alpha"}, "sales-alpha-2", 2},
		{"several collisions", "sales", []string{"sales", "sales-2", "sales-3"}, "sales-4", 4},
		{"unrelated names do not matter", "sales", []string{"sales-2"}, "sales", 1},
		{"base is normalised", "Sales Alpha!", []string{"sales-alpha"}, "sales-alpha-2", 2},
		{"trimmed to stay within 64", long, []string{long}, strings.Repeat("a", 62) + "-2", 2},
		{"two-digit suffix trims more", long, takenSeries(long, 9), strings.Repeat("a", 61) + "-10", 10},
		{"trim keeps whole suffix", strings.Repeat("a", 60) + "-bbb", []string{strings.Repeat("a", 60) + "-bbb"}, strings.Repeat("a", 60) + "-b-2", 2},
		{"trim drops a dangling dash", strings.Repeat("a", 62) + "-b", []string{strings.Repeat("a", 62) + "-b"}, strings.Repeat("a", 62) + "-2", 2},
		{"last attempt", "x", takenSeries("x", 99), "x-100", 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDirectory{taken: map[string]bool{}}
			for _, n := range tt.taken {
				d.taken[n] = true
			}
			got, err := UniqueMailNickname(context.Background(), tt.base, d.isTaken)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || len(d.asked) != tt.asked {
				t.Fatalf("got %q after %d lookups, want %q after %d", got, len(d.asked), tt.want, tt.asked)
			}
			for _, n := range d.asked {
				checkMailNickname(t, n)
			}
		})
	}
}

// takenSeries returns base, base-2, ..., base-n (trimmed like
// UniqueMailNickname does).
func takenSeries(base string, n int) []string {
	out := []string{base}
	for i := 2; i <= n; i++ {
		s := fmt.Sprintf("-%d", i)
		b := base
		if len(b)+len(s) > 64 {
			b = strings.TrimRight(b[:64-len(s)], "-_")
		}
		out = append(out, b+s)
	}
	return out
}

func TestUniqueMailNicknameExhausted(t *testing.T) {
	d := &fakeDirectory{}
	all := func(ctx context.Context, nick string) (bool, error) {
		d.isTaken(ctx, nick)
		return true, nil
	}
	_, err := UniqueMailNickname(context.Background(), "sales", all)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindConflict || e.Code != "mail_nickname_unavailable" {
		t.Fatalf("got %v, want KindConflict mail_nickname_unavailable", err)
	}
	if len(d.asked) != 100 || d.asked[99] != "sales-100" {
		t.Fatalf("asked %d times, last %q", len(d.asked), d.asked[len(d.asked)-1])
	}
}

func TestUniqueMailNicknameLookupError(t *testing.T) {
	cause := Errorf(KindUnavailable, "graph_unavailable", "Microsoft Graph is not reachable.")
	d := &fakeDirectory{err: cause}
	_, err := UniqueMailNickname(context.Background(), "sales", d.isTaken)
	if !errors.Is(err, cause) || KindOf(err) != KindUnavailable {
		t.Fatalf("got %v; want the lookup error wrapped", err)
	}
	if len(d.asked) != 1 {
		t.Fatalf("kept asking after an error: %v", d.asked)
	}
}

func TestUniqueMailNicknameContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	d := &fakeDirectory{taken: map[string]bool{"sales": true}}
	taken := func(c context.Context, nick string) (bool, error) {
		cancel() // the caller gives up while we are looking
		return d.isTaken(c, nick)
	}
	_, err := UniqueMailNickname(ctx, "sales", taken)
	if !errors.Is(err, context.Canceled) || len(d.asked) != 1 {
		t.Fatalf("got %v after %d lookups; want context.Canceled after 1", err, len(d.asked))
	}
}
