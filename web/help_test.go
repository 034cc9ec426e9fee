package web

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/stewardhq/steward/docs"
	"github.com/stewardhq/steward/governance"
)

// newHelp builds a help center from files, failing the test on error.
func newHelp(t testing.TB, fsys fs.FS) *HelpCenter {
	t.Helper()
	hc, err := NewHelpCenter(fsys)
	if err != nil {
		t.Fatalf("NewHelpCenter: %v", err)
	}
	return hc
}

// mapFS is a help center's files from name → markdown.
func mapFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, body := range files {
		m[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return m
}

func TestHelpCenterRealGuides(t *testing.T) {
	hc := newHelp(t, docs.Files)
	want := []struct{ slug, title string }{
		{"index", "Steward help center"},
		{"requesting-teams", "Requesting teams"},
		{"approving", "Approving requests"},
		{"catalog", "Managing the catalog"},
		{"administration", "Administration"},
		{"installation", "Installation and operations"},
		{"faq", "Frequently asked questions"},
	}
	pages := hc.Pages()
	if len(pages) != len(want) {
		t.Fatalf("got %d pages, want %d", len(pages), len(want))
	}
	for i, w := range want {
		t.Run(w.slug, func(t *testing.T) {
			p := pages[i]
			if p.Slug != w.slug || p.Title != w.title || p.Order != i {
				t.Fatalf("page %d = %q %q order %d, want %q %q order %d", i, p.Slug, p.Title, p.Order, w.slug, w.title, i)
			}
			if got, ok := hc.Page(w.slug); !ok || got.Title != w.title {
				t.Fatalf("Page(%q) = %q, %v", w.slug, got.Title, ok)
			}
			if len(p.Summary) < 80 || strings.ContainsAny(p.Summary, "*`[") {
				t.Errorf("summary is not a plain paragraph: %q", p.Summary)
			}
			if len(p.Headings) == 0 {
				t.Errorf("no h2/h3 headings")
			}
			for _, h := range p.Headings {
				if h.ID == "" || h.Text == "" || (h.Level != 2 && h.Level != 3) {
					t.Errorf("heading %+v", h)
				}
				if !strings.Contains(string(p.HTML), `id="`+h.ID+`"`) {
					t.Errorf("HTML has no element with id %q", h.ID)
				}
			}
			// The house format: one "# Title" line, a blank line, then the
			// summary paragraph.
			src, err := fs.ReadFile(docs.Files, w.slug+".md")
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(src), "\n")
			if lines[0] != "# "+w.title || lines[1] != "" || lines[2] == "" || strings.HasPrefix(lines[2], "#") {
				t.Errorf("the guide does not start with its title line and a summary paragraph")
			}
			if n := countH1(lines); n != 1 {
				t.Errorf("%d H1 lines, want 1", n)
			}
			if strings.Contains(string(p.HTML), `.md"`) || strings.Contains(string(p.HTML), `.md#`) {
				t.Errorf("a link to a .md file was not rewritten")
			}
		})
	}
	if _, ok := hc.Page("missing"); ok {
		t.Error(`Page("missing") found something`)
	}
	pages[0].Title = "changed"
	if hc.Pages()[0].Title == "changed" {
		t.Error("Pages returns the help center's own slice")
	}
}

// countH1 counts "# " lines outside fenced code blocks.
func countH1(lines []string) int {
	n, fenced := 0, false
	for _, l := range lines {
		if strings.HasPrefix(l, "```") {
			fenced = !fenced
		}
		if !fenced && strings.HasPrefix(l, "# ") {
			n++
		}
	}
	return n
}

func TestHelpLinks(t *testing.T) {
	hc := newHelp(t, mapFS(map[string]string{
		"index.md": "# Home\n\nSee [the catalog](catalog.md#audiences), [all of it](./catalog.md), " +
			"[here](#more), [home](index.md), [Microsoft](https://learn.microsoft.com/graph) and [the API](/api/v1/openapi.json).\n\n## More\n\nText.\n",
		"catalog.md": "# Catalog\n\nSummary.\n\n## Audiences\n\nText.\n",
	}))
	p, _ := hc.Page("index")
	for _, want := range []string{
		`href="/help/catalog#audiences"`, `href="/help/catalog"`, `href="#more"`, `href="/help/index"`,
		`href="https://learn.microsoft.com/graph"`, `href="/api/v1/openapi.json"`,
	} {
		if !strings.Contains(string(p.HTML), want) {
			t.Errorf("HTML lacks %s:\n%s", want, p.HTML)
		}
	}

	broken := []struct{ name, body string }{
		{"missing guide", "# A\n\nSee [x](nowhere.md).\n"},
		{"missing heading", "# A\n\nSee [x](b.md#nowhere).\n"},
		{"missing local heading", "# A\n\nSee [x](#nowhere).\n"},
	}
	for _, tt := range broken {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewHelpCenter(mapFS(map[string]string{"a.md": tt.body, "b.md": "# B\n\nText.\n\n## Here\n"}))
			if code, _ := governance.Public(err); code != "help_broken_link" || !governance.IsKind(err, governance.KindInvalid) {
				t.Fatalf("err = %v, want help_broken_link", err)
			}
		})
	}
}

