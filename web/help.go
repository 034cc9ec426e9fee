package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"

	"github.com/stewardhq/steward/governance"
)

// HelpPage is one guide of the help center, rendered once at start.
type HelpPage struct {
	Slug    string // the file name without .md; links between guides point to /help/{Slug}
	Title   string // the text of the first H1
	Summary string // the text of the first paragraph, plain
	// HTML is the whole guide, its H1 included. Raw HTML written in the
	// markdown is escaped, so a guide can never inject markup.
	HTML     template.HTML
	Headings []HelpHeading // its h2 and h3, for a table of contents
	Order    int           // position in Pages, from 0
}

// HelpHeading is an h2 or h3 of a guide with the id its anchor uses.
type HelpHeading struct {
	ID, Text string
	Level    int
}

// HelpHit is one section of a guide that matches a search.
type HelpHit struct {
	Slug, Title         string
	Anchor, HeadingText string // empty for the text above the first h2
	Snippet             string // plain text around the first match; templates escape it
	Score               float64
}

// HelpCenter holds the rendered guides and their search index. It is built
// once from the embedded markdown and only read afterwards, so one value
// serves every request without locking.
type HelpCenter struct {
	pages  []HelpPage
	bySlug map[string]int
	index  helpIndex
}

// helpOrder is the order of the guides in the help center's menu: from the
// overview, through the people who use Steward most, to those who run it.
// Guides not listed follow in alphabetical order. Read only.
var helpOrder = []string{"index", "requesting-teams", "approving", "catalog", "administration", "installation", "faq"}

var helpSlugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// helpMaxQuery bounds the work one search can ask for.
const helpMaxQuery = 200

// NewHelpCenter renders every *.md at the root of fsys and indexes it for
// search. A guide without an H1, with a name that is not a slug, or with a
// link to a guide or heading that does not exist is an error
// (KindInvalid), so a broken help center fails at start (and in tests), not
// in front of a reader.
func NewHelpCenter(fsys fs.FS) (*HelpCenter, error) {
	names, err := fs.Glob(fsys, "*.md")
	if err != nil {
		return nil, fmt.Errorf("help center: list guides: %w", err)
	}
	if len(names) == 0 {
		return nil, governance.Errorf(governance.KindInvalid, "help_no_pages", "the help center has no guides: add at least one .md file")
	}
	for _, name := range names {
		if !helpSlugPattern.MatchString(strings.TrimSuffix(name, ".md")) {
			return nil, governance.Errorf(governance.KindInvalid, "help_bad_file_name", "help guide %q: rename it to lowercase letters, digits and hyphens, such as getting-started.md", name)
		}
	}
	rank := func(slug string) int {
		if i := slices.Index(helpOrder, slug); i >= 0 {
			return i
		}
		return len(helpOrder)
	}
	sort.SliceStable(names, func(i, j int) bool {
		si, sj := strings.TrimSuffix(names[i], ".md"), strings.TrimSuffix(names[j], ".md")
		if rank(si) != rank(sj) {
			return rank(si) < rank(sj)
		}
		return si < sj
	})

	md := goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	)
	// Every guide is parsed before any is rendered, so that a link can be
	// checked against the headings of the guide it points to.
	type parsed struct {
		name string
		src  []byte
		doc  ast.Node
	}
	docs := make([]parsed, 0, len(names))
	anchors := map[string]map[string]bool{}
	for _, name := range names {
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("help center: read %s: %w", name, err)
		}
		ctx := parser.NewContext(parser.WithIDs(&helpIDs{used: map[string]bool{}}))
		doc := md.Parser().Parse(text.NewReader(src), parser.WithContext(ctx))
		ids := map[string]bool{}
		_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if h, ok := n.(*ast.Heading); ok && entering {
				if id, ok := h.AttributeString("id"); ok {
					if b, ok := id.([]byte); ok {
						ids[string(b)] = true
					}
				}
			}
			return ast.WalkContinue, nil
		})
		anchors[strings.TrimSuffix(name, ".md")] = ids
		docs = append(docs, parsed{name, src, doc})
	}

	hc := &HelpCenter{bySlug: map[string]int{}}
	var sections []helpSection
	for i, d := range docs {
		page, secs, err := renderHelpPage(md, d.name, d.src, d.doc, anchors)
		if err != nil {
			return nil, err
		}
		page.Order = i
		hc.bySlug[page.Slug] = len(hc.pages)
		hc.pages = append(hc.pages, page)
		sections = append(sections, secs...)
	}
	hc.index = buildHelpIndex(sections)
	return hc, nil
}

