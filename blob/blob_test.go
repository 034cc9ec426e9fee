package blob

import (
	"strings"
	"testing"

	"github.com/stewardhq/steward/governance"
)

// TestTenantIDRuleMatchesGovernance catches the two copies of the tenant id
// rule drifting apart: an id the store accepts must be one a tenant can have.
func TestTenantIDRuleMatchesGovernance(t *testing.T) {
	for _, id := range []string{
		"", "a", "ab", "a-", "-a", "0a", "tenant-a", "Tenant-a", "tenant_a", "tenant.a", "tenant/a",
		"a/../b", "..", "tenant\x00", "tenant-ä", strings.Repeat("a", 63), strings.Repeat("a", 64),
	} {
		blobErr := validateTenantID(id)
		govErr := governance.Tenant{ID: id, Name: "name"}.Validate()
		if (blobErr == nil) != (govErr == nil) {
			t.Errorf("tenant id %q: blob says %v, governance says %v", id, blobErr, govErr)
		}
		if blobErr != nil && !governance.IsKind(blobErr, governance.KindInvalid) {
			t.Errorf("tenant id %q: %v is not KindInvalid", id, blobErr)
		}
	}
}

// TestKeyMessages checks that each broken rule is named, so the caller knows
// what to fix, and that a long key is not echoed in full.
func TestKeyMessages(t *testing.T) {
	for key, want := range map[string]string{
		"":                              "it is empty",
		strings.Repeat("k", 513):        "it is 513 bytes long",
		"a//b":                          "empty segment",
		"/a":                            "empty segment",
		"a/../b":                        `"." or ".."`,
		`a\b`:                           "byte 1 is not allowed",
		"a/" + strings.Repeat("s", 251): "a segment is 251 bytes long",
	} {
		err := validateKey(key)
		if err == nil {
			t.Errorf("validateKey(%q) = nil", key)
			continue
		}
		_, msg := governance.Public(err)
		if !strings.Contains(msg, want) || !strings.Contains(msg, keyRule) {
			t.Errorf("validateKey(%.20q) message %q; want it to contain %q and the rule", key, msg, want)
		}
		if len(msg) > len(keyRule)+200 {
			t.Errorf("validateKey(%.20q) message is %d bytes long", key, len(msg))
		}
	}
}

func TestContentTypes(t *testing.T) {
	for ct, want := range map[string]string{
		"":                        DefaultContentType,
		"image/png":               "image/png",
		"text/csv; charset=utf-8": "text/csv; charset=utf-8",
	} {
		if got, err := normalizeContentType(ct); err != nil || got != want {
			t.Errorf("normalizeContentType(%q) = %q, %v; want %q", ct, got, err, want)
		}
	}
	for _, ct := range []string{"text", "image/", "text/plain\r\n", "text/plain\x7f", "a b/c"} {
		if _, err := normalizeContentType(ct); !governance.IsKind(err, governance.KindInvalid) {
			t.Errorf("normalizeContentType(%q) = %v, want KindInvalid", ct, err)
		}
	}
}
