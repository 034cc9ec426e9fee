package blob

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stewardhq/steward/governance"
)

// DefaultMaxSize is Local's default limit on one object: room for any
// template picture or export Steward makes, small enough that one caller
// cannot fill the disk in one request.
const DefaultMaxSize int64 = 16 << 20

// LocalOptions configures NewLocal. Zero values take the defaults.
type LocalOptions struct {
	// MaxSize is the largest object Put accepts, in bytes (default
	// DefaultMaxSize).
	MaxSize int64
	// Now is the clock that stamps ModTime (default time.Now), injected so
	// tests can pin it.
	Now func() time.Time
}

// Local is a Store in a directory on one node: the embedded default.
//
// # Layout
//
//	<dir>/<tenant id>/<key>@blob      one object: its content, then a trailer
//	<dir>/<tenant id>/<dir>/@tmp-*    a Put in flight (or cut short by a crash)
//
// Key segments become directories, and the last one gets the suffix "@blob",
// so "a" and "a/b" can both exist ("a@blob" and "a/b@blob"). Because "@" is
// not a key character, no key names a temporary file and no directory name
// ends in "@blob".
//
// The trailer holds the metadata, so content and metadata live in one file
// and are replaced by one rename: a crash leaves the old object or the new
// one, never new content with old metadata. Its format, at the end of the
// file, is JSON (key, size, content type, ETag, mod time), then the JSON's
// length as a big-endian uint32, then the 8 bytes "STWBLOB1".
//
// # Safety
//
// Put writes a 0600 temporary file next to the target, fsyncs it, renames it
// over the target and fsyncs the directory. Readers hold an open file, which
// a later rename does not change, so they read one complete version. Put's
// ETag check and rename, and Delete, are serialised per key within the
// process; two processes must not share a directory.
//
// Every file operation goes through an os.Root, which refuses paths and
// symbolic links that lead out of the directory. Each call opens its tenant's
// directory as a root of its own, after checking that it is a real directory
// and not a link, so no link can lead from one tenant's objects into
// another's either.
//
// On a case-insensitive file system (the macOS default) keys that differ
// only in case share one file; the trailer records the exact key, so the
// loser of such a collision reads as not found rather than as the other
// object.
type Local struct {
	root    *os.Root
	maxSize int64
	now     func() time.Time
	closed  atomic.Bool

	// keyLocks serialise, per key (striped by hash), the step that decides
	// what the current object is: Put's ETag check with its rename, and
	// Delete. Streaming content happens outside them.
	seed     maphash.Seed
	keyLocks [64]sync.Mutex

	// tree keeps Delete from removing a directory that a Put has just made
	// and not yet put its temporary file in: Put holds it shared from
	// MkdirAll until the temporary file exists, pruning holds it exclusively.
	tree sync.RWMutex
}

var _ Store = (*Local)(nil)

// Names inside a tenant's directory that keys cannot produce.
const (
	objectSuffix = "@blob"
	tempPrefix   = "@tmp-"
)

// NewLocal opens a Local store in dir, creating the directory (0700) if it
// is missing. Close releases it.
func NewLocal(dir string, opts LocalOptions) (*Local, error) {
	if dir == "" {
		return nil, errors.New("blob: local: a directory is required")
	}
	if opts.MaxSize < 0 {
		return nil, fmt.Errorf("blob: local: max size must not be negative, got %d", opts.MaxSize)
	}
	if opts.MaxSize == 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob: local: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: local: %w", err)
	}
	return &Local{root: root, maxSize: opts.MaxSize, now: opts.Now, seed: maphash.MakeSeed()}, nil
}

// Close releases the directory. It is safe to call more than once; any other
// call after it fails with governance.KindUnavailable. Readers already
// returned by Get stay valid until closed.
func (l *Local) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	if err := l.root.Close(); err != nil {
		return fmt.Errorf("blob: close: %w", err)
	}
	return nil
}

