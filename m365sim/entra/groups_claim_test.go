package entra

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/m365sim/directory"
)

func payload(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestGroupsClaim: with groupMembershipClaims set, user tokens carry the
// ids of the user's (security) groups, and past 200 groups the overage
// reference Entra sends instead.
func TestGroupsClaim(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	d := directory.New(func() time.Time { return now })
	if err := d.Load(directory.DemoFixture()); err != nil {
		t.Fatal(err)
	}
	contoso := d.Tenants()[0]
	apps, _ := d.Apps(contoso.ID)
	app := apps[0]
	e, err := New(Options{BaseURL: "http://127.0.0.1:1/login", Dir: d, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	approvers, _ := d.Group(contoso.ID, directory.GUID("group/contoso/steward-approvers"))
	member := approvers.Members[0]
	tok, err := e.IssueUserToken(contoso.ID, member, app.AppID, "api://"+app.AppID, []string{"access_as_user"})
	if err != nil {
		t.Fatal(err)
	}
	groups, _ := payload(t, tok)["groups"].([]any)
	if !slices.Contains(groups, any(approvers.ID)) {
		t.Fatalf("groups claim %v lacks Steward Approvers %s", groups, approvers.ID)
	}
	allCompany, _ := d.Group(contoso.ID, directory.GUID("group/contoso/allcompany"))
	if slices.Contains(groups, any(allCompany.ID)) {
		t.Fatal("SecurityGroup must leave out Microsoft 365 groups")
	}

	// 201 security groups: the overage reference replaces the list.
	for i := range 201 {
		if _, err := d.CreateGroup(contoso.ID, directory.Group{DisplayName: fmt.Sprint("G", i), MailNickname: fmt.Sprint("g", i),
			SecurityEnabled: true, Members: []string{member}}); err != nil {
			t.Fatal(err)
		}
	}
	tok, _ = e.IssueUserToken(contoso.ID, member, app.AppID, "api://"+app.AppID, []string{"access_as_user"})
	p := payload(t, tok)
	if _, has := p["groups"]; has {
		t.Fatal("past 200 groups the claim must be replaced by the overage reference")
	}
	names, _ := p["_claim_names"].(map[string]any)
	sources, _ := p["_claim_sources"].(map[string]any)
	if names["groups"] != "src1" || sources["src1"] == nil {
		t.Fatalf("overage reference missing: %v %v", names, sources)
	}

	// An app that does not ask gets no groups claim.
	plain := directory.App{AppID: directory.GUID("app/plain"), DisplayName: "Plain", Secrets: []string{"s"}}
	if err := d.AddApp(contoso.ID, plain); err != nil {
		t.Fatal(err)
	}
	tok, _ = e.IssueUserToken(contoso.ID, member, plain.AppID, "api://"+plain.AppID, []string{"access_as_user"})
	if _, has := payload(t, tok)["groups"]; has {
		t.Fatal("groups claim without groupMembershipClaims")
	}
}