func TestHelpRawHTMLIsEscaped(t *testing.T) {
	hc := newHelp(t, mapFS(map[string]string{
		"a.md": "# Title <em>x</em>\n\n<script>alert(1)</script>\n\nInline <img src=x onerror=alert(2)> and <b>bold</b>.\n\n" +
			"## Section\n\n<div onclick=\"steal()\">block</div>\n",
	}))
	p, _ := hc.Page("a")
	html := string(p.HTML)
	for _, bad := range []string{"<script", "<img", "<b>", "<div", "<em>"} {
		if strings.Contains(html, bad) {
			t.Errorf("raw HTML %s reached the page:\n%s", bad, html)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(2)&gt;", "&lt;div onclick=&quot;steal()&quot;&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks the escaped %s:\n%s", want, html)
		}
	}
}

func TestHelpCenterErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		code  string
	}{
		{"no guides", map[string]string{"readme.txt": "hello"}, "help_no_pages"},
		{"no title", map[string]string{"a.md": "# A\n\nText.\n", "b.md": "Just text.\n\n## A section\n"}, "help_missing_title"},
		{"title not level 1", map[string]string{"a.md": "## Almost a title\n\nText.\n"}, "help_missing_title"},
		{"file name not a slug", map[string]string{"Getting Started.md": "# A\n"}, "help_bad_file_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc, err := NewHelpCenter(mapFS(tt.files))
			if hc != nil {
				t.Fatal("got a help center")
			}
			var ge *governance.Error
			if !errors.As(err, &ge) || ge.Code != tt.code || ge.Kind != governance.KindInvalid {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
		})
	}
}

func TestHelpSearchRealGuides(t *testing.T) {
	hc := newHelp(t, docs.Files)
	tests := []struct {
		query string
		top   []string // acceptable "slug#anchor" of the first hit
		word  string   // the snippet shows this (folded) word
	}{
		{"renew", []string{"requesting-teams#renewing-a-team-before-it-expires"}, "renew"},
		{"approv", []string{"approving#where-approvals-arrive"}, "approv"},
		{"webhook delivery", []string{"administration#delivery-log-and-redelivery"}, "deliver"},
		{"naming", []string{"requesting-teams#name-and-the-naming-preview", "catalog#naming"}, "nam"},
		{"retry failed provisioning", []string{"administration#failed-provisionings"}, "fail"},
		{"sensitivity label", []string{"catalog#sensitivity-label", "faq#why-wasnt-the-sensitivity-label-applied"}, "sensitivity"},
		{"Graph permissions", []string{"installation#microsoft-entra-app-registration", "administration#app-credentials-for-microsoft-graph"}, "permission"},
		{"audit verify", []string{"administration#the-audit-trail", "faq#how-can-i-prove-the-audit-trail-was-not-altered"}, "audit"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			hits := hc.Search(tt.query, 5)
			if len(hits) == 0 {
				t.Fatal("no hits")
			}
			got := hits[0].Slug + "#" + hits[0].Anchor
			if !slices.Contains(tt.top, got) {
				t.Errorf("first hit %s, want one of %v (all: %v)", got, tt.top, hitIDs(hits))
			}
			for i := 1; i < len(hits); i++ {
				if hits[i].Score > hits[i-1].Score {
					t.Errorf("hits not ranked: %v", hitIDs(hits))
				}
			}
			h := hits[0]
			if h.Title == "" || h.HeadingText == "" {
				t.Errorf("hit without title or heading: %+v", h)
			}
			if !strings.Contains(governance.FoldForMatch(h.Snippet), tt.word) {
				t.Errorf("snippet %q does not show %q", h.Snippet, tt.word)
			}
			if n := utf8.RuneCountInString(h.Snippet); n > helpSnippetLen+2 {
				t.Errorf("snippet has %d characters", n)
			}
		})
	}
}

func hitIDs(hits []HelpHit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Slug + "#" + h.Anchor
	}
	return out
}

// searchFS is a small help center whose sections each say one thing.
func searchFS(t *testing.T) *HelpCenter {
	t.Helper()
	return newHelp(t, mapFS(map[string]string{
		"index.md": "# Guide\n\nAbout the guide.\n\n" +
			"## Alpha beta\n\nThe alpha section mentions beta.\n\n" +
			"## Alpha gamma\n\nThe alpha section mentions gamma.\n\n" +
			"## Équipe de vente\n\nLa nouvelle équipe gère le café.\n\n" +
			"## Approval request\n\nAn approval request waits for approvers.\n\n" +
			"## Bold\n\nSome **strong words** and `code` here.\n",
	}))
}