// Put implements Store.
func (l *Local) Put(ctx context.Context, tenantID, key string, r io.Reader, contentType, ifMatch string) (Info, error) {
	info, err := l.put(ctx, tenantID, key, r, contentType, ifMatch)
	if err != nil {
		return Info{}, fmt.Errorf("blob: put: %w", err)
	}
	return info, nil
}

func (l *Local) put(ctx context.Context, tenantID, key string, r io.Reader, contentType, ifMatch string) (Info, error) {
	if err := l.begin(ctx, tenantID, key); err != nil {
		return Info{}, err
	}
	ct, err := normalizeContentType(contentType)
	if err != nil {
		return Info{}, err
	}
	tr, err := l.openTenant(tenantID, true)
	if err != nil {
		return Info{}, err
	}
	defer tr.Close()

	name := objectPath(key)
	// Refuse a stale write before reading a possibly large body; the check
	// that counts is repeated under the key lock below.
	if ifMatch != "" {
		if err := checkIfMatch(tr, key, ifMatch); err != nil {
			return Info{}, err
		}
	}

	dir := path.Dir(key)
	tmp, tmpName, err := l.createTemp(tr, dir)
	if err != nil {
		return Info{}, err
	}
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close() // may already be closed; the error says nothing new
			_ = tr.Remove(tmpName)
			l.prune(tr, dir)
		}
	}()

	size, sum, err := l.copyContent(ctx, tmp, r)
	if err != nil {
		return Info{}, err
	}
	info := Info{Key: key, Size: size, ContentType: ct, ETag: etagOf(sum), ModTime: l.now().UTC()}
	if err := writeTrailer(tmp, info); err != nil {
		return Info{}, fmt.Errorf("write %s: %w", tmpName, err)
	}
	if err := tmp.Sync(); err != nil {
		return Info{}, fmt.Errorf("sync %s: %w", tmpName, err)
	}
	if err := tmp.Close(); err != nil {
		return Info{}, fmt.Errorf("close %s: %w", tmpName, err)
	}

	mu := l.keyLock(tenantID, key)
	mu.Lock()
	if ifMatch != "" {
		if err := checkIfMatch(tr, key, ifMatch); err != nil {
			mu.Unlock()
			return Info{}, err
		}
	}
	err = tr.Rename(tmpName, name)
	mu.Unlock()
	if err != nil {
		return Info{}, fmt.Errorf("replace %s: %w", name, err)
	}
	committed = true

	// The rename is durable once the directory holding it is synced, and a
	// directory made for this Put (by it or by a concurrent Put that has not
	// synced yet) once its parents are. Syncing a clean directory is cheap,
	// so the whole chain is synced every time rather than tracked.
	for d := dir; d != "."; d = path.Dir(d) {
		syncDir(tr, d)
	}
	syncDir(tr, ".")
	syncDir(l.root, ".")
	return info, nil
}

// createTemp makes the directory for an object and an empty 0600 temporary
// file in it.
func (l *Local) createTemp(tr *os.Root, dir string) (*os.File, string, error) {
	l.tree.RLock()
	defer l.tree.RUnlock()
	if dir != "." {
		if err := tr.MkdirAll(filepath.FromSlash(dir), 0o700); err != nil {
			return nil, "", fmt.Errorf("make directory for object: %w", err)
		}
	}
	name := filepath.FromSlash(path.Join(dir, tempPrefix+rand.Text()))
	f, err := tr.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("create temporary file: %w", err)
	}
	return f, name, nil
}