// Pages returns the guides in menu order, the overview first.
func (hc *HelpCenter) Pages() []HelpPage { return slices.Clone(hc.pages) }

// Page returns the guide with this slug.
func (hc *HelpCenter) Page(slug string) (HelpPage, bool) {
	i, ok := hc.bySlug[slug]
	if !ok {
		return HelpPage{}, false
	}
	return hc.pages[i], true
}

// renderHelpPage rewrites the links between guides of one parsed guide,
// escapes its raw HTML, renders it and cuts it into sections for search.
// anchors holds the heading ids of every guide by slug.
func renderHelpPage(md goldmark.Markdown, name string, src []byte, doc ast.Node, anchors map[string]map[string]bool) (HelpPage, []helpSection, error) {
	slug := strings.TrimSuffix(name, ".md")
	page := HelpPage{Slug: slug}

	var walkErr error
	var rawBlocks []*ast.HTMLBlock
	var rawInlines []*ast.RawHTML
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			dest, err := rewriteHelpLink(slug, string(n.Destination), anchors)
			if err != nil && walkErr == nil {
				walkErr = governance.Errorf(governance.KindInvalid, "help_broken_link", "help guide %s: %v", name, err)
			}
			n.Destination = []byte(dest)
		case *ast.HTMLBlock:
			rawBlocks = append(rawBlocks, n)
		case *ast.RawHTML:
			rawInlines = append(rawInlines, n)
		}
		return ast.WalkContinue, nil
	})
	if walkErr != nil {
		return HelpPage{}, nil, walkErr
	}
	// Replaced after the walk: changing the tree while walking it skips nodes.
	for _, n := range rawBlocks {
		var raw bytes.Buffer
		for i := 0; i < n.Lines().Len(); i++ {
			seg := n.Lines().At(i)
			raw.Write(seg.Value(src))
		}
		if n.HasClosure() {
			raw.Write(n.ClosureLine.Value(src))
		}
		p := ast.NewParagraph()
		p.AppendChild(p, escapedString(bytes.TrimRight(raw.Bytes(), "\n")))
		n.Parent().ReplaceChild(n.Parent(), n, p)
	}
	for _, n := range rawInlines {
		var raw bytes.Buffer
		for i := 0; i < n.Segments.Len(); i++ {
			seg := n.Segments.At(i)
			raw.Write(seg.Value(src))
		}
		n.Parent().ReplaceChild(n.Parent(), n, escapedString(raw.Bytes()))
	}

	// Sections: the text above the first h2, then one per h2 or h3.
	sections := []helpSection{{slug: slug}}
	cur := &sections[0]
	var body strings.Builder
	flush := func() { cur.body = strings.TrimSpace(body.String()); body.Reset() }
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		h, isHeading := n.(*ast.Heading)
		switch {
		case isHeading && h.Level == 1 && page.Title == "":
			page.Title = strings.TrimSpace(helpPlainText(h, src))
		case isHeading && (h.Level == 2 || h.Level == 3):
			id, _ := h.AttributeString("id")
			idText, _ := id.([]byte)
			head := HelpHeading{ID: string(idText), Text: strings.TrimSpace(helpPlainText(h, src)), Level: h.Level}
			page.Headings = append(page.Headings, head)
			flush()
			sections = append(sections, helpSection{slug: slug, anchor: head.ID, heading: head.Text})
			cur = &sections[len(sections)-1]
		default:
			if _, ok := n.(*ast.Paragraph); ok && page.Summary == "" && page.Title != "" {
				page.Summary = strings.Join(strings.Fields(helpPlainText(n, src)), " ")
			}
			body.WriteString(helpPlainText(n, src))
			body.WriteByte('\n')
		}
	}
	flush()
	if page.Title == "" {
		return HelpPage{}, nil, governance.Errorf(governance.KindInvalid, "help_missing_title", "help guide %s has no title: start it with a line such as \"# Requesting a team\"", name)
	}
	for i := range sections {
		sections[i].title = page.Title
	}

	var out bytes.Buffer
	if err := md.Renderer().Render(&out, src, doc); err != nil {
		return HelpPage{}, nil, fmt.Errorf("help center: render %s: %w", name, err)
	}
	page.HTML = template.HTML(out.String()) // #nosec G203 -- goldmark output without html.WithUnsafe; raw HTML was escaped above
	return page, sections, nil
}

