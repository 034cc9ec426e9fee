// Package blobtest is the conformance suite every blob.Store must pass, so
// that the local directory used on one node and Azure Blob Storage used in
// production can be swapped without a caller noticing.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/stewardhq/steward/blob"
	"github.com/stewardhq/steward/governance"
)

// Config tells the suite what the store under test was built with.
type Config struct {
	// MaxSize is the store's limit on one object, in bytes. The suite stores
	// a 1 MiB object and one of exactly MaxSize, so it must be at least
	// 1 MiB; keep it small (a few MiB) so the suite stays fast.
	MaxSize int64
}

// The tenants most subtests use. Some subtests add others ("tenant", "ab",
// a 63-character id); newStore must hand out a store in which no tenant holds
// anything, e.g. a fresh directory or a fresh Azurite container.
const (
	tenantA = "tenant-a"
	tenantB = "tenant-b"
)

// Run runs the suite as subtests of t.
//
// newStore returns a fresh, empty store for one subtest and arranges, with
// t.Cleanup, for it to be closed and its data removed. The store must have
// been built with cfg.MaxSize as its size limit.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store, cfg Config) {
	t.Helper()
	if cfg.MaxSize < 1<<20 {
		t.Fatalf("blobtest: Config.MaxSize is %d; it must be at least 1 MiB", cfg.MaxSize)
	}
	s := suite{newStore: newStore, cfg: cfg}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"put get round trip", s.roundTrip},
		{"valid keys", s.validKeys},
		{"content type", s.contentType},
		{"etag", s.etag},
		{"stat", s.stat},
		{"overwrite", s.overwrite},
		{"if match", s.ifMatch},
		{"max size", s.maxSize},
		{"failing reader", s.failingReader},
		{"delete", s.delete},
		{"list", s.list},
		{"list paging", s.listPaging},
		{"list limit", s.listLimit},
		{"invalid tenant ids", s.invalidTenantIDs},
		{"invalid keys", s.invalidKeys},
		{"invalid list arguments", s.invalidListArguments},
		{"tenant isolation", s.tenantIsolation},
		{"tenant ids that try to escape", s.escapingTenantIDs},
		{"reader sees one version", s.readerSeesOneVersion},
		{"concurrent put and get", s.concurrentPutGet},
		{"concurrent if match", s.concurrentIfMatch},
		{"canceled context", s.canceledContext},
	} {
		t.Run(tc.name, tc.fn)
	}
}

type suite struct {
	newStore func(t *testing.T) blob.Store
	cfg      Config
}

func (s suite) roundTrip(t *testing.T) {
	st := s.newStore(t)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, tc := range []struct {
		name    string
		content []byte
		reader  func(io.Reader) io.Reader // how Put receives it
	}{
		{"empty", []byte{}, nil},
		{"zero bytes", make([]byte, 1000), nil},
		{"every byte value", all, iotest.OneByteReader},
		{"1 MiB", randomBytes(1, 1<<20), iotest.HalfReader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r io.Reader = bytes.NewReader(tc.content)
			if tc.reader != nil {
				r = tc.reader(r)
			}
			put, err := st.Put(t.Context(), tenantA, "obj", r, "", "")
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			want := blob.Info{Key: "obj", Size: int64(len(tc.content)), ContentType: blob.DefaultContentType, ETag: ETagOf(tc.content)}
			if put.Key != want.Key || put.Size != want.Size || put.ContentType != want.ContentType || put.ETag != want.ETag {
				t.Fatalf("Put = %+v, want %+v", put, want)
			}
			if put.ModTime.IsZero() {
				t.Fatalf("Put returned a zero ModTime")
			}
			got := mustGet(t, st, tenantA, "obj", tc.content)
			mustSameInfo(t, "Get", got, put)
		})
	}
}

func (s suite) validKeys(t *testing.T) {
	st := s.newStore(t)
	seg250 := strings.Repeat("s", blob.MaxSegmentLen)
	long := strings.Repeat(strings.Repeat("k", 99)+"/", 5) + strings.Repeat("z", 12) // 512 bytes
	if len(long) != blob.MaxKeyLen {
		t.Fatalf("test bug: long key is %d bytes", len(long))
	}
	// "a" and "a/b" coexist: the namespace is flat, as in Azure.
	keys := []string{
		"a", "a/b", "a/b/c", "...", ".hidden", "a/..b", "a/.b.", "A-Z_a-z.0-9",
		"-", "_", "x/y/z/w/v/u", seg250, "d/" + seg250, long,
	}
	for _, k := range keys {
		mustPut(t, st, tenantA, k, []byte("content of "+k), "")
	}
	for _, k := range keys {
		mustGet(t, st, tenantA, k, []byte("content of "+k))
	}
	infos := mustList(t, st, tenantA, "", "", blob.MaxListLimit)
	want := slices.Clone(keys)
	slices.Sort(want)
	if got := keysOf(infos); !slices.Equal(got, want) {
		t.Fatalf("List = %q, want %q", got, want)
	}
}

