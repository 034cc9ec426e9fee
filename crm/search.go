package crm

import (
	"cmp"
	"math/bits"
	"slices"
	"sort"
	"strings"
)

// Ranks of a match, best last. A query whose words all prefix title words
// is about the record itself; one that also starts the title reads as its
// name being typed.
const (
	rankOtherField  = 1 // some word matched only the subtitle, id or a key field
	rankTitleWords  = 2 // every word prefixes a word of the title
	rankTitlePrefix = 3 // the title starts with the query
)

type hit struct {
	e    *entry
	rank int
}

// better orders hits: higher rank, then shorter title (the closer match),
// then title, kind and id so the order is total.
func better(a, b hit) bool {
	if a.rank != b.rank {
		return a.rank > b.rank
	}
	return cmp.Or(
		cmp.Compare(len(a.e.title), len(b.e.title)),
		strings.Compare(a.e.title, b.e.title),
		cmp.Compare(kindRank(a.e.rec.Kind), kindRank(b.e.rec.Kind)),
		strings.Compare(a.e.rec.ID, b.e.rec.ID),
	) < 0
}

// search answers q (normalized) from s. Every word of the query must
// prefix a word of the record (AND). The most selective word picks the
// candidates from the postings; the others are checked on each candidate.
func (s *snapshot) search(q Query) []*entry {
	terms := uniqueWords(appendWords(nil, q.Text, false))
	if len(terms) == 0 {
		return s.recentOf(q)
	}
	pivot, lo, hi := -1, 0, 0
	for i, t := range terms {
		l, h := s.prefixRun(t)
		if l == h {
			return nil
		}
		if pivot < 0 || s.cum[h]-s.cum[l] < s.cum[hi]-s.cum[lo] {
			pivot, lo, hi = i, l, h
		}
	}
	phrase := strings.Join(terms, " ")
	top := make([]hit, 0, q.Limit)
	consider := func(doc int32) {
		e := s.docs[doc]
		if q.Kind != "" && e.rec.Kind != q.Kind {
			return
		}
		rank, ok := e.match(terms, phrase)
		if !ok {
			return
		}
		top = keepBest(top, hit{e, rank}, q.Limit)
	}
	if hi-lo == 1 {
		for _, doc := range s.post[lo] {
			consider(doc)
		}
	} else {
		// The prefix matches several words: visit their docs once each,
		// in doc order, through a bitset.
		seen := make([]uint64, (len(s.docs)+63)/64)
		for _, p := range s.post[lo:hi] {
			for _, doc := range p {
				seen[doc/64] |= 1 << (doc % 64)
			}
		}
		for i, w := range seen {
			for w != 0 {
				b := bits.TrailingZeros64(w)
				w &^= 1 << b
				consider(int32(i*64 + b))
			}
		}
	}
	out := make([]*entry, len(top))
	for i, h := range top {
		out[i] = h.e
	}
	return out
}

// prefixRun returns the run of s.words that start with t.
func (s *snapshot) prefixRun(t string) (lo, hi int) {
	lo = sort.SearchStrings(s.words, t)
	hi = lo + sort.Search(len(s.words)-lo, func(i int) bool { return !strings.HasPrefix(s.words[lo+i], t) })
	return lo, hi
}

// match reports whether every term prefixes one of e's words, and how well.
func (e *entry) match(terms []string, phrase string) (rank int, ok bool) {
	allTitle := true
	for _, t := range terms {
		if hasPrefixed(e.titleWords, t) {
			continue
		}
		if !hasPrefixed(e.otherWords, t) {
			return 0, false
		}
		allTitle = false
	}
	switch {
	case !allTitle:
		return rankOtherField, true
	case strings.HasPrefix(e.title, phrase):
		return rankTitlePrefix, true
	default:
		return rankTitleWords, true
	}
}

func hasPrefixed(words []string, t string) bool {
	for _, w := range words {
		if strings.HasPrefix(w, t) {
			return true
		}
	}
	return false
}

// keepBest inserts h into top, which holds at most limit hits best first.
// Most candidates lose to the worst kept hit with one comparison.
func keepBest(top []hit, h hit, limit int) []hit {
	if len(top) == limit {
		if !better(h, top[len(top)-1]) {
			return top
		}
		top = top[:len(top)-1]
	}
	i := sort.Search(len(top), func(i int) bool { return better(h, top[i]) })
	return slices.Insert(top, i, h)
}

// recentOf answers a query without words: the most recently changed
// records of the kind asked for.
func (s *snapshot) recentOf(q Query) []*entry {
	out := make([]*entry, 0, q.Limit)
	for _, doc := range s.recent {
		if len(out) == q.Limit {
			break
		}
		if e := s.docs[doc]; q.Kind == "" || e.rec.Kind == q.Kind {
			out = append(out, e)
		}
	}
	return out
}
