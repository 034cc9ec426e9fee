package crm

import (
	"cmp"
	"slices"
	"strings"

	"github.com/stewardhq/steward/store"
)

// entry is one record with the words a search matches it on, folded once
// when it enters the index rather than at every search.
type entry struct {
	rec        Record
	title      string   // the title's words joined by spaces: what a query phrase prefixes
	titleWords []string // with apostrophe pieces
	otherWords []string // subtitle, id and the kind's key fields
}

type recordKey struct {
	kind Kind
	id   string
}

// keyFields are the fields besides title and subtitle that a search looks
// at: the ones people remember a record by. Extra columns are shown, not
// searched, which keeps the index small.
var keyFields = map[Kind][]string{
	KindAccount:     {"industry", "city", "owner"},
	KindOpportunity: {"account", "stage", "owner"},
	KindContact:     {"email", "account", "title"},
}

func newEntry(r Record) *entry {
	e := &entry{rec: r}
	e.title = strings.Join(appendWords(nil, r.Title, false), " ")
	e.titleWords = uniqueWords(appendWords(nil, r.Title, true))
	other := appendWords(nil, r.Subtitle, true)
	other = appendWords(other, r.ID, true)
	for _, f := range r.Fields {
		if slices.Contains(keyFields[r.Kind], f.Name) {
			other = appendWords(other, f.Value, true)
		}
	}
	e.otherWords = uniqueWords(other)
	return e
}

func entryFromStore(tenantID string, sr store.CRMRecord) *entry {
	r := Record{TenantID: tenantID, Kind: Kind(sr.Kind), ID: sr.ExternalID, Title: sr.Title, Subtitle: sr.Subtitle,
		URL: sr.URL, UpdatedAt: sr.UpdatedAt}
	if len(sr.Fields) > 0 {
		r.Fields = make([]Field, len(sr.Fields))
		for i, f := range sr.Fields {
			r.Fields[i] = Field{Name: f.Name, Value: f.Value}
		}
	}
	return newEntry(r)
}

// snapshot is one tenant's index at one store generation. It is never
// changed once built: searches read it without locks, and a change builds
// the next snapshot and swaps it in.
type snapshot struct {
	gen   int64 // the store's CRM generation it reflects; -1: unknown, reload
	docs  []*entry
	byKey map[recordKey]int32
	// words is every distinct word, sorted, so the words a prefix matches
	// are one contiguous run found by binary search; post[i] lists the
	// docs holding words[i] (ascending) and cum[i] is the number of
	// postings before words[i], so a run's size costs two reads.
	words []string
	post  [][]int32
	cum   []int
	// recent orders the docs by last change, newest first, for empty queries.
	recent []int32
}

// buildSnapshot indexes entries. Their order is made deterministic (kind,
// then id) so equal-ranked results always come back in the same order.
func buildSnapshot(gen int64, entries []*entry) *snapshot {
	slices.SortFunc(entries, func(a, b *entry) int {
		return cmp.Or(cmp.Compare(kindRank(a.rec.Kind), kindRank(b.rec.Kind)), strings.Compare(a.rec.ID, b.rec.ID))
	})
	s := &snapshot{gen: gen, docs: entries, byKey: make(map[recordKey]int32, len(entries))}
	postings := map[string][]int32{}
	for i, e := range entries {
		doc := int32(i)
		s.byKey[recordKey{e.rec.Kind, e.rec.ID}] = doc
		for _, w := range e.titleWords {
			postings[w] = append(postings[w], doc)
		}
		for _, w := range e.otherWords {
			if p := postings[w]; len(p) == 0 || p[len(p)-1] != doc { // in the title too
				postings[w] = append(p, doc)
			}
		}
	}
	s.words = make([]string, 0, len(postings))
	for w := range postings {
		s.words = append(s.words, w)
	}
	slices.Sort(s.words)
	s.post = make([][]int32, len(s.words))
	s.cum = make([]int, len(s.words)+1)
	for i, w := range s.words {
		s.post[i] = postings[w]
		s.cum[i+1] = s.cum[i] + len(s.post[i])
	}
	s.recent = make([]int32, len(entries))
	for i := range s.recent {
		s.recent[i] = int32(i)
	}
	slices.SortStableFunc(s.recent, func(a, b int32) int {
		return entries[b].rec.UpdatedAt.Compare(entries[a].rec.UpdatedAt)
	})
	return s
}

// with returns the snapshot that has s's records with changed put in and
// removed taken out, at generation gen.
func (s *snapshot) with(gen int64, changed []*entry, removed func(*entry) bool) *snapshot {
	replaced := make(map[recordKey]bool, len(changed))
	for _, e := range changed {
		replaced[recordKey{e.rec.Kind, e.rec.ID}] = true
	}
	entries := make([]*entry, 0, len(s.docs)+len(changed))
	for _, e := range s.docs {
		if !replaced[recordKey{e.rec.Kind, e.rec.ID}] && (removed == nil || !removed(e)) {
			entries = append(entries, e)
		}
	}
	return buildSnapshot(gen, append(entries, changed...))
}

func kindRank(k Kind) int { return slices.Index(Kinds, k) }