// helpIDs makes the ids of a guide's headings: the folded heading text
// ("Équipe de vente" → "equipe-de-vente"; goldmark's own ids drop accented
// letters), made unique within the guide with -1, -2, ...
type helpIDs struct{ used map[string]bool }

func (h *helpIDs) Generate(value []byte, _ ast.NodeKind) []byte {
	var b strings.Builder
	dash := false
	for _, r := range governance.FoldForMatch(string(value)) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '_':
			dash = true
		}
	}
	id := b.String()
	if id == "" {
		id = "section"
	}
	unique := id
	for i := 1; h.used[unique]; i++ {
		unique = id + "-" + strconv.Itoa(i)
	}
	h.used[unique] = true
	return []byte(unique)
}

func (h *helpIDs) Put(value []byte) { h.used[string(value)] = true }

// escapedString is text goldmark renders HTML-escaped and otherwise as is.
func escapedString(b []byte) *ast.String {
	s := ast.NewString(b)
	s.SetRaw(true)
	return s
}

// rewriteHelpLink turns a relative link to another guide ("catalog.md#x")
// into its help-center URL ("/help/catalog#x"), after checking that the
// guide and the heading exist; from is the linking guide's slug, for links
// within it ("#x"). Other links are kept as they are.
func rewriteHelpLink(from, dest string, anchors map[string]map[string]bool) (string, error) {
	if frag, ok := strings.CutPrefix(dest, "#"); ok {
		if !anchors[from][frag] {
			return dest, fmt.Errorf("link to %q: this guide has no heading with that id: fix the link or the heading", dest)
		}
		return dest, nil
	}
	if dest == "" || strings.HasPrefix(dest, "/") || strings.Contains(dest, "://") || strings.HasPrefix(dest, "mailto:") {
		return dest, nil
	}
	file, frag, hasFrag := strings.Cut(dest, "#")
	if !strings.HasSuffix(file, ".md") {
		return dest, nil
	}
	slug := strings.TrimSuffix(path.Clean(strings.TrimPrefix(file, "./")), ".md")
	ids, ok := anchors[slug]
	if !ok {
		return dest, fmt.Errorf("link to %q: there is no guide %s.md: fix the link or add the guide", dest, slug)
	}
	if hasFrag && !ids[frag] {
		return dest, fmt.Errorf("link to %q: %s.md has no heading with the id %q: fix the link or the heading", dest, slug, frag)
	}
	url := "/help/" + slug
	if hasFrag {
		url += "#" + frag
	}
	return url, nil
}

