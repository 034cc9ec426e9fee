package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/blob"
	"github.com/stewardhq/steward/blob/blobtest"
	"github.com/stewardhq/steward/governance"
)

// testMaxSize keeps the suite's at-the-limit object small.
const testMaxSize = 2 << 20

func newLocal(t *testing.T, dir string, opts blob.LocalOptions) *blob.Local {
	t.Helper()
	l, err := blob.NewLocal(dir, opts)
	if err != nil {
		t.Fatalf("NewLocal: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func TestLocalConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		return newLocal(t, t.TempDir(), blob.LocalOptions{MaxSize: testMaxSize})
	}, blobtest.Config{MaxSize: testMaxSize})
}

func put(t *testing.T, l *blob.Local, tenantID, key, content string) blob.Info {
	t.Helper()
	info, err := l.Put(t.Context(), tenantID, key, strings.NewReader(content), "", "")
	if err != nil {
		t.Fatalf("Put(%q, %q): %v", tenantID, key, err)
	}
	return info
}

func read(t *testing.T, l *blob.Local, tenantID, key string) string {
	t.Helper()
	rc, _, err := l.Get(t.Context(), tenantID, key)
	if err != nil {
		t.Fatalf("Get(%q, %q): %v", tenantID, key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%q, %q): read: %v", tenantID, key, err)
	}
	return string(b)
}

func listKeys(t *testing.T, l *blob.Local, tenantID string) []string {
	t.Helper()
	infos, err := l.List(t.Context(), tenantID, "", "", blob.MaxListLimit)
	if err != nil {
		t.Fatalf("List(%q): %v", tenantID, err)
	}
	var keys []string
	for _, info := range infos {
		keys = append(keys, info.Key)
	}
	return keys
}

func TestNewLocalOptions(t *testing.T) {
	if _, err := blob.NewLocal("", blob.LocalOptions{}); err == nil {
		t.Error("NewLocal with no directory succeeded")
	}
	if _, err := blob.NewLocal(t.TempDir(), blob.LocalOptions{MaxSize: -1}); err == nil {
		t.Error("NewLocal with a negative max size succeeded")
	}

	// The directory is made, 0700, with its parents.
	dir := filepath.Join(t.TempDir(), "data", "blobs")
	l := newLocal(t, dir, blob.LocalOptions{})
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("NewLocal made %s as %v, %v; want a 0700 directory", dir, fi, err)
	}

	// The default limit is DefaultMaxSize.
	_, err := l.Put(t.Context(), "t1", "big", io.LimitReader(zeros{}, blob.DefaultMaxSize+1), "", "")
	if !governance.IsKind(err, governance.KindInvalid) {
		t.Fatalf("Put of DefaultMaxSize+1 bytes = %v, want KindInvalid", err)
	}
	if _, err := l.Put(t.Context(), "t1", "big", io.LimitReader(zeros{}, blob.DefaultMaxSize), "", ""); err != nil {
		t.Fatalf("Put of DefaultMaxSize bytes: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestLocalClock(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 8, time.FixedZone("CET", 3600))
	l := newLocal(t, t.TempDir(), blob.LocalOptions{Now: func() time.Time { return at }})
	info := put(t, l, "t1", "k", "v")
	if !info.ModTime.Equal(at) || info.ModTime.Location() != time.UTC {
		t.Fatalf("Put ModTime = %v, want %v in UTC", info.ModTime, at)
	}
	got, err := l.Stat(t.Context(), "t1", "k")
	if err != nil || !got.ModTime.Equal(at) {
		t.Fatalf("Stat = %+v, %v; want ModTime %v", got, err, at)
	}
	infos, err := l.List(t.Context(), "t1", "", "", 10)
	if err != nil || len(infos) != 1 || !infos[0].ModTime.Equal(at) {
		t.Fatalf("List = %+v, %v; want one object with ModTime %v", infos, err, at)
	}
}

// TestLocalLayout pins the documented layout: a file per object under the
// tenant's directory, its content first.
func TestLocalLayout(t *testing.T) {
	dir := t.TempDir()
	l := newLocal(t, dir, blob.LocalOptions{})
	put(t, l, "t1", "a", "object a")
	put(t, l, "t1", "a/logo.png", "object a/logo.png")
	for key, content := range map[string]string{"a": "object a", "a/logo.png": "object a/logo.png"} {
		b, err := os.ReadFile(filepath.Join(dir, "t1", filepath.FromSlash(key)+"@blob"))
		if err != nil {
			t.Fatalf("object file of %q: %v", key, err)
		}
		if !bytes.HasPrefix(b, []byte(content)) || !bytes.HasSuffix(b, []byte("STWBLOB1")) {
			t.Fatalf("object file of %q = %q; want its content, then a trailer", key, b)
		}
	}
}

func TestLocalPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	l := newLocal(t, dir, blob.LocalOptions{})
	put(t, l, "t1", "a/b/c", "x")
	put(t, l, "t1", "d", "y")
	put(t, l, "t2", "e/f", "z")
	seen := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), want)
		}
		seen++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// blobs, t1, t1/a, t1/a/b, t1/a/b/c@blob, t1/d@blob, t2, t2/e, t2/e/f@blob
	if seen != 9 {
		t.Fatalf("checked %d entries, want 9", seen)
	}
}

