package blob

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// An object file of a Local store is the content followed by a trailer:
//
//	content | JSON metadata | uint32 big-endian length of the JSON | "STWBLOB1"
//
// A trailer rather than a header because the ETag and size are known only
// once the content has streamed through; the file is not visible under its
// name until the trailer is written and synced, so a visible object file
// always has one.
const (
	trailerMagic   = "STWBLOB1"
	trailerVersion = 1
	// trailerFixed is the length-and-magic tail.
	trailerFixed = 4 + len(trailerMagic)
	// maxTrailerJSON bounds what a reader will allocate for a damaged file;
	// the longest real trailer (512-byte key, 256-byte content type, both
	// fully escaped) is well under it.
	maxTrailerJSON = 8 << 10
)

type trailer struct {
	Version     int       `json:"v"`
	Key         string    `json:"key"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	ETag        string    `json:"etag"`
	ModTime     time.Time `json:"mod_time"`
}

func writeTrailer(w io.Writer, info Info) error {
	js, err := json.Marshal(trailer{
		Version:     trailerVersion,
		Key:         info.Key,
		Size:        info.Size,
		ContentType: info.ContentType,
		ETag:        info.ETag,
		ModTime:     info.ModTime,
	})
	if err != nil {
		return fmt.Errorf("encode trailer: %w", err)
	}
	js = binary.BigEndian.AppendUint32(js, uint32(len(js)))
	js = append(js, trailerMagic...)
	_, err = w.Write(js)
	return err
}

// readTrailer reads the metadata of the object file f, which must belong to
// key: exactly, or ignoring case when foldKey is set (List, which learns
// keys from file names that a case-insensitive file system may have
// re-cased). A file that does not hold a consistent trailer is reported as
// corrupt, an internal error: no Put produces one.
func readTrailer(f *os.File, key string, foldKey bool) (Info, error) {
	corrupt := func(why string) error {
		return fmt.Errorf("object file %s is corrupt: %s", f.Name(), why)
	}
	fi, err := f.Stat()
	if err != nil {
		return Info{}, fmt.Errorf("stat %s: %w", f.Name(), err)
	}
	if !fi.Mode().IsRegular() {
		return Info{}, corrupt("not a regular file")
	}
	size := fi.Size()
	if size < int64(trailerFixed) {
		return Info{}, corrupt("too short for a trailer")
	}
	var tail [trailerFixed]byte
	if _, err := f.ReadAt(tail[:], size-int64(trailerFixed)); err != nil {
		return Info{}, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	if string(tail[4:]) != trailerMagic {
		return Info{}, corrupt("no trailer")
	}
	n := int64(binary.BigEndian.Uint32(tail[:4]))
	if n > maxTrailerJSON || n > size-int64(trailerFixed) {
		return Info{}, corrupt("bad trailer length")
	}
	js := make([]byte, n)
	if _, err := f.ReadAt(js, size-int64(trailerFixed)-n); err != nil {
		return Info{}, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	var t trailer
	if err := json.Unmarshal(js, &t); err != nil {
		return Info{}, corrupt(err.Error())
	}
	switch {
	case t.Version != trailerVersion:
		return Info{}, corrupt(fmt.Sprintf("unknown trailer version %d", t.Version))
	case t.Size != size-int64(trailerFixed)-n:
		return Info{}, corrupt("content size does not match the trailer")
	case t.Key != key && !strings.EqualFold(t.Key, key):
		return Info{}, corrupt("written for another key")
	case t.Key != key && !foldKey:
		// Only a case-insensitive file system gets here: the file was last
		// written under a key that differs from this one in case, so the
		// object asked for was replaced by that one.
		return Info{}, errNotFound(key)
	}
	return Info{Key: t.Key, Size: t.Size, ContentType: t.ContentType, ETag: t.ETag, ModTime: t.ModTime}, nil
}
