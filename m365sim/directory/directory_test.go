package directory

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func demo(t *testing.T) (*Directory, string, string) {
	t.Helper()
	d := New(func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) })
	if err := d.Load(DemoFixture()); err != nil {
		t.Fatal(err)
	}
	ts := d.Tenants()
	return d, ts[0].ID, ts[1].ID
}

func TestUserLookupByIDOrUPN(t *testing.T) {
	d, contoso, fabrikam := demo(t)
	byUPN, err := d.User(contoso, "ADELE.VANCE@contoso.onmicrosoft.com")
	if err != nil {
		t.Fatal(err)
	}
	byID, err := d.User(contoso, byUPN.ID)
	if err != nil || byID.DisplayName != "Adele Vance" {
		t.Fatalf("by id: %+v %v", byID, err)
	}
	if _, err := d.User(fabrikam, byUPN.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant's user found: %v", err)
	}
	if tn, ok := d.ResolveTenant("Contoso.onmicrosoft.com"); !ok || tn.ID != contoso {
		t.Fatal("tenant not resolved by domain")
	}
}

func TestGroupsMembershipAndChangeLog(t *testing.T) {
	d, contoso, fabrikam := demo(t)
	_, start, _ := d.ChangesSince(contoso, 0)
	alex, _ := d.User(contoso, "alex.wilber@contoso.onmicrosoft.com")
	g, err := d.CreateGroup(contoso, Group{DisplayName: "Project X", MailNickname: "projectx", MailEnabled: true,
		GroupTypes: []string{"Unified"}, Owners: []string{alex.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if g.Mail != "projectx@contoso.onmicrosoft.com" || g.CreatedDateTime.IsZero() {
		t.Fatalf("group = %+v", g)
	}
	if _, err := d.CreateGroup(contoso, Group{DisplayName: "Again", MailNickname: "PROJECTX"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate mailNickname: %v", err)
	}
	if _, err := d.CreateGroup(fabrikam, Group{DisplayName: "X", MailNickname: "x", Members: []string{alex.ID}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant's user as member: %v", err)
	}
	adele, _ := d.User(contoso, "adele.vance@contoso.onmicrosoft.com")
	if err := d.AddMember(contoso, g.ID, adele.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := d.AddMember(contoso, g.ID, adele.ID, false); !errors.Is(err, ErrConflict) {
		t.Fatalf("second add: %v", err)
	}
	if err := d.RemoveMember(contoso, g.ID, adele.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := d.RemoveMember(contoso, g.ID, adele.ID, false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second remove: %v", err)
	}
	changes, latest, _ := d.ChangesSince(contoso, start)
	var kinds []ChangeKind
	for _, c := range changes {
		kinds = append(kinds, c.Kind)
	}
	want := []ChangeKind{GroupUpserted, OwnerAdded, MemberAdded, MemberRemoved}
	if len(kinds) != len(want) || latest != changes[len(changes)-1].Seq {
		t.Fatalf("changes %v (latest %d), want %v", kinds, latest, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("changes %v, want %v", kinds, want)
		}
	}
	if other, _, _ := d.ChangesSince(fabrikam, 0); len(other) != 0 {
		t.Fatalf("fabrikam sees %d changes of contoso", len(other))
	}
	// Returned records are copies.
	got, _ := d.Group(contoso, g.ID)
	got.Owners[0] = "tampered"
	again, _ := d.Group(contoso, g.ID)
	if again.Owners[0] != alex.ID {
		t.Fatal("a caller changed the directory through a returned slice")
	}
	if err := d.DeleteGroup(contoso, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Group(contoso, g.ID); !errors.Is(err, ErrNotFound) {
		t.Fatal("deleted group still found")
	}
}

func TestReadFixtureRejectsUnknownFields(t *testing.T) {
	if _, err := ReadFixture(strings.NewReader(`{"tenants":[{"id":"x","domian":"typo"}]}`)); err == nil {
		t.Fatal("a fixture typo was accepted")
	}
}