func TestHelpSearchSemantics(t *testing.T) {
	hc := searchFS(t)
	tests := []struct {
		name, query string
		want        []string // anchors, in any order; nil: no hit
	}{
		{"every word must match", "alpha beta", []string{"alpha-beta"}},
		{"one word matches both", "alpha", []string{"alpha-beta", "alpha-gamma"}},
		{"a missing word matches nothing", "alpha delta", nil},
		{"the last word is a prefix", "gam", []string{"alpha-gamma"}},
		{"only the last word is a prefix", "appro request", nil},
		{"prefix after a whole word", "request appro", []string{"approval-request"}},
		{"stems: plural and -s", "approvals requests", []string{"approval-request"}},
		{"stems: -ing and -ed", "waiting", []string{"approval-request"}},
		{"accents in the text", "equipe", []string{"equipe-de-vente"}},
		{"accents in the query", "cafÉ", []string{"equipe-de-vente"}},
		{"case", "ALPHA GAMMA", []string{"alpha-gamma"}},
		{"markup is not text", "strong words code", []string{"bold"}},
		{"empty", "", nil},
		{"blank", " \t\n ", nil},
		{"punctuation only", "?!-", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := hc.Search(tt.query, 10)
			var got []string
			for _, h := range hits {
				got = append(got, h.Anchor)
			}
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("Search(%q) = %v, want %v", tt.query, got, want)
			}
			if tt.want == nil && hits != nil {
				t.Errorf("no match should be nil, got %#v", hits)
			}
		})
	}
	if hits := hc.Search("markup", 10); len(hits) != 0 {
		t.Errorf("found %v for a word of no section", hitIDs(hits))
	}
	if hits := hc.Search("strong", 10); len(hits) != 1 || strings.Contains(hits[0].Snippet, "*") {
		t.Errorf("snippet is not plain text: %+v", hits)
	}
}

func TestHelpSearchLimits(t *testing.T) {
	hc := searchFS(t)
	if hits := hc.Search("alpha", 1); len(hits) != 1 {
		t.Errorf("limit 1 gave %d hits", len(hits))
	}
	if hits := hc.Search("alpha", 0); hits != nil {
		t.Errorf("limit 0 gave %v", hitIDs(hits))
	}
	// A query is cut at 200 bytes: the word after the cut is not asked for,
	// so the query still matches (with it, AND would find nothing).
	long := "alpha" + strings.Repeat(" ", 250) + "nothingmatchesthis"
	if hits := hc.Search(long, 10); len(hits) != 2 {
		t.Errorf("long query gave %v, want the two alpha sections", hitIDs(hits))
	}
	for _, q := range []string{strings.Repeat("é", 150), "a" + strings.Repeat("é", 150), strings.Repeat("x", 199) + "日本"} {
		cut := helpTruncate(q)
		if len(cut) > helpMaxQuery || len(cut) < helpMaxQuery-3 || !utf8.ValidString(cut) || !strings.HasPrefix(q, cut) {
			t.Errorf("helpTruncate cut %d bytes to %d (valid UTF-8: %v)", len(q), len(cut), utf8.ValidString(cut))
		}
	}
}

func TestHelpSnippet(t *testing.T) {
	filler := strings.Repeat("lorem ipsum dolor sit amet ", 20)
	hc := newHelp(t, mapFS(map[string]string{
		"a.md": "# A\n\nSummary.\n\n## Long\n\n" + filler + "the needle is here " + filler + "\n",
	}))
	hits := hc.Search("needle", 1)
	if len(hits) != 1 {
		t.Fatalf("hits %v", hitIDs(hits))
	}
	s := hits[0].Snippet
	if !strings.Contains(s, "the needle is here") || !strings.HasPrefix(s, "…") || !strings.HasSuffix(s, "…") {
		t.Errorf("snippet %q", s)
	}
	if n := utf8.RuneCountInString(s); n > helpSnippetLen+2 || n < helpSnippetLen/2 {
		t.Errorf("snippet has %d characters", n)
	}
}

func TestHelpStem(t *testing.T) {
	groups := [][]string{
		{"approve", "approved", "approves", "approving"},
		{"policy", "policies"},
		{"run", "running"},
		{"name", "names", "named", "naming"},
		{"template", "templates"},
		{"webhook", "webhooks"},
	}
	for _, g := range groups {
		t.Run(g[0], func(t *testing.T) {
			for _, w := range g[1:] {
				if helpStem(w) != helpStem(g[0]) {
					t.Errorf("stem(%q) = %q, stem(%q) = %q", w, helpStem(w), g[0], helpStem(g[0]))
				}
			}
		})
	}
	for _, w := range []string{"status", "access", "analysis", "call", "graph"} {
		if helpStem(w) != w {
			t.Errorf("stem(%q) = %q, want it unchanged", w, helpStem(w))
		}
	}
}

// BenchmarkHelpSearch measures searches over the real guides: whole
// words, a prefix being typed, two words, and the worst prefix (one
// letter, which matches a large part of the vocabulary).
func BenchmarkHelpSearch(b *testing.B) {
	hc := newHelp(b, docs.Files)
	for _, q := range []string{"renew", "approv", "webhook delivery", "graph permissions", "a"} {
		b.Run(strings.ReplaceAll(q, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if len(hc.Search(q, 10)) == 0 {
					b.Fatal("no hits")
				}
			}
		})
	}
}
