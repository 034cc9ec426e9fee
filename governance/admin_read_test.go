package governance

import (
	"context"
	"testing"
)

// fakeAuditReader returns its events as a store would, recording the
// filter it was asked for.
type fakeAuditReader struct {
	events []AuditEvent
	got    AuditFilter
	tenant string
}

func (f *fakeAuditReader) AuditEvents(_ context.Context, tenantID string, q AuditFilter) ([]AuditEvent, error) {
	f.got, f.tenant = q, tenantID
	var out []AuditEvent
	for _, e := range f.events {
		if q.ActorID == "" || e.Actor.ID == q.ActorID {
			out = append(out, e)
		}
	}
	return out, nil
}

func TestAuditService(t *testing.T) {
	ctx := context.Background()
	ev := func(tenant, actor string, seq int64) AuditEvent {
		return AuditEvent{TenantID: tenant, Seq: seq, Action: "request.created", Actor: AuditActor{Type: AuditActorUser, ID: actor}}
	}
	r := &fakeAuditReader{events: []AuditEvent{ev("contoso", alice, 1), ev("contoso", dave, 2), ev("fabrikam", alice, 3)}}
	svc := NewAuditService(r)
	admin := user(dave)
	admin.Roles = []Role{RoleAdministrator}
	auditor := Principal{Kind: PrincipalAPIKey, TenantID: "contoso", ID: "AuDiT123", Scopes: []string{ScopeAuditRead}}
	reader := Principal{Kind: PrincipalAPIKey, TenantID: "contoso", ID: "ReAd1234", Scopes: []string{ScopeRequestsRead}}

	t.Run("company view needs an administrator or audit:read", func(t *testing.T) {
		for name, tc := range map[string]struct {
			p    Principal
			kind Kind
		}{
			"nobody":            {Principal{}, KindUnauthenticated},
			"end user":          {user(alice), KindForbidden},
			"key without scope": {reader, KindForbidden},
		} {
			if _, err := svc.Company(ctx, tc.p, AuditFilter{}); KindOf(err) != tc.kind {
				t.Errorf("%s: %v, want %v", name, err, tc.kind)
			}
		}
		for name, p := range map[string]Principal{"administrator": admin, "key with audit:read": auditor} {
			got, err := svc.Company(ctx, p, AuditFilter{ActorID: alice})
			if err != nil || r.tenant != "contoso" || r.got.ActorID != alice {
				t.Fatalf("%s: %v, asked %q %+v", name, err, r.tenant, r.got)
			}
			if len(got) != 1 || got[0].Seq != 1 {
				t.Errorf("%s: %+v (another tenant's events must not pass)", name, got)
			}
		}
	})

	t.Run("own view is forced to the caller", func(t *testing.T) {
		got, err := svc.Mine(ctx, user(alice), AuditFilter{ActorID: dave})
		if err != nil || r.got.ActorID != alice || len(got) != 1 || got[0].Actor.ID != alice {
			t.Fatalf("%+v, %v (asked %+v)", got, err, r.got)
		}
		if _, err := svc.Mine(ctx, reader, AuditFilter{}); KindOf(err) != KindForbidden {
			t.Errorf("a key without audit:read read its trail: %v", err)
		}
		if _, err := svc.Mine(ctx, Principal{}, AuditFilter{}); KindOf(err) != KindUnauthenticated {
			t.Errorf("nobody: %v", err)
		}
	})

	t.Run("an invalid filter is refused before reading", func(t *testing.T) {
		r.got = AuditFilter{}
		if _, err := svc.Company(ctx, admin, AuditFilter{Limit: AuditMaxLimit + 1}); KindOf(err) != KindInvalid {
			t.Fatalf("limit over the maximum: %v", err)
		}
		if _, err := svc.Mine(ctx, user(alice), AuditFilter{SubjectID: "req-1"}); KindOf(err) != KindInvalid {
			t.Fatalf("subject id without type: %v", err)
		}
	})
}
