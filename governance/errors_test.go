package governance

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindOfFollowsWrapping(t *testing.T) {
	base := Errorf(KindNotFound, "tenant_not_found", "tenant %q does not exist", "acme")
	wrapped := fmt.Errorf("store: get tenant: %w", base)
	if got := KindOf(wrapped); got != KindNotFound {
		t.Fatalf("KindOf = %v, want not_found", got)
	}
	if KindOf(errors.New("boom")) != KindInternal {
		t.Fatal("an unclassified error must be internal")
	}
}

func TestPublicHidesInternalDetails(t *testing.T) {
	code, msg := Public(fmt.Errorf("pq: password authentication failed for user steward"))
	if code != "internal" || msg == "" {
		t.Fatalf("got %q %q", code, msg)
	}
	cause := errors.New("secret detail")
	code, msg = Public(Wrap(KindUnavailable, "store_unavailable", "The database is not reachable.", cause))
	if code != "store_unavailable" || msg != "The database is not reachable." {
		t.Fatalf("got %q %q", code, msg)
	}
	// A KindInternal *Error still hides its message.
	code, _ = Public(&Error{Kind: KindInternal, Code: "x", Message: "leaky"})
	if code != "internal" {
		t.Fatalf("internal *Error exposed code %q", code)
	}
}

func TestTenantValidate(t *testing.T) {
	tests := []struct {
		name string
		t    Tenant
		code string
	}{
		{"ok", Tenant{ID: "contoso", Name: "Contoso", EntraTenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47"}, ""},
		{"ok without entra id", Tenant{ID: "c1", Name: "C"}, ""},
		{"uppercase id", Tenant{ID: "Contoso", Name: "C"}, "tenant_id_invalid"},
		{"one char id", Tenant{ID: "c", Name: "C"}, "tenant_id_invalid"},
		{"blank name", Tenant{ID: "contoso", Name: "  "}, "tenant_name_invalid"},
		{"bad guid", Tenant{ID: "contoso", Name: "C", EntraTenantID: "not-a-guid"}, "entra_tenant_id_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.t.Validate()
			if tt.code == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != tt.code || e.Kind != KindInvalid {
				t.Fatalf("got %v, want code %s", err, tt.code)
			}
		})
	}
}