func (s suite) contentType(t *testing.T) {
	st, ctx := s.newStore(t), t.Context()
	for _, ct := range []string{
		"image/png",
		"text/csv; charset=utf-8",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		`multipart/mixed; boundary="a b"`,
	} {
		put := mustPut(t, st, tenantA, "typed", []byte("x"), ct)
		if put.ContentType != ct {
			t.Errorf("Put with content type %q returned %q", ct, put.ContentType)
		}
		if got := mustStat(t, st, tenantA, "typed"); got.ContentType != ct {
			t.Errorf("Stat after Put with content type %q = %q", ct, got.ContentType)
		}
		if _, info := mustRead(t, st, tenantA, "typed"); info.ContentType != ct {
			t.Errorf("Get after Put with content type %q = %q", ct, info.ContentType)
		}
	}

	put := mustPut(t, st, tenantA, "untyped", []byte("x"), "")
	if put.ContentType != blob.DefaultContentType {
		t.Errorf("Put with no content type returned %q, want %q", put.ContentType, blob.DefaultContentType)
	}
	if got := mustStat(t, st, tenantA, "untyped"); got.ContentType != blob.DefaultContentType {
		t.Errorf("Stat after Put with no content type = %q, want %q", got.ContentType, blob.DefaultContentType)
	}

	before := mustStat(t, st, tenantA, "typed")
	for _, ct := range []string{
		"text", "image/", "/png", "a b/c", "text/plain; charset", "text/plain\r\nX-Evil: 1",
		"text/plain\x00", "text/pläin", "image/png; x=\"\n\"", "image/" + strings.Repeat("x", blob.MaxContentTypeLen),
	} {
		_, err := st.Put(ctx, tenantA, "bad-type", strings.NewReader("x"), ct, "")
		mustKind(t, fmt.Sprintf("Put with content type %q", ct), err, governance.KindInvalid)
		_, err = st.Put(ctx, tenantA, "typed", strings.NewReader("changed"), ct, "")
		mustKind(t, fmt.Sprintf("overwriting Put with content type %q", ct), err, governance.KindInvalid)
	}
	mustNotFound(t, st, tenantA, "bad-type")
	mustSameInfo(t, "Stat after refused Puts", mustStat(t, st, tenantA, "typed"), before)
}

func (s suite) etag(t *testing.T) {
	st := s.newStore(t)
	a, b := []byte("same content"), []byte("other content")
	one := mustPut(t, st, tenantA, "one", a, "")
	two := mustPut(t, st, tenantA, "two", a, "text/plain")
	again := mustPut(t, st, tenantA, "one", a, "")
	other := mustPut(t, st, tenantA, "three", b, "")
	if one.ETag != ETagOf(a) || other.ETag != ETagOf(b) {
		t.Fatalf("ETags %s, %s; want the quoted SHA-256 hex %s, %s", one.ETag, other.ETag, ETagOf(a), ETagOf(b))
	}
	if two.ETag != one.ETag || again.ETag != one.ETag {
		t.Errorf("equal content got ETags %s, %s, %s; want them equal", one.ETag, two.ETag, again.ETag)
	}
	if other.ETag == one.ETag {
		t.Errorf("different content got the same ETag %s", one.ETag)
	}
	if got := mustStat(t, st, tenantA, "one"); got.ETag != one.ETag {
		t.Errorf("Stat ETag = %s, want %s", got.ETag, one.ETag)
	}
}

func (s suite) stat(t *testing.T) {
	st := s.newStore(t)
	put := mustPut(t, st, tenantA, "dir/obj", []byte("hello"), "text/plain")
	mustSameInfo(t, "Stat", mustStat(t, st, tenantA, "dir/obj"), put)
	// A key that is only a prefix of others names no object.
	mustNotFound(t, st, tenantA, "dir")
	mustNotFound(t, st, tenantA, "dir/obj/deeper")
	mustNotFound(t, st, tenantA, "never")
}

func (s suite) overwrite(t *testing.T) {
	st := s.newStore(t)
	mustPut(t, st, tenantA, "k", []byte("first, and a good deal longer"), "text/plain")
	put := mustPut(t, st, tenantA, "k", []byte("second"), "image/png")
	got := mustGet(t, st, tenantA, "k", []byte("second"))
	mustSameInfo(t, "Get after overwrite", got, put)
	if got.Size != 6 || got.ContentType != "image/png" || got.ETag != ETagOf([]byte("second")) {
		t.Fatalf("Get after overwrite = %+v", got)
	}
	mustPut(t, st, tenantA, "k", nil, "")
	mustGet(t, st, tenantA, "k", []byte{})
}