// copyContent streams r into w, hashing as it goes, and stops at the size
// limit and, between chunks, when ctx is done.
func (l *Local) copyContent(ctx context.Context, w io.Writer, r io.Reader) (int64, []byte, error) {
	h := newContentHash()
	// Reading one byte past the limit is how an oversized body is told
	// from one exactly at it, without draining the rest of it.
	lr := io.LimitReader(r, l.maxSize+1)
	buf := make([]byte, 64<<10)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return 0, nil, err
		}
		m, rerr := lr.Read(buf)
		if m > 0 {
			n += int64(m)
			if n > l.maxSize {
				return 0, nil, errTooLarge(l.maxSize)
			}
			h.Write(buf[:m])
			if _, err := w.Write(buf[:m]); err != nil {
				return 0, nil, fmt.Errorf("write content: %w", err)
			}
		}
		if rerr == io.EOF {
			return n, h.Sum(nil), nil
		}
		if rerr != nil {
			return 0, nil, fmt.Errorf("read content: %w", rerr)
		}
	}
}

// checkIfMatch fails with KindConflict unless the current object's ETag is
// ifMatch.
func checkIfMatch(tr *os.Root, key, ifMatch string) error {
	info, err := statObject(tr, key)
	switch {
	case governance.IsKind(err, governance.KindNotFound):
		return errPreconditionFailed(key, ifMatch, "")
	case err != nil:
		return err
	case info.ETag != ifMatch:
		return errPreconditionFailed(key, ifMatch, info.ETag)
	}
	return nil
}

// Get implements Store.
func (l *Local) Get(ctx context.Context, tenantID, key string) (io.ReadCloser, Info, error) {
	rc, info, err := l.get(ctx, tenantID, key)
	if err != nil {
		return nil, Info{}, fmt.Errorf("blob: get: %w", err)
	}
	return rc, info, nil
}

func (l *Local) get(ctx context.Context, tenantID, key string) (io.ReadCloser, Info, error) {
	if err := l.begin(ctx, tenantID, key); err != nil {
		return nil, Info{}, err
	}
	tr, err := l.openTenant(tenantID, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Info{}, errNotFound(key)
	}
	if err != nil {
		return nil, Info{}, err
	}
	defer tr.Close() // the open file outlives the root
	f, err := openObject(tr, key)
	if err != nil {
		return nil, Info{}, err
	}
	info, err := readTrailer(f, key, false)
	if err != nil {
		_ = f.Close()
		return nil, Info{}, err
	}
	return &objectReader{ctx: ctx, r: io.NewSectionReader(f, 0, info.Size), f: f}, info, nil
}

// objectReader reads the content of one object file, which a concurrent Put
// cannot change: Put replaces the name, not the file.
type objectReader struct {
	ctx context.Context
	r   *io.SectionReader
	f   *os.File
}

func (o *objectReader) Read(p []byte) (int, error) {
	if err := o.ctx.Err(); err != nil {
		return 0, fmt.Errorf("blob: get: %w", err)
	}
	return o.r.Read(p)
}

func (o *objectReader) Close() error { return o.f.Close() }

// Stat implements Store.
func (l *Local) Stat(ctx context.Context, tenantID, key string) (Info, error) {
	info, err := l.stat(ctx, tenantID, key)
	if err != nil {
		return Info{}, fmt.Errorf("blob: stat: %w", err)
	}
	return info, nil
}

func (l *Local) stat(ctx context.Context, tenantID, key string) (Info, error) {
	if err := l.begin(ctx, tenantID, key); err != nil {
		return Info{}, err
	}
	tr, err := l.openTenant(tenantID, false)
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, errNotFound(key)
	}
	if err != nil {
		return Info{}, err
	}
	defer tr.Close()
	return statObject(tr, key)
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, tenantID, key string) error {
	if err := l.delete(ctx, tenantID, key); err != nil {
		return fmt.Errorf("blob: delete: %w", err)
	}
	return nil
}

func (l *Local) delete(ctx context.Context, tenantID, key string) error {
	if err := l.begin(ctx, tenantID, key); err != nil {
		return err
	}
	tr, err := l.openTenant(tenantID, false)
	if errors.Is(err, fs.ErrNotExist) {
		return errNotFound(key)
	}
	if err != nil {
		return err
	}
	defer tr.Close()

	name := objectPath(key)
	mu := l.keyLock(tenantID, key)
	mu.Lock()
	err = removeObject(tr, key, name)
	mu.Unlock()
	if err != nil {
		return err
	}
	dir := path.Dir(key)
	syncDir(tr, dir)
	l.prune(tr, dir)
	return nil
}

