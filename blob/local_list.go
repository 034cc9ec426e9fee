package blob

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// List implements Store.
//
// It walks the tenant's tree depth first, visiting each directory's entries
// sorted by the key text they stand for: an object "x" as "x", a directory
// "x" as "x/". Every key under a directory starts with that text and no
// sibling's text does, so the walk yields keys in byte-wise order, and it
// skips whole directories that lie before after or outside prefix.
// Temporary files, links and anything else that is not an object or a key
// directory are ignored.
func (l *Local) List(ctx context.Context, tenantID, prefix, after string, limit int) ([]Info, error) {
	infos, err := l.list(ctx, tenantID, prefix, after, limit)
	if err != nil {
		return nil, fmt.Errorf("blob: list: %w", err)
	}
	return infos, nil
}

func (l *Local) list(ctx context.Context, tenantID, prefix, after string, limit int) ([]Info, error) {
	if l.closed.Load() {
		return nil, errClosed()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range []error{validateTenantID(tenantID), validatePrefix(prefix), validateAfter(after), validateLimit(limit)} {
		if err != nil {
			return nil, err
		}
	}
	tr, err := l.openTenant(tenantID, false)
	if errors.Is(err, fs.ErrNotExist) {
		return []Info{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer tr.Close()

	w := lister{ctx: ctx, tr: tr, prefix: prefix, after: after, limit: limit, out: []Info{}}
	// Start at the deepest directory the prefix names: nothing outside it
	// can match.
	if err := w.walk(prefix[:strings.LastIndexByte(prefix, '/')+1]); err != nil && !errors.Is(err, errListFull) {
		return nil, err
	}
	return w.out, nil
}

type lister struct {
	ctx           context.Context
	tr            *os.Root
	prefix, after string
	limit         int
	out           []Info
}

type listEntry struct {
	text  string // key text: "x" for an object, "x/" for a directory
	name  string // file name
	isDir bool
}

// walk lists the directory whose keys start with dirKey ("" for the
// tenant's directory, otherwise ending in "/").
func (w *lister) walk(dirKey string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	dirPath := "."
	if dirKey != "" {
		dirPath = filepath.FromSlash(strings.TrimSuffix(dirKey, "/"))
	}
	entries, err := w.readDir(dirPath)
	if err != nil {
		return err
	}
	for _, e := range entries {
		full := dirKey + e.text
		if e.isDir {
			// Descend only where keys can both match the prefix and sort
			// after the cursor. When full < after and after does not start
			// with full, every key under full sorts before after.
			if !strings.HasPrefix(full, w.prefix) && !strings.HasPrefix(w.prefix, full) {
				continue
			}
			if full < w.after && !strings.HasPrefix(w.after, full) {
				continue
			}
			if err := w.walk(full); err != nil {
				return err
			}
		} else {
			if !strings.HasPrefix(full, w.prefix) || full <= w.after {
				continue
			}
			info, ok, err := w.object(filepath.Join(dirPath, e.name), full)
			if err != nil {
				return err
			}
			if ok {
				w.out = append(w.out, info)
			}
		}
		if len(w.out) == w.limit {
			return errListFull
		}
	}
	return nil
}

// errListFull stops the walk once the page is full; list treats it as
// success.
var errListFull = errors.New("page full")

func (w *lister) readDir(dirPath string) ([]listEntry, error) {
	d, err := w.tr.Open(dirPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // removed by a concurrent Delete, or never made
	}
	if err != nil {
		return nil, fmt.Errorf("open directory: %w", err)
	}
	defer d.Close()
	des, err := d.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("read directory: %w", err)
	}
	entries := make([]listEntry, 0, len(des))
	for _, de := range des {
		name := de.Name()
		switch {
		case de.IsDir() && isSegment(name):
			entries = append(entries, listEntry{text: name + "/", name: name, isDir: true})
		case de.Type().IsRegular() && strings.HasSuffix(name, objectSuffix) && isSegment(strings.TrimSuffix(name, objectSuffix)):
			entries = append(entries, listEntry{text: strings.TrimSuffix(name, objectSuffix), name: name})
		}
	}
	slices.SortFunc(entries, func(a, b listEntry) int { return cmp.Compare(a.text, b.text) })
	return entries, nil
}

// object reads one object's metadata; ok is false when a concurrent Delete
// removed it after the directory was read.
func (w *lister) object(name, key string) (Info, bool, error) {
	f, err := w.tr.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, false, nil
	}
	if err != nil {
		return Info{}, false, fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	info, err := readTrailer(f, key, true)
	if err != nil {
		return Info{}, false, err
	}
	return info, true, nil
}
