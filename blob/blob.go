// Package blob stores Steward's binary objects: template pictures, exports
// and anything else too big or too opaque for the main store.
//
// One interface, two implementations: Local keeps objects in a directory on
// one node (the embedded default); Azure Blob Storage backs production, with
// Steward's root as the container and "<tenant id>/<key>" as the blob name.
// The conformance suite in blob/blobtest proves they behave the same, so the
// rules every implementation shares (names, content types, ETags) live here.
//
// # Mapping onto Azure Blob Storage
//
// A tenant id holds no "/", so "<tenant id>/<key>" names cannot collide
// across tenants, and at most 63+1+512 bytes of URL-safe characters they are
// always valid blob names. ContentType is the blob's Content-Type and
// ModTime its Last-Modified. Azure's own ETag changes on every write, even of
// equal content, so the content ETag defined here is kept in the blob's
// metadata; Put compares ifMatch with it and then makes the write
// conditional on the native ETag it read, which keeps check and replace
// atomic. List is a List Blobs call with the prefix "<tenant id>/<prefix>";
// Azure lists names in lexicographic order, upper case first, which for
// these ASCII names should be the byte-wise order promised here (the suite's
// "list" subtest checks it).
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"mime"
	"regexp"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
)

// Info describes one stored object.
type Info struct {
	// Key is the object's name inside its tenant, e.g. "templates/logo.png".
	Key string
	// Size is the length of the content in bytes.
	Size int64
	// ContentType is the media type given to Put, or DefaultContentType.
	ContentType string
	// ETag is the strong entity tag of the content: the SHA-256 of the bytes
	// as lowercase hex in double quotes. It depends on the content only, so
	// equal content has equal ETags in every implementation and a client can
	// check a download against it.
	ETag string
	// ModTime is when the object was last written, in UTC.
	ModTime time.Time
}

// Store is the contract every implementation meets.
//
// Tenancy is explicit: every call names a tenant, and objects of one tenant
// are invisible to every other, whatever the strings. A tenant id must match
// the governance.Tenant rule (2 to 63 of a-z, 0-9 and "-", starting with a
// letter or digit). A key is 1 to MaxKeyLen bytes of segments separated by
// single "/"; each segment is 1 to MaxSegmentLen bytes of A-Z a-z 0-9 . _ -
// and is neither "." nor "..". Keys are case-sensitive. "a" and "a/b" are two
// unrelated objects, as in Azure's flat namespace. Breaking any of these
// rules, or the content-type rule on Put, fails with a *governance.Error of
// kind governance.KindInvalid whose message states the rule.
//
// Every method wraps its errors with a "blob: <method>: " prefix; use
// governance.KindOf or errors.Is (context.Canceled) to classify them.
type Store interface {
	// Put stores the content read from r under key for the tenant, replacing
	// any previous object atomically: readers see the old or the new object,
	// never a mix, and a failed Put leaves the old object as it was.
	//
	// contentType must be a media type such as "image/png" (see
	// DefaultContentType for ""). ifMatch, when non-empty, must equal the
	// current object's ETag or Put fails with governance.KindConflict (also
	// when there is no current object); "" writes unconditionally. Content
	// longer than the store's maximum size fails with governance.KindInvalid
	// and stores nothing. Put returns once the object is durable.
	Put(ctx context.Context, tenantID, key string, r io.Reader, contentType string, ifMatch string) (Info, error)

	// Get opens the object for reading; the caller closes it. Reads fail once
	// ctx is done. governance.KindNotFound if there is no such object.
	Get(ctx context.Context, tenantID, key string) (io.ReadCloser, Info, error)

	// Stat describes the object. governance.KindNotFound if there is none.
	Stat(ctx context.Context, tenantID, key string) (Info, error)

	// Delete removes the object. governance.KindNotFound if there is none.
	Delete(ctx context.Context, tenantID, key string) error

	// List returns the tenant's objects whose key starts with prefix and
	// sorts after the key after, in byte-wise key order, at most limit
	// (1 to MaxListLimit) of them. To page, pass the last key of one page as
	// after for the next; a page shorter than limit is the last.
	//
	// prefix is "" or a string of key characters whose part up to its last
	// "/" is a valid key (so "exports/" and "exports/2025-" are fine); after
	// is "" or a valid key. Anything else is governance.KindInvalid.
	List(ctx context.Context, tenantID, prefix, after string, limit int) ([]Info, error)
}

