package web

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// catalogUIStrings are the English strings the Catalog tab translates: the
// .T calls of its templates, the titles it passes to catalogPage and the
// notices of catalogNotice.
func catalogUIStrings(t *testing.T) []string {
	t.Helper()
	var out []string
	add := func(quoted string) {
		s, err := strconv.Unquote(quoted)
		if err != nil {
			t.Fatalf("unquote %s: %v", quoted, err)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	pages, err := filepath.Glob("templates/catalog*.html")
	if err != nil || len(pages) == 0 {
		t.Fatalf("no catalog templates: %v", err)
	}
	tcall := regexp.MustCompile(`\.T ("(?:[^"\\]|\\.)*")`)
	for _, p := range pages {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tcall.FindAllStringSubmatch(string(src), -1) {
			add(m[1])
		}
	}
	src, err := os.ReadFile("catalog_pages.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`catalogPage\(r, ("(?:[^"\\]|\\.)*")`).FindAllStringSubmatch(string(src), -1) {
		add(m[1])
	}
	for _, code := range []string{"created", "saved", "retired", "imported"} {
		n := catalogNotice(code)
		if n == "" {
			t.Fatalf("no notice for %q", code)
		}
		add(strconv.Quote(n))
	}
	return out
}

// TestCatalogStringsHaveFrench keeps uiFrenchCatalog complete and free of
// stale entries, with the verbs of each English string and French
// typography (a no-break space before the colon, a narrow one before ; ? !).
func TestCatalogStringsHaveFrench(t *testing.T) {
	used := catalogUIStrings(t)
	if len(used) < 50 {
		t.Fatalf("found only %d strings: the extraction is broken", len(used))
	}
	verbs := regexp.MustCompile(`%[-+# 0-9.\[\]]*[a-zA-Z%]`)
	for _, en := range used {
		fr, ok := uiFrenchCatalog[en]
		if !ok {
			t.Errorf("no French for %q", en)
			continue
		}
		if got, want := verbs.FindAllString(fr, -1), verbs.FindAllString(en, -1); !slices.Equal(got, want) {
			t.Errorf("French of %q has verbs %v, want %v", en, got, want)
		}
		for _, bad := range []string{" :", " ;", " ?", " !", "\u00a0;", "\u00a0?", "\u00a0!"} {
			if strings.Contains(fr, bad) {
				t.Errorf("French of %q: %q has %q; use \\u00a0 before : and \\u202f before ; ? !", en, fr, bad)
			}
		}
		for i, r := range fr {
			if strings.ContainsRune(":;?!", r) && i > 0 && !strings.HasPrefix(fr[:i], "http") {
				prev := fr[:i]
				if !strings.HasSuffix(prev, "\u00a0") && !strings.HasSuffix(prev, "\u202f") && !frenchPunctuationExempt(fr, i) {
					t.Errorf("French of %q: %q lacks the no-break space before %q", en, fr, r)
				}
			}
		}
	}
	for en := range uiFrenchCatalog {
		if !slices.Contains(used, en) {
			t.Errorf("stale French entry %q", en)
		}
	}
}

// frenchPunctuationExempt allows punctuation that is not French prose: in
// URLs, JSON and code-like examples.
func frenchPunctuationExempt(s string, i int) bool {
	before := s[:i]
	return strings.HasSuffix(before, `"`) || strings.Contains(before, "{\"") || strings.HasSuffix(before, "https") || strings.HasSuffix(before, "http")
}