func TestLocalDeletePrunesEmptyDirectories(t *testing.T) {
	dir := t.TempDir()
	l := newLocal(t, dir, blob.LocalOptions{})
	ctx := t.Context()
	put(t, l, "t1", "a/b/c", "x")
	put(t, l, "t1", "a/d", "y")
	exists := func(rel string) bool {
		_, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(rel)))
		return err == nil
	}
	if err := l.Delete(ctx, "t1", "a/b/c"); err != nil {
		t.Fatal(err)
	}
	if exists("t1/a/b") || !exists("t1/a") {
		t.Fatalf("after deleting a/b/c: t1/a/b exists %v, t1/a exists %v; want false, true", exists("t1/a/b"), exists("t1/a"))
	}
	if err := l.Delete(ctx, "t1", "a/d"); err != nil {
		t.Fatal(err)
	}
	if exists("t1/a") || !exists("t1") {
		t.Fatalf("after deleting a/d: t1/a exists %v, t1 exists %v; want false, true", exists("t1/a"), exists("t1"))
	}
}

// TestLocalConcurrentPutDelete runs Puts and Deletes of sibling keys, so
// pruning races with Puts making the same directories.
func TestLocalConcurrentPutDelete(t *testing.T) {
	l := newLocal(t, t.TempDir(), blob.LocalOptions{})
	var wg sync.WaitGroup
	for g := range 10 {
		wg.Go(func() {
			ctx := t.Context()
			key := "p/q/r" + string(rune('a'+g))
			for range 20 {
				if _, err := l.Put(ctx, "t1", key, strings.NewReader(key), "", ""); err != nil {
					t.Errorf("Put(%q): %v", key, err)
					return
				}
				if err := l.Delete(ctx, "t1", key); err != nil {
					t.Errorf("Delete(%q): %v", key, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if keys := listKeys(t, l, "t1"); len(keys) != 0 {
		t.Fatalf("List after all deletes = %q", keys)
	}
}

// validObjectFile returns the bytes of a real object file for key, to plant
// where the store must not look.
func validObjectFile(t *testing.T, key, content string) []byte {
	t.Helper()
	dir := t.TempDir()
	l := newLocal(t, dir, blob.LocalOptions{})
	put(t, l, "src", key, content)
	b, err := os.ReadFile(filepath.Join(dir, "src", filepath.FromSlash(key)+"@blob"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustFail(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s succeeded through a link; want an error", what)
	} else if !strings.HasPrefix(err.Error(), "blob: ") {
		t.Errorf("%s = %q, want the \"blob: \" prefix", what, err)
	}
}

// checkRefused runs every method for (tenantID, key) and wants each to fail.
func checkRefused(t *testing.T, l *blob.Local, tenantID, key string) {
	t.Helper()
	ctx := t.Context()
	_, err := l.Put(ctx, tenantID, key, strings.NewReader("written through a link"), "", "")
	mustFail(t, "Put", err)
	rc, _, err := l.Get(ctx, tenantID, key)
	if rc != nil {
		_ = rc.Close()
	}
	mustFail(t, "Get", err)
	_, err = l.Stat(ctx, tenantID, key)
	mustFail(t, "Stat", err)
	mustFail(t, "Delete", l.Delete(ctx, tenantID, key))
}

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			names = append(names, strings.TrimPrefix(p, dir))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestLocalSymlinks(t *testing.T) {
	planted := validObjectFile(t, "k", "outside the store")

	t.Run("tenant directory linked outside", func(t *testing.T) {
		dir, outside := t.TempDir(), t.TempDir()
		l := newLocal(t, dir, blob.LocalOptions{})
		if err := os.Symlink(outside, filepath.Join(dir, "tenant-x")); err != nil {
			t.Fatal(err)
		}
		checkRefused(t, l, "tenant-x", "new/k")
		if got := dirEntries(t, outside); len(got) != 0 {
			t.Fatalf("files written outside the store: %q", got)
		}
		if err := os.WriteFile(filepath.Join(outside, "k@blob"), planted, 0o600); err != nil {
			t.Fatal(err)
		}
		checkRefused(t, l, "tenant-x", "k")
		_, err := l.List(t.Context(), "tenant-x", "", "", 10)
		mustFail(t, "List", err)
		if _, err := os.Stat(filepath.Join(outside, "k@blob")); err != nil {
			t.Fatalf("the planted file outside is gone: %v", err)
		}
	})

	t.Run("tenant directory linked to another tenant", func(t *testing.T) {
		dir := t.TempDir()
		l := newLocal(t, dir, blob.LocalOptions{})
		put(t, l, "tenant-a", "k", "tenant a's")
		if err := os.Symlink("tenant-a", filepath.Join(dir, "tenant-y")); err != nil {
			t.Fatal(err)
		}
		checkRefused(t, l, "tenant-y", "k")
		_, err := l.List(t.Context(), "tenant-y", "", "", 10)
		mustFail(t, "List", err)
		if got := read(t, l, "tenant-a", "k"); got != "tenant a's" {
			t.Fatalf("tenant a's object = %q after writes through a link", got)
		}
		if keys := listKeys(t, l, "tenant-a"); !slices.Equal(keys, []string{"k"}) {
			t.Fatalf("tenant a lists %q, want [k]", keys)
		}
	})

	t.Run("directory inside a tenant linked outside", func(t *testing.T) {
		dir, outside := t.TempDir(), t.TempDir()
		l := newLocal(t, dir, blob.LocalOptions{})
		put(t, l, "t1", "x", "x")
		put(t, l, "tenant-a", "k", "tenant a's")
		for link, target := range map[string]string{
			"abs": outside,                                           // absolute: os.Root refuses any
			"rel": filepath.Join("..", "..", filepath.Base(outside)), // relative, out of the store
			"sib": filepath.Join("..", "tenant-a"),                   // relative, into another tenant
		} {
			if err := os.Symlink(target, filepath.Join(dir, "t1", link)); err != nil {
				t.Fatal(err)
			}
			checkRefused(t, l, "t1", link+"/new")
		}
		if got := dirEntries(t, outside); len(got) != 0 {
			t.Fatalf("files written outside the store: %q", got)
		}
		if err := os.WriteFile(filepath.Join(outside, "k@blob"), planted, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"abs/k", "rel/k", "sib/k"} {
			checkRefused(t, l, "t1", key)
		}
		if keys := listKeys(t, l, "t1"); !slices.Equal(keys, []string{"x"}) {
			t.Fatalf("List follows links: %q, want [x]", keys)
		}
		if got := read(t, l, "tenant-a", "k"); got != "tenant a's" {
			t.Fatalf("tenant a's object = %q", got)
		}
	})

	t.Run("object file linked outside", func(t *testing.T) {
		dir, outside := t.TempDir(), t.TempDir()
		l := newLocal(t, dir, blob.LocalOptions{})
		put(t, l, "t1", "x", "x")
		target := filepath.Join(outside, "k@blob")
		if err := os.WriteFile(target, planted, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(dir, "t1", "k@blob")); err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		rc, _, err := l.Get(ctx, "t1", "k")
		if rc != nil {
			_ = rc.Close()
		}
		mustFail(t, "Get", err)
		_, err = l.Stat(ctx, "t1", "k")
		mustFail(t, "Stat", err)
		_, err = l.Put(ctx, "t1", "k", strings.NewReader("v"), "", blobtest.ETagOf([]byte("outside the store")))
		mustFail(t, "Put with ifMatch", err)
		mustFail(t, "Delete", l.Delete(ctx, "t1", "k"))
		if keys := listKeys(t, l, "t1"); !slices.Equal(keys, []string{"x"}) {
			t.Fatalf("List follows links: %q, want [x]", keys)
		}
		// An unconditional Put replaces the link itself, inside the store.
		put(t, l, "t1", "k", "replaces the link")
		if got := read(t, l, "t1", "k"); got != "replaces the link" {
			t.Fatalf("Get after replacing the link = %q", got)
		}
		if b, err := os.ReadFile(target); err != nil || !bytes.Equal(b, planted) {
			t.Fatalf("the file outside was changed: %v", err)
		}
	})
}

// TestLocalIgnoresLeftovers plants what a crash leaves behind, temporary
// files whole or cut short, next to real objects.
func TestLocalIgnoresLeftovers(t *testing.T) {
	dir := t.TempDir()
	l := newLocal(t, dir, blob.LocalOptions{})
	ctx := t.Context()
	put(t, l, "t1", "a/b", "real a/b")
	put(t, l, "t1", "c", "real c")
	leftovers := map[string][]byte{
		"t1/@tmp-CRASHEDBEFORESYNC":   []byte("half of an upl"),
		"t1/a/@tmp-CRASHEDBEFOREMOVE": validObjectFile(t, "a/b", "newer a/b, never renamed"),
		"t1/a/@tmp-EMPTY":             {},
		"t1/stray-without-suffix":     []byte("not an object"),
	}
	for rel, b := range leftovers {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(rel)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if keys := listKeys(t, l, "t1"); !slices.Equal(keys, []string{"a/b", "c"}) {
		t.Fatalf("List = %q, want [a/b c]", keys)
	}
	if got := read(t, l, "t1", "a/b"); got != "real a/b" {
		t.Fatalf("Get(a/b) = %q, want the renamed version", got)
	}
	for _, key := range []string{"@tmp-CRASHEDBEFORESYNC", "a/@tmp-EMPTY", "stray-without-suffix@blob"} {
		_, _, err := l.Get(ctx, "t1", key)
		if !governance.IsKind(err, governance.KindInvalid) {
			t.Errorf("Get(%q) = %v, want KindInvalid: no key names a leftover", key, err)
		}
	}
	_, _, err := l.Get(ctx, "t1", "stray-without-suffix")
	if !governance.IsKind(err, governance.KindNotFound) {
		t.Errorf("Get(stray-without-suffix) = %v, want KindNotFound", err)
	}
	// Puts and Deletes carry on around them.
	put(t, l, "t1", "a/b", "replaced a/b")
	if got := read(t, l, "t1", "a/b"); got != "replaced a/b" {
		t.Fatalf("Get(a/b) = %q", got)
	}
	if err := l.Delete(ctx, "t1", "a/b"); err != nil {
		t.Fatal(err)
	}
	if keys := listKeys(t, l, "t1"); !slices.Equal(keys, []string{"c"}) {
		t.Fatalf("List = %q, want [c]", keys)
	}
}

func TestLocalCorruptObject(t *testing.T) {
	dir := t.TempDir()
	l := newLocal(t, dir, blob.LocalOptions{})
	put(t, l, "t1", "ok", "fine")
	good := validObjectFile(t, "other", "content")
	for name, b := range map[string][]byte{
		"empty":     {},
		"truncated": good[:len(good)-3],
		"garbage":   []byte("no trailer at all, just some bytes"),
		"wrong-key": good, // a file copied under another object's name
	} {
		if err := os.WriteFile(filepath.Join(dir, "t1", name+"@blob"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := l.Stat(t.Context(), "t1", name)
		if err == nil || governance.KindOf(err) != governance.KindInternal {
			t.Errorf("Stat of a corrupt object %q = %v, want an internal error", name, err)
		}
	}
	if got := read(t, l, "t1", "ok"); got != "fine" {
		t.Fatalf("Get(ok) = %q", got)
	}
}

func TestLocalGetReaderHonoursContext(t *testing.T) {
	l := newLocal(t, t.TempDir(), blob.LocalOptions{})
	put(t, l, "t1", "k", strings.Repeat("x", 100<<10))
	ctx, cancel := context.WithCancel(t.Context())
	rc, _, err := l.Get(ctx, "t1", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := rc.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.ReadAll(rc); !errors.Is(err, context.Canceled) {
		t.Fatalf("read after cancel = %v, want context.Canceled", err)
	}
}

func TestLocalClose(t *testing.T) {
	l := newLocal(t, t.TempDir(), blob.LocalOptions{})
	ctx := t.Context()
	put(t, l, "t1", "k", "still readable")
	rc, _, err := l.Get(ctx, "t1", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = l.Put(ctx, "t1", "k", strings.NewReader("v"), "", "")
	if !governance.IsKind(err, governance.KindUnavailable) {
		t.Errorf("Put after Close = %v, want KindUnavailable", err)
	}
	_, err = l.List(ctx, "t1", "", "", 10)
	if !governance.IsKind(err, governance.KindUnavailable) {
		t.Errorf("List after Close = %v, want KindUnavailable", err)
	}
	if b, err := io.ReadAll(rc); err != nil || string(b) != "still readable" {
		t.Fatalf("reader opened before Close = %q, %v", b, err)
	}
}