// helpPlainText returns the text of a node as a reader sees it, without
// markup; blocks end with a newline.
func helpPlainText(n ast.Node, src []byte) string {
	var b strings.Builder
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		switch n := n.(type) {
		case *ast.Text:
			b.Write(n.Value(src))
			if n.SoftLineBreak() || n.HardLineBreak() {
				b.WriteByte(' ')
			}
			return
		case *ast.String:
			b.Write(n.Value)
			return
		case *ast.AutoLink:
			b.Write(n.Label(src))
			return
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			lines := n.Lines()
			for i := 0; i < lines.Len(); i++ {
				seg := lines.At(i)
				b.Write(seg.Value(src))
			}
			return
		}
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			walk(c)
		}
		if n.Type() == ast.TypeBlock {
			b.WriteByte('\n')
		}
	}
	walk(n)
	return b.String()
}

// helpSection is the unit search returns: the text under one heading.
type helpSection struct {
	slug, title, anchor, heading string
	body                         string          // plain text, spaces collapsed
	tokens                       []helpToken     // of body, for snippets
	headingWords                 map[string]bool // folded, unstemmed
}

// helpToken is a word of a section's body: its stem and where it starts.
type helpToken struct {
	stem  string
	start int
}

// helpPosting is one section that has a stem: how often in its body, and
// whether its heading or its guide's title has it.
type helpPosting struct {
	section            int
	tf                 float64
	inHeading, inTitle bool
}

// helpIndex is an inverted index over sections, ranked by BM25. Words are
// folded (case and accents) and stemmed; a sorted list of the folded words
// as written lets the last word of a query match as a prefix of them.
type helpIndex struct {
	sections []helpSection
	lengths  []float64 // per section, in words
	avgLen   float64
	postings map[string][]helpPosting
	stems    []string          // the keys of postings, sorted
	words    []string          // folded words as written, sorted
	stemOf   map[string]string // folded word → its stem
}

// A word of the query found in a section's heading adds helpHeadingBoost
// times its idf to the section's BM25 score, and one in the guide's title
// helpTitleBoost times: a section named after what the reader looks for
// comes before sections that only mention it. (Counting heading words as
// extra occurrences would not do: BM25 saturates term frequency.)
const (
	helpHeadingBoost = 1.5
	helpTitleBoost   = 0.5
	// helpExactHeadingBoost is added per query word written exactly as in
	// the section's heading.
	helpExactHeadingBoost = 1.0
	helpBM25K1            = 1.2
	helpBM25B             = 0.75
	helpSnippetLen        = 160
)

func buildHelpIndex(sections []helpSection) helpIndex {
	ix := helpIndex{sections: sections, postings: map[string][]helpPosting{}, stemOf: map[string]string{}}
	addWord := func(word, stem string) { ix.stemOf[word] = stem }
	var total float64
	for i, s := range sections {
		posts := map[string]*helpPosting{}
		at := func(stem string) *helpPosting {
			if posts[stem] == nil {
				posts[stem] = &helpPosting{section: i}
			}
			return posts[stem]
		}
		sections[i].body = strings.Join(strings.Fields(s.body), " ")
		toks := helpTokens(sections[i].body, addWord)
		sections[i].tokens = toks
		for _, t := range toks {
			at(t.stem).tf++
		}
		sections[i].headingWords = map[string]bool{}
		for _, t := range helpTokens(s.heading, func(word, stem string) {
			addWord(word, stem)
			sections[i].headingWords[word] = true
		}) {
			at(t.stem).inHeading = true
		}
		for _, t := range helpTokens(s.title, addWord) {
			at(t.stem).inTitle = true
		}
		stems := make([]string, 0, len(posts))
		for stem := range posts {
			stems = append(stems, stem)
		}
		sort.Strings(stems)
		for _, stem := range stems {
			ix.postings[stem] = append(ix.postings[stem], *posts[stem])
		}
		ix.lengths = append(ix.lengths, float64(len(toks)))
		total += float64(len(toks))
	}
	if len(sections) > 0 {
		ix.avgLen = total / float64(len(sections))
	}
	for w := range ix.stemOf {
		ix.words = append(ix.words, w)
	}
	sort.Strings(ix.words)
	for s := range ix.postings {
		ix.stems = append(ix.stems, s)
	}
	sort.Strings(ix.stems)
	return ix
}