// removeObject removes the object file, checking first that it is one: a
// directory or link planted under an object's name is not removed.
func removeObject(tr *os.Root, key, name string) error {
	fi, err := tr.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return errNotFound(key)
	}
	if err != nil {
		return fmt.Errorf("stat %s: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file; refusing to remove it", name)
	}
	if err := tr.Remove(name); errors.Is(err, fs.ErrNotExist) {
		return errNotFound(key)
	} else if err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return nil
}

// prune removes dir and its parents while they are empty, stopping below
// the tenant's directory, so deleted objects leave no empty trees behind.
func (l *Local) prune(tr *os.Root, dir string) {
	l.tree.Lock()
	defer l.tree.Unlock()
	for d := dir; d != "."; d = path.Dir(d) {
		// Remove fails on a directory that is not empty, which is where
		// pruning stops.
		if err := tr.Remove(filepath.FromSlash(d)); err != nil {
			return
		}
	}
}

// begin does the checks every call on one key starts with.
func (l *Local) begin(ctx context.Context, tenantID, key string) error {
	if l.closed.Load() {
		return errClosed()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validateTenantID(tenantID); err != nil {
		return err
	}
	return validateKey(key)
}

// openTenant opens the tenant's directory as a root of its own, so nothing
// done for this tenant can reach outside it. With create it makes the
// directory first; without, a missing directory is an error matching
// fs.ErrNotExist (the tenant has no objects).
//
// The directory must be a real directory: os.Root follows a link that stays
// inside the root, and a link from one tenant's name to another tenant's
// directory would otherwise join the two. Comparing the Lstat result with
// the opened directory also catches a swap between the two calls.
func (l *Local) openTenant(tenantID string, create bool) (*os.Root, error) {
	if create {
		if err := l.root.Mkdir(tenantID, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("make tenant directory: %w", err)
		}
	}
	fi, err := l.root.Lstat(tenantID)
	if err != nil {
		return nil, fmt.Errorf("stat tenant directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("tenant directory %s is not a directory (mode %v); refusing to use it", tenantID, fi.Mode())
	}
	tr, err := l.root.OpenRoot(tenantID)
	if err != nil {
		return nil, fmt.Errorf("open tenant directory: %w", err)
	}
	opened, err := tr.Stat(".")
	if err != nil || !os.SameFile(fi, opened) {
		_ = tr.Close()
		return nil, fmt.Errorf("tenant directory %s changed while being opened; refusing to use it", tenantID)
	}
	return tr, nil
}

func (l *Local) keyLock(tenantID, key string) *sync.Mutex {
	var h maphash.Hash
	h.SetSeed(l.seed)
	h.WriteString(tenantID)
	h.WriteByte(0) // tenant ids cannot hold NUL, so ("ab","c") and ("a","bc") differ
	h.WriteString(key)
	return &l.keyLocks[h.Sum64()%uint64(len(l.keyLocks))]
}

// objectPath is the file of key, relative to its tenant's directory.
func objectPath(key string) string { return filepath.FromSlash(key + objectSuffix) }

func openObject(tr *os.Root, key string) (*os.File, error) {
	name := objectPath(key)
	f, err := tr.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNotFound(key)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	return f, nil
}

func statObject(tr *os.Root, key string) (Info, error) {
	f, err := openObject(tr, key)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	return readTrailer(f, key, false)
}

// syncDir is best effort: some platforms and file systems cannot fsync a
// directory, and by the time it runs the rename has happened.
func syncDir(r *os.Root, dir string) {
	d, err := r.Open(filepath.FromSlash(dir))
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