// Limits on names and listings, shared by every implementation.
const (
	// MaxKeyLen is the longest key in bytes.
	MaxKeyLen = 512
	// MaxSegmentLen is the longest segment of a key in bytes. It keeps each
	// segment, plus Local's file suffix, within the 255-byte file-name limit
	// of common file systems.
	MaxSegmentLen = 250
	// MaxContentTypeLen is the longest content type in bytes; it is sent as
	// an HTTP header when the object is served.
	MaxContentTypeLen = 256
	// MaxListLimit is the largest page List returns: small enough to hold
	// in memory and to fetch in one Azure List Blobs call.
	MaxListLimit = 1000
)

// DefaultContentType is stored when Put is given an empty content type.
const DefaultContentType = "application/octet-stream"

// tenantIDPattern is governance.Tenant's rule. It is repeated rather than
// shared because governance keeps it unexported; blob_test.go checks that the
// two agree.
var tenantIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

func validateTenantID(tenantID string) error {
	if !tenantIDPattern.MatchString(tenantID) {
		return governance.Errorf(governance.KindInvalid, "blob_tenant_id_invalid",
			"tenant id %s is invalid: use 2 to 63 lowercase letters, digits or hyphens, starting with a letter or digit",
			quoteShort(tenantID))
	}
	return nil
}

// keyRule is said in every key error so the caller learns what to fix.
const keyRule = `a key is 1 to 512 bytes of segments separated by single "/", with no "/" at either end; ` +
	`each segment is 1 to 250 bytes of A-Z a-z 0-9 . _ - and is not "." or ".."`

func validateKey(key string) error {
	if why := keyProblem(key); why != "" {
		return governance.Errorf(governance.KindInvalid, "blob_key_invalid",
			"key %s is invalid (%s): %s", quoteShort(key), why, keyRule)
	}
	return nil
}

// keyProblem returns what is wrong with key, or "" if it is valid.
func keyProblem(key string) string {
	switch {
	case key == "":
		return "it is empty"
	case len(key) > MaxKeyLen:
		return fmt.Sprintf("it is %d bytes long", len(key))
	}
	return segmentsProblem(key)
}

// segmentsProblem checks the segments of a non-empty string that is a key or
// the directory part of a List prefix.
func segmentsProblem(s string) string {
	if i := strings.IndexFunc(s, func(r rune) bool { return r != '/' && !isKeyChar(r) }); i >= 0 {
		return fmt.Sprintf("byte %d is not allowed", i)
	}
	for seg := range strings.SplitSeq(s, "/") {
		switch {
		case seg == "":
			return `it has an empty segment (a leading, trailing or double "/")`
		case seg == "." || seg == "..":
			return `it has a "." or ".." segment`
		case len(seg) > MaxSegmentLen:
			return fmt.Sprintf("a segment is %d bytes long", len(seg))
		}
	}
	return ""
}

// isKeyChar reports whether r may appear in a key segment. The set is small
// on purpose: it needs no escaping in a URL, an Azure blob name or a file
// name on any common file system, and it leaves characters such as "@" free
// for Local's own file names, which therefore never collide with a key.
func isKeyChar(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
		r == '.' || r == '_' || r == '-'
}

func isSegment(s string) bool {
	return s != "" && !strings.Contains(s, "/") && segmentsProblem(s) == ""
}

func validatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	why := ""
	switch i := strings.LastIndexByte(prefix, '/'); {
	case len(prefix) > MaxKeyLen:
		why = fmt.Sprintf("it is %d bytes long", len(prefix))
	case strings.IndexFunc(prefix[i+1:], func(r rune) bool { return !isKeyChar(r) }) >= 0:
		why = "it has a character a key cannot have"
	case i >= 0:
		why = segmentsProblem(prefix[:i])
	}
	if why != "" {
		return governance.Errorf(governance.KindInvalid, "blob_prefix_invalid",
			"list prefix %s is invalid (%s): a prefix is empty or the start of a valid key; %s",
			quoteShort(prefix), why, keyRule)
	}
	return nil
}

func validateAfter(after string) error {
	if after == "" {
		return nil
	}
	if why := keyProblem(after); why != "" {
		return governance.Errorf(governance.KindInvalid, "blob_after_invalid",
			"list cursor %s is invalid (%s): pass \"\" or the last key of the previous page; %s",
			quoteShort(after), why, keyRule)
	}
	return nil
}

func validateLimit(limit int) error {
	if limit < 1 || limit > MaxListLimit {
		return governance.Errorf(governance.KindInvalid, "blob_limit_invalid",
			"list limit %d is invalid: use 1 to %d", limit, MaxListLimit)
	}
	return nil
}

// normalizeContentType returns the content type to store: ct itself when it
// is valid, DefaultContentType when it is empty. Beyond what
// mime.ParseMediaType accepts, it insists on "type/subtype" and printable
// ASCII, because the value ends up in a Content-Type header.
func normalizeContentType(ct string) (string, error) {
	if ct == "" {
		return DefaultContentType, nil
	}
	why := ""
	if len(ct) > MaxContentTypeLen {
		why = fmt.Sprintf("it is %d bytes long", len(ct))
	} else if i := strings.IndexFunc(ct, func(r rune) bool { return r < 0x20 || r > 0x7e }); i >= 0 {
		why = fmt.Sprintf("byte %d is not printable ASCII", i)
	} else if mt, _, err := mime.ParseMediaType(ct); err != nil {
		why = err.Error()
	} else if !strings.Contains(mt, "/") {
		why = `it has no "/subtype"`
	}
	if why != "" {
		return "", governance.Errorf(governance.KindInvalid, "blob_content_type_invalid",
			"content type %s is invalid (%s): use a media type such as \"image/png\" or \"text/csv; charset=utf-8\", at most %d bytes, or leave it empty for %s",
			quoteShort(ct), why, MaxContentTypeLen, DefaultContentType)
	}
	return ct, nil
}

// newContentHash returns the hash behind ETags; etagOf formats its sum.
func newContentHash() hash.Hash { return sha256.New() }

func etagOf(sum []byte) string { return `"` + hex.EncodeToString(sum) + `"` }

func errNotFound(key string) error {
	return governance.Errorf(governance.KindNotFound, "blob_not_found",
		"there is no object with key %s", quoteShort(key))
}

func errTooLarge(max int64) error {
	return governance.Errorf(governance.KindInvalid, "blob_too_large",
		"the content is larger than the limit of %d bytes; nothing was stored", max)
}

func errPreconditionFailed(key, ifMatch, current string) error {
	if current == "" {
		return governance.Errorf(governance.KindConflict, "blob_etag_mismatch",
			"the object %s does not exist, so it cannot match ETag %s; read it again and retry",
			quoteShort(key), quoteShort(ifMatch))
	}
	return governance.Errorf(governance.KindConflict, "blob_etag_mismatch",
		"the object %s has changed: its ETag is %s, not %s; read it again and retry",
		quoteShort(key), current, quoteShort(ifMatch))
}

func errClosed() error {
	return governance.Errorf(governance.KindUnavailable, "blob_store_closed", "the blob store is closed")
}

// quoteShort quotes s for a message, cut to a readable length: a rejected
// 513-byte key does not need repeating in full.
func quoteShort(s string) string {
	const max = 64
	if len(s) > max {
		return fmt.Sprintf("%q…", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