// Search returns the sections that contain every word of the query (the
// last one as a prefix, so results follow the reader's typing), best first,
// at most limit of them. An empty query finds nothing; a query longer than
// 200 characters is cut there.
func (hc *HelpCenter) Search(query string, limit int) []HelpHit {
	if limit <= 0 {
		return nil
	}
	query = helpTruncate(query)
	qt := helpTokens(query, nil)
	if len(qt) == 0 {
		return nil
	}
	ix := &hc.index
	// Each query word becomes the set of indexed stems that satisfy it.
	var terms [][]string
	seen := map[string]bool{}
	for i, t := range qt {
		last := i == len(qt)-1
		if !last {
			if seen[t.stem] {
				continue
			}
			seen[t.stem] = true
			terms = append(terms, []string{t.stem})
			continue
		}
		terms = append(terms, ix.expandPrefix(query, t.stem))
	}

	scores := map[int]float64{}
	matched := map[string]bool{}
	for ti, alts := range terms {
		termScores := map[int]float64{}
		for _, stem := range alts {
			posts := ix.postings[stem]
			if len(posts) == 0 {
				continue
			}
			matched[stem] = true
			n := float64(len(ix.sections))
			df := float64(len(posts))
			idf := math.Log(1 + (n-df+0.5)/(df+0.5))
			for _, p := range posts {
				norm := helpBM25K1 * (1 - helpBM25B + helpBM25B*ix.lengths[p.section]/math.Max(ix.avgLen, 1))
				s := idf * p.tf * (helpBM25K1 + 1) / (p.tf + norm)
				if p.inHeading {
					s += helpHeadingBoost * idf
				}
				if p.inTitle {
					s += helpTitleBoost * idf
				}
				termScores[p.section] = math.Max(termScores[p.section], s)
			}
		}
		if ti == 0 {
			scores = termScores
			continue
		}
		// AND: a section stays only if it has this word too.
		for sec, s := range scores {
			if ts, ok := termScores[sec]; ok {
				scores[sec] = s + ts
			} else {
				delete(scores, sec)
			}
		}
	}
	if len(scores) == 0 {
		return nil
	}
	// Stemming makes "naming" find "name"; a heading with the very word
	// typed still deserves to come first.
	typed := helpFoldWords(query)
	for sec := range scores {
		for _, w := range typed {
			if ix.sections[sec].headingWords[w] {
				scores[sec] += helpExactHeadingBoost
			}
		}
	}
	ranked := make([]int, 0, len(scores))
	for sec := range scores {
		ranked = append(ranked, sec)
	}
	// Sections are numbered in page order, then document order: the
	// tie-break keeps results stable.
	sort.Slice(ranked, func(i, j int) bool {
		if scores[ranked[i]] != scores[ranked[j]] {
			return scores[ranked[i]] > scores[ranked[j]]
		}
		return ranked[i] < ranked[j]
	})
	if len(ranked) > limit {
		ranked = ranked[:limit]
	}
	hits := make([]HelpHit, 0, len(ranked))
	for _, sec := range ranked {
		s := ix.sections[sec]
		hits = append(hits, HelpHit{
			Slug: s.slug, Title: s.title, Anchor: s.anchor, HeadingText: s.heading,
			Snippet: helpSnippet(s.body, s.tokens, matched),
			Score:   scores[sec],
		})
	}
	return hits
}

// helpTruncate cuts a query to helpMaxQuery bytes, never inside a
// character.
func helpTruncate(query string) string {
	if len(query) <= helpMaxQuery {
		return query
	}
	cut := helpMaxQuery
	for cut > 0 && !utf8.RuneStart(query[cut]) {
		cut--
	}
	return query[:cut]
}