func (s suite) ifMatch(t *testing.T) {
	st, ctx := s.newStore(t), t.Context()
	v1 := mustPut(t, st, tenantA, "k", []byte("v1"), "")
	v2, err := st.Put(ctx, tenantA, "k", strings.NewReader("v2"), "", v1.ETag)
	if err != nil {
		t.Fatalf("Put with the current ETag: %v", err)
	}
	mustGet(t, st, tenantA, "k", []byte("v2"))

	_, err = st.Put(ctx, tenantA, "k", strings.NewReader("v3"), "", v1.ETag)
	mustKind(t, "Put with a stale ETag", err, governance.KindConflict)
	for _, tag := range []string{"*", "v2", `"v2"`, strings.Trim(v2.ETag, `"`), `W/` + v2.ETag} {
		_, err = st.Put(ctx, tenantA, "k", strings.NewReader("v3"), "", tag)
		mustKind(t, fmt.Sprintf("Put with ifMatch %q", tag), err, governance.KindConflict)
	}
	mustSameInfo(t, "Get after refused Puts", mustGet(t, st, tenantA, "k", []byte("v2")), v2)

	// No current object: nothing can match, and nothing is created.
	_, err = st.Put(ctx, tenantA, "absent", strings.NewReader("x"), "", v1.ETag)
	mustKind(t, "Put with ifMatch on an absent key", err, governance.KindConflict)
	mustNotFound(t, st, tenantA, "absent")

	// The same content again keeps the ETag, so a retried write still matches.
	if _, err := st.Put(ctx, tenantA, "k", strings.NewReader("v2"), "", v2.ETag); err != nil {
		t.Fatalf("Put of unchanged content with its ETag: %v", err)
	}
	if _, err := st.Put(ctx, tenantA, "k", strings.NewReader("v2"), "", v2.ETag); err != nil {
		t.Fatalf("second Put of unchanged content with its ETag: %v", err)
	}
}

func (s suite) maxSize(t *testing.T) {
	st, ctx := s.newStore(t), t.Context()
	max := s.cfg.MaxSize
	exact := randomBytes(2, int(max))
	mustPut(t, st, tenantA, "exact", exact, "")
	mustGet(t, st, tenantA, "exact", exact)

	_, err := st.Put(ctx, tenantA, "over", bytes.NewReader(randomBytes(3, int(max)+1)), "", "")
	mustKind(t, "Put of MaxSize+1 bytes", err, governance.KindInvalid)
	mustNotFound(t, st, tenantA, "over")

	// A body of unknown, unbounded length is refused without being drained.
	_, err = st.Put(ctx, tenantA, "over", endless{}, "", "")
	mustKind(t, "Put of an endless body", err, governance.KindInvalid)
	mustNotFound(t, st, tenantA, "over")

	// An oversized replacement leaves the old object in place.
	old := mustPut(t, st, tenantA, "kept", []byte("old"), "")
	_, err = st.Put(ctx, tenantA, "kept", bytes.NewReader(randomBytes(4, int(max)+1)), "", old.ETag)
	mustKind(t, "oversized overwrite", err, governance.KindInvalid)
	mustSameInfo(t, "Get after an oversized overwrite", mustGet(t, st, tenantA, "kept", []byte("old")), old)

	if got := keysOf(mustList(t, st, tenantA, "", "", blob.MaxListLimit)); !slices.Equal(got, []string{"exact", "kept"}) {
		t.Fatalf("List after refused Puts = %q, want [exact kept]", got)
	}
}

func (s suite) failingReader(t *testing.T) {
	st := s.newStore(t)
	old := mustPut(t, st, tenantA, "k", []byte("old"), "")
	r := io.MultiReader(bytes.NewReader(randomBytes(5, 100<<10)), iotest.ErrReader(errors.New("connection reset")))
	if _, err := st.Put(t.Context(), tenantA, "k", r, "", ""); err == nil {
		t.Fatalf("Put from a failing reader succeeded")
	}
	mustSameInfo(t, "Get after a failed Put", mustGet(t, st, tenantA, "k", []byte("old")), old)
	r = io.MultiReader(strings.NewReader("partial"), iotest.ErrReader(errors.New("connection reset")))
	if _, err := st.Put(t.Context(), tenantA, "new", r, "", ""); err == nil {
		t.Fatalf("Put from a failing reader succeeded")
	}
	mustNotFound(t, st, tenantA, "new")
}