// expandPrefix returns the stems the last query word matches: its own
// stem's extensions ("approv" → approval, approver) and the stems of the
// words that begin with it as typed ("approvi" → approving → approv).
func (ix *helpIndex) expandPrefix(query, stem string) []string {
	toks := helpFoldWords(query)
	typed := toks[len(toks)-1]
	set := map[string]bool{stem: true}
	for i := sort.SearchStrings(ix.words, typed); i < len(ix.words) && strings.HasPrefix(ix.words[i], typed); i++ {
		set[ix.stemOf[ix.words[i]]] = true
	}
	for i := sort.SearchStrings(ix.stems, stem); i < len(ix.stems) && strings.HasPrefix(ix.stems[i], stem); i++ {
		set[ix.stems[i]] = true
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// helpSnippet returns about helpSnippetLen characters of body around the
// first word that matched, cut at spaces, with an ellipsis where it was cut.
func helpSnippet(body string, toks []helpToken, matched map[string]bool) string {
	at := 0
	for _, t := range toks {
		if matched[t.stem] {
			at = t.start
			break
		}
	}
	if len(body) <= helpSnippetLen {
		return body
	}
	start := max(at-helpSnippetLen/3, 0)
	end := min(start+helpSnippetLen, len(body))
	start = max(end-helpSnippetLen, 0)
	if start > 0 {
		if i := strings.IndexByte(body[start:], ' '); i >= 0 && start+i < at {
			start += i + 1
		}
	}
	if end < len(body) {
		if i := strings.LastIndexByte(body[:end], ' '); i > start {
			end = i
		}
	}
	for start > 0 && !utf8.RuneStart(body[start]) {
		start--
	}
	for end < len(body) && !utf8.RuneStart(body[end]) {
		end++
	}
	out := body[start:end]
	if start > 0 {
		out = "…" + out
	}
	if end < len(body) {
		out += "…"
	}
	return out
}

// helpTokens splits s into words (letters and digits), folds each (case
// and accents: "É" is "e") and stems it. onWord, when set, sees every
// folded word with its stem.
func helpTokens(s string, onWord func(word, stem string)) []helpToken {
	var out []helpToken
	start := -1
	emit := func(end int) {
		word := governance.FoldForMatch(s[start:end])
		if word != "" {
			stem := helpStem(word)
			out = append(out, helpToken{stem: stem, start: start})
			if onWord != nil {
				onWord(word, stem)
			}
		}
		start = -1
	}
	for i, r := range s {
		inWord := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
		switch {
		case inWord && start < 0:
			start = i
		case !inWord && start >= 0:
			emit(i)
		}
	}
	if start >= 0 {
		emit(len(s))
	}
	return out
}

// helpFoldWords returns the folded words of s, unstemmed.
func helpFoldWords(s string) []string {
	var out []string
	helpTokens(s, func(word, _ string) { out = append(out, word) })
	return out
}

// helpStem removes the English endings that most often separate a search
// from the text: plurals (s, es, ies), -ing, -ed and a final e, so that
// "approve", "approved", "approving" and "approves" share a stem. It is
// deliberately simpler than Porter's: both the index and the query go
// through it, so it only has to be consistent.
func helpStem(w string) string {
	if !isASCIIWord(w) || len(w) < 4 {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
	case strings.HasSuffix(w, "s"):
		w = w[:len(w)-1]
	}
	stripped := false
	switch {
	case strings.HasSuffix(w, "ing") && len(w) >= 6:
		w, stripped = w[:len(w)-3], true
	case strings.HasSuffix(w, "ied") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ed") && len(w) >= 5:
		w, stripped = w[:len(w)-2], true
	}
	if stripped && len(w) >= 4 && w[len(w)-1] == w[len(w)-2] && !strings.ContainsRune("aeiouylsz", rune(w[len(w)-1])) {
		w = w[:len(w)-1] // running → run, not call → cal
	}
	if strings.HasSuffix(w, "e") && len(w) >= 4 {
		w = w[:len(w)-1]
	}
	return w
}

func isASCIIWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if c := w[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