func (s suite) delete(t *testing.T) {
	st, ctx := s.newStore(t), t.Context()
	mustPut(t, st, tenantA, "k", []byte("v"), "")
	if err := st.Delete(ctx, tenantA, "k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	mustNotFound(t, st, tenantA, "k")
	mustKind(t, "second Delete", st.Delete(ctx, tenantA, "k"), governance.KindNotFound)
	mustKind(t, "Delete of a never-stored key", st.Delete(ctx, tenantA, "never"), governance.KindNotFound)
	mustPut(t, st, tenantA, "k", []byte("again"), "")
	mustGet(t, st, tenantA, "k", []byte("again"))

	// Deleting one object leaves its neighbours, parents and children alone.
	for _, k := range []string{"a", "a/b/c", "a/b/d", "a/e/f"} {
		mustPut(t, st, tenantA, k, []byte(k), "")
	}
	mustKind(t, "Delete of a key that is only a prefix", st.Delete(ctx, tenantA, "a/b"), governance.KindNotFound)
	for _, k := range []string{"a/b/c", "a/e/f", "a"} {
		if err := st.Delete(ctx, tenantA, k); err != nil {
			t.Fatalf("Delete(%q): %v", k, err)
		}
		mustNotFound(t, st, tenantA, k)
	}
	mustGet(t, st, tenantA, "a/b/d", []byte("a/b/d"))
	if got := keysOf(mustList(t, st, tenantA, "", "", blob.MaxListLimit)); !slices.Equal(got, []string{"a/b/d", "k"}) {
		t.Fatalf("List after deletes = %q, want [a/b/d k]", got)
	}
	// A deleted object's key can be stored again, at any depth.
	mustPut(t, st, tenantA, "a/e/f", []byte("back"), "")
	mustGet(t, st, tenantA, "a/e/f", []byte("back"))
}

// listKeys are chosen so that file-system walk order and key order differ:
// "-" and "." sort before "/", digits and capitals before "_" and lowercase.
// No two differ only in case, so the suite also runs on case-insensitive
// file systems.
var listKeys = []string{
	"a", "a-b", "a.b", "a/b", "a/c/d", "a/c/e", "a/c-x", "a0", "ab", "b", "B1", "_x", "0", "z/y/x",
}

func (s suite) putListKeys(t *testing.T, st blob.Store) map[string]blob.Info {
	t.Helper()
	puts := map[string]blob.Info{}
	for _, k := range listKeys {
		puts[k] = mustPut(t, st, tenantA, k, []byte("content of "+k), "text/plain")
	}
	return puts
}

func (s suite) list(t *testing.T) {
	st := s.newStore(t)
	if got := mustList(t, st, tenantA, "", "", 10); len(got) != 0 {
		t.Fatalf("List of an empty tenant = %q, want none", keysOf(got))
	}
	puts := s.putListKeys(t, st)
	sorted := slices.Clone(listKeys)
	slices.Sort(sorted)

	all := mustList(t, st, tenantA, "", "", blob.MaxListLimit)
	if got := keysOf(all); !slices.Equal(got, sorted) {
		t.Fatalf("List = %q\nwant   %q", got, sorted)
	}
	for _, info := range all {
		mustSameInfo(t, "List entry "+info.Key, info, puts[info.Key])
	}

	for _, tc := range []struct{ prefix, after string }{
		{"a", ""}, {"a/", ""}, {"a/c", ""}, {"a/c/", ""}, {"a/c/d", ""}, {"a/c/d/", ""}, {"zzz", ""}, {"z/", ""},
		{".", ""}, {"a.", ""}, {"a/.", ""},
		{"", "a.b"}, {"", "a/b"}, {"", "a/bb"}, {"", "a/c"}, {"", "a/c/e"}, {"", "zzz"}, {"", "0"}, {"", "-"},
		{"a/", "a/b"}, {"a/", "a"}, {"a/", "b"}, {"a", "a/c/d"}, {"a/c", "a/c/d"},
	} {
		var want []string
		for _, k := range sorted {
			if strings.HasPrefix(k, tc.prefix) && k > tc.after {
				want = append(want, k)
			}
		}
		got := keysOf(mustList(t, st, tenantA, tc.prefix, tc.after, blob.MaxListLimit))
		if !slices.Equal(got, want) {
			t.Errorf("List(prefix %q, after %q) = %q, want %q", tc.prefix, tc.after, got, want)
		}
	}
}

func (s suite) listPaging(t *testing.T) {
	st := s.newStore(t)
	s.putListKeys(t, st)
	sorted := slices.Clone(listKeys)
	slices.Sort(sorted)
	for _, prefix := range []string{"", "a", "a/"} {
		var want []string
		for _, k := range sorted {
			if strings.HasPrefix(k, prefix) {
				want = append(want, k)
			}
		}
		for limit := 1; limit <= len(sorted)+1; limit++ {
			var got []string
			after := ""
			for page := 0; ; page++ {
				if page > len(sorted)+1 {
					t.Fatalf("List(prefix %q, limit %d) does not end", prefix, limit)
				}
				infos := mustList(t, st, tenantA, prefix, after, limit)
				if len(infos) > limit {
					t.Fatalf("List(prefix %q, after %q, limit %d) returned %d", prefix, after, limit, len(infos))
				}
				got = append(got, keysOf(infos)...)
				if len(infos) < limit {
					break
				}
				after = infos[len(infos)-1].Key
			}
			if !slices.Equal(got, want) {
				t.Errorf("paging List(prefix %q) by %d = %q, want %q", prefix, limit, got, want)
			}
		}
	}
}

func (s suite) listLimit(t *testing.T) {
	st, ctx := s.newStore(t), t.Context()
	s.putListKeys(t, st)
	for _, limit := range []int{0, -1, blob.MaxListLimit + 1, 1 << 40} {
		_, err := st.List(ctx, tenantA, "", "", limit)
		mustKind(t, fmt.Sprintf("List with limit %d", limit), err, governance.KindInvalid)
	}
	if got := mustList(t, st, tenantA, "", "", 1); len(got) != 1 {
		t.Errorf("List with limit 1 returned %d", len(got))
	}
	if got := mustList(t, st, tenantA, "", "", blob.MaxListLimit); len(got) != len(listKeys) {
		t.Errorf("List with limit %d returned %d, want %d", blob.MaxListLimit, len(got), len(listKeys))
	}
}

// badTenantIDs break the governance.Tenant rule, several by trying to
// reach another tenant's objects.
var badTenantIDs = []string{
	"", "a", "Tenant-a", "TENANT", "tenant_a", "-tenant", "tenant a", "tenant.a", "tenant-a/", "/tenant-a",
	"a/../b", "../tenant-a", "tenant-b/../tenant-a", "..", ".", "tenant\x00a", "tenant-ä",
	strings.Repeat("a", 64),
}

func (s suite) invalidTenantIDs(t *testing.T) {
	st := s.newStore(t)
	mustPut(t, st, tenantA, "k", []byte("v"), "")
	for _, id := range badTenantIDs {
		forEachMethod(t, st, id, "k", governance.KindInvalid)
		_, err := st.List(t.Context(), id, "", "", 10)
		mustKind(t, fmt.Sprintf("List(tenant %q)", id), err, governance.KindInvalid)
	}
	// The edges of the rule are accepted.
	for _, id := range []string{"ab", "0a", "a-", strings.Repeat("a", 63), "9-9"} {
		mustPut(t, st, id, "k", []byte(id), "")
		mustGet(t, st, id, "k", []byte(id))
	}
}

// badKeys break the key rule.
var badKeys = []string{
	"", "../x", "a//b", "/a", "a/", "/", ".", "..", "a/../b", "a/./b", "./a", "a/..", `a\b`, `..\x`,
	"a\x00b", "\x00", "a b", "a:b", "a?b", "a#b", "a%2Fb", "a@blob", "a/b@blob", "@tmp-x", "a~", "ключ",
	"a\nb", strings.Repeat("k", blob.MaxSegmentLen+1), strings.Repeat("k/", 256) + "k", // 513 bytes
}

func (s suite) invalidKeys(t *testing.T) {
	st := s.newStore(t)
	mustPut(t, st, tenantA, "a", []byte("v"), "")
	mustPut(t, st, tenantA, "a/b", []byte("v"), "")
	for _, k := range badKeys {
		forEachMethod(t, st, tenantA, k, governance.KindInvalid)
	}
	_, err := st.Stat(t.Context(), tenantA, "a//b")
	if _, msg := governance.Public(err); !strings.Contains(msg, "segment") {
		t.Errorf("the message for an invalid key does not state the rule: %q", msg)
	}
	if got := keysOf(mustList(t, st, tenantA, "", "", blob.MaxListLimit)); !slices.Equal(got, []string{"a", "a/b"}) {
		t.Fatalf("List after invalid calls = %q, want [a a/b]", got)
	}
}

func (s suite) invalidListArguments(t *testing.T) {
	st, ctx := s.newStore(t), t.Context()
	mustPut(t, st, tenantA, "a/b", []byte("v"), "")
	for _, prefix := range []string{
		"/", "/a", "a//", "a//b", "../", "../a", "a/../", "./", "a\\", "a\x00", "ä", "a b", "a@", "a/b@blob",
		strings.Repeat("k/", 256) + "k",
	} {
		_, err := st.List(ctx, tenantA, prefix, "", 10)
		mustKind(t, fmt.Sprintf("List(prefix %q)", prefix), err, governance.KindInvalid)
	}
	for _, after := range []string{"a/", "/a", "..", "a//b", "a\x00", strings.Repeat("k", blob.MaxKeyLen+1)} {
		_, err := st.List(ctx, tenantA, "", after, 10)
		mustKind(t, fmt.Sprintf("List(after %q)", after), err, governance.KindInvalid)
	}
}

func (s suite) tenantIsolation(t *testing.T) {
	st, ctx := s.newStore(t), t.Context()
	a := mustPut(t, st, tenantA, "shared/k", []byte("tenant a's"), "text/plain")

	mustNotFound(t, st, tenantB, "shared/k")
	if got := mustList(t, st, tenantB, "", "", blob.MaxListLimit); len(got) != 0 {
		t.Fatalf("tenant b lists %q", keysOf(got))
	}
	if got := mustList(t, st, tenantB, "shared/", "", blob.MaxListLimit); len(got) != 0 {
		t.Fatalf("tenant b lists %q under shared/", keysOf(got))
	}
	mustKind(t, "tenant b deleting tenant a's key", st.Delete(ctx, tenantB, "shared/k"), governance.KindNotFound)
	_, err := st.Put(ctx, tenantB, "shared/k", strings.NewReader("b's"), "", a.ETag)
	mustKind(t, "tenant b writing with tenant a's ETag", err, governance.KindConflict)

	b := mustPut(t, st, tenantB, "shared/k", []byte("tenant b's"), "")
	mustSameInfo(t, "tenant a after tenant b's Put", mustGet(t, st, tenantA, "shared/k", []byte("tenant a's")), a)
	mustSameInfo(t, "tenant b", mustGet(t, st, tenantB, "shared/k", []byte("tenant b's")), b)
	if err := st.Delete(ctx, tenantB, "shared/k"); err != nil {
		t.Fatalf("tenant b Delete: %v", err)
	}
	mustGet(t, st, tenantA, "shared/k", []byte("tenant a's"))

	// Keys that try to climb into another tenant are invalid, not resolved.
	for _, k := range []string{"../tenant-b/shared/k", "../../tenant-b/shared/k", "shared/../../tenant-b/shared/k"} {
		forEachMethod(t, st, tenantA, k, governance.KindInvalid)
	}

	// A tenant id that is a prefix of another must not reach into it, even
	// with a key that completes the other's name: "tenant" + "-a/shared/k".
	mustNotFound(t, st, "tenant", "-a/shared/k")
	if got := mustList(t, st, "tenant", "", "", blob.MaxListLimit); len(got) != 0 {
		t.Fatalf("tenant \"tenant\" lists %q", keysOf(got))
	}
	mustPut(t, st, "tenant", "-a/shared/k", []byte("tenant's"), "")
	mustGet(t, st, tenantA, "shared/k", []byte("tenant a's"))
	mustGet(t, st, "tenant", "-a/shared/k", []byte("tenant's"))
	if got := keysOf(mustList(t, st, tenantA, "", "", blob.MaxListLimit)); !slices.Equal(got, []string{"shared/k"}) {
		t.Fatalf("tenant a lists %q, want [shared/k]", got)
	}
}

func (s suite) escapingTenantIDs(t *testing.T) {
	st, ctx := s.newStore(t), t.Context()
	mustPut(t, st, tenantA, "k", []byte("tenant a's"), "")
	for _, id := range []string{"tenant-b/../tenant-a", "../tenant-a", "./tenant-a", "tenant-a/.", "tenant-a/", "x/../tenant-a"} {
		forEachMethod(t, st, id, "k", governance.KindInvalid)
		_, err := st.List(ctx, id, "", "", 10)
		mustKind(t, fmt.Sprintf("List(tenant %q)", id), err, governance.KindInvalid)
	}
	mustGet(t, st, tenantA, "k", []byte("tenant a's"))
}

// readerSeesOneVersion opens an object, replaces it and deletes it, and
// checks the open reader still yields the version it opened.
func (s suite) readerSeesOneVersion(t *testing.T) {
	st, ctx := s.newStore(t), t.Context()
	v1 := randomBytes(6, 64<<10)
	mustPut(t, st, tenantA, "k", v1, "")
	rc, info, err := st.Get(ctx, tenantA, "k")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	mustPut(t, st, tenantA, "k", []byte("v2"), "")
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(got, v1) || info.ETag != ETagOf(v1) {
		t.Fatalf("a reader opened before an overwrite read %d bytes (ETag %s), want the %d it opened", len(got), ETagOf(got), len(v1))
	}
	if err := rc.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func (s suite) concurrentPutGet(t *testing.T) {
	st := s.newStore(t)
	const goroutines, ops = 20, 20
	mustPut(t, st, tenantA, "hot", versionContent(0, 0), "")
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			ctx := t.Context()
			for i := range ops {
				if (g+i)%2 == 0 {
					c := versionContent(g+1, i)
					info, err := st.Put(ctx, tenantA, "hot", bytes.NewReader(c), "", "")
					if err != nil {
						t.Errorf("Put: %v", err)
						return
					}
					if info.ETag != ETagOf(c) || info.Size != int64(len(c)) {
						t.Errorf("Put returned %+v for %d bytes with ETag %s", info, len(c), ETagOf(c))
					}
					continue
				}
				rc, info, err := st.Get(ctx, tenantA, "hot")
				if err != nil {
					t.Errorf("Get: %v", err)
					return
				}
				got, err := io.ReadAll(rc)
				_ = rc.Close()
				if err != nil {
					t.Errorf("read: %v", err)
					return
				}
				if int64(len(got)) != info.Size || ETagOf(got) != info.ETag || !validVersion(got) {
					t.Errorf("Get returned %d bytes with ETag %s (Info says %d bytes, %s): a torn or mismatched object",
						len(got), ETagOf(got), info.Size, info.ETag)
					return
				}
			}
		})
	}
	wg.Wait()
	rc, info, err := st.Get(t.Context(), tenantA, "hot")
	if err != nil {
		t.Fatalf("final Get: %v", err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || ETagOf(got) != info.ETag || !validVersion(got) {
		t.Fatalf("final Get: %d bytes, ETag %s vs %s, err %v", len(got), ETagOf(got), info.ETag, err)
	}
}

// concurrentIfMatch runs read-modify-write increments of one counter object
// from several goroutines; with ifMatch none may be lost.
func (s suite) concurrentIfMatch(t *testing.T) {
	st := s.newStore(t)
	const goroutines, increments = 8, 10
	mustPut(t, st, tenantA, "counter", []byte("0"), "text/plain")
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			ctx := t.Context()
			for done := 0; done < increments; {
				rc, info, err := st.Get(ctx, tenantA, "counter")
				if err != nil {
					t.Errorf("Get: %v", err)
					return
				}
				b, err := io.ReadAll(rc)
				_ = rc.Close()
				if err != nil {
					t.Errorf("read: %v", err)
					return
				}
				var n int
				if _, err := fmt.Sscan(string(b), &n); err != nil {
					t.Errorf("counter holds %q", b)
					return
				}
				_, err = st.Put(ctx, tenantA, "counter", strings.NewReader(fmt.Sprint(n+1)), "text/plain", info.ETag)
				switch {
				case err == nil:
					done++
				case governance.IsKind(err, governance.KindConflict):
					// Someone else won this round; read again.
				default:
					t.Errorf("Put: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	mustGet(t, st, tenantA, "counter", []byte(fmt.Sprint(goroutines*increments)))
}

func (s suite) canceledContext(t *testing.T) {
	st := s.newStore(t)
	mustPut(t, st, tenantA, "k", []byte("v"), "")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := st.Put(ctx, tenantA, "new", strings.NewReader("v"), "", "")
	mustCanceled(t, "Put", err)
	_, _, err = st.Get(ctx, tenantA, "k")
	mustCanceled(t, "Get", err)
	_, err = st.Stat(ctx, tenantA, "k")
	mustCanceled(t, "Stat", err)
	mustCanceled(t, "Delete", st.Delete(ctx, tenantA, "k"))
	_, err = st.List(ctx, tenantA, "", "", 10)
	mustCanceled(t, "List", err)
	mustNotFound(t, st, tenantA, "new")
	mustGet(t, st, tenantA, "k", []byte("v"))

	// Canceled while the body streams: nothing is stored.
	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	r := io.MultiReader(bytes.NewReader(randomBytes(7, 256<<10)), cancelingReader{cancel}, bytes.NewReader(randomBytes(8, 256<<10)))
	_, err = st.Put(ctx, tenantA, "new", r, "", "")
	mustCanceled(t, "Put canceled mid-body", err)
	mustNotFound(t, st, tenantA, "new")
}

// ETagOf is the ETag every implementation must give content: the quoted,
// lowercase hex SHA-256.
func ETagOf(content []byte) string {
	sum := sha256.Sum256(content)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// versionContent is a self-checking object of a few KiB to 64 KiB: the
// header "g,i," and then bytes derived from it, so a mix of two versions is
// detectable without knowing which was read.
func versionContent(g, i int) []byte {
	n := 4<<10 + (g*131+i*977)%(60<<10)
	return append([]byte(fmt.Sprintf("%d,%d,", g, i)), randomBytes(uint64(g<<16|i), n)...)
}

func validVersion(b []byte) bool {
	var g, i int
	if _, err := fmt.Sscanf(string(b[:min(len(b), 32)]), "%d,%d,", &g, &i); err != nil {
		return false
	}
	return bytes.Equal(b, versionContent(g, i))
}

func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	key[2], key[3] = byte(seed>>16), byte(seed>>24)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

// endless is a body that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// cancelingReader cancels a context when read, as a client that goes away
// in the middle of an upload, and then yields nothing.
type cancelingReader struct{ cancel context.CancelFunc }

func (r cancelingReader) Read([]byte) (int, error) {
	r.cancel()
	return 0, io.EOF
}

// forEachMethod checks that every per-key method refuses (tenantID, key)
// with an error of kind want.
func forEachMethod(t *testing.T, st blob.Store, tenantID, key string, want governance.Kind) {
	t.Helper()
	ctx := t.Context()
	what := fmt.Sprintf("(tenant %q, key %q)", tenantID, key)
	_, err := st.Put(ctx, tenantID, key, strings.NewReader("x"), "", "")
	mustKind(t, "Put"+what, err, want)
	_, err = st.Put(ctx, tenantID, key, strings.NewReader("x"), "", ETagOf([]byte("v")))
	mustKind(t, "Put with ifMatch"+what, err, want)
	rc, _, err := st.Get(ctx, tenantID, key)
	if rc != nil {
		_ = rc.Close()
	}
	mustKind(t, "Get"+what, err, want)
	_, err = st.Stat(ctx, tenantID, key)
	mustKind(t, "Stat"+what, err, want)
	mustKind(t, "Delete"+what, st.Delete(ctx, tenantID, key), want)
}

func mustPut(t *testing.T, st blob.Store, tenantID, key string, content []byte, contentType string) blob.Info {
	t.Helper()
	info, err := st.Put(t.Context(), tenantID, key, bytes.NewReader(content), contentType, "")
	if err != nil {
		t.Fatalf("Put(%q, %q): %v", tenantID, key, err)
	}
	return info
}

func mustRead(t *testing.T, st blob.Store, tenantID, key string) ([]byte, blob.Info) {
	t.Helper()
	rc, info, err := st.Get(t.Context(), tenantID, key)
	if err != nil {
		t.Fatalf("Get(%q, %q): %v", tenantID, key, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%q, %q): read: %v", tenantID, key, err)
	}
	if err := rc.Close(); err != nil {
		t.Fatalf("Get(%q, %q): close: %v", tenantID, key, err)
	}
	return got, info
}

// mustGet reads the object, checks its content, and checks that the Info
// agrees with the content and with Stat.
func mustGet(t *testing.T, st blob.Store, tenantID, key string, want []byte) blob.Info {
	t.Helper()
	got, info := mustRead(t, st, tenantID, key)
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q, %q) = %q, want %q", tenantID, key, abbrev(got), abbrev(want))
	}
	if info.Key != key || info.Size != int64(len(want)) || info.ETag != ETagOf(want) {
		t.Fatalf("Get(%q, %q) Info = %+v; want key %q, size %d, ETag %s", tenantID, key, info, key, len(want), ETagOf(want))
	}
	mustSameInfo(t, fmt.Sprintf("Stat(%q, %q)", tenantID, key), mustStat(t, st, tenantID, key), info)
	return info
}

func mustStat(t *testing.T, st blob.Store, tenantID, key string) blob.Info {
	t.Helper()
	info, err := st.Stat(t.Context(), tenantID, key)
	if err != nil {
		t.Fatalf("Stat(%q, %q): %v", tenantID, key, err)
	}
	return info
}

// mustNotFound checks that Get and Stat both report no object.
func mustNotFound(t *testing.T, st blob.Store, tenantID, key string) {
	t.Helper()
	rc, _, err := st.Get(t.Context(), tenantID, key)
	if rc != nil {
		_ = rc.Close()
	}
	mustKind(t, fmt.Sprintf("Get(%q, %q)", tenantID, key), err, governance.KindNotFound)
	_, err = st.Stat(t.Context(), tenantID, key)
	mustKind(t, fmt.Sprintf("Stat(%q, %q)", tenantID, key), err, governance.KindNotFound)
}

func mustList(t *testing.T, st blob.Store, tenantID, prefix, after string, limit int) []blob.Info {
	t.Helper()
	infos, err := st.List(t.Context(), tenantID, prefix, after, limit)
	if err != nil {
		t.Fatalf("List(%q, prefix %q, after %q, %d): %v", tenantID, prefix, after, limit, err)
	}
	return infos
}

func mustKind(t *testing.T, what string, err error, want governance.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s succeeded, want a %v error", what, want)
	}
	if got := governance.KindOf(err); got != want {
		t.Fatalf("%s = %v (kind %v), want kind %v", what, err, got, want)
	}
	if !strings.HasPrefix(err.Error(), "blob: ") {
		t.Fatalf("%s = %q, want the \"blob: \" prefix", what, err)
	}
}

func mustCanceled(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("%s with a canceled context = %v, want context.Canceled", what, err)
	}
}

func mustSameInfo(t *testing.T, what string, got, want blob.Info) {
	t.Helper()
	if got.Key != want.Key || got.Size != want.Size || got.ContentType != want.ContentType ||
		got.ETag != want.ETag || !got.ModTime.Equal(want.ModTime) {
		t.Fatalf("%s = %+v, want %+v", what, got, want)
	}
}

func keysOf(infos []blob.Info) []string {
	keys := make([]string, 0, len(infos))
	for _, info := range infos {
		keys = append(keys, info.Key)
	}
	return keys
}

func abbrev(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("%q… (%d bytes)", b[:40], len(b))
	}
	return fmt.Sprintf("%q", b)
}
