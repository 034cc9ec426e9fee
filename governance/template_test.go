package governance

import (
	"strings"
	"testing"
)

func validTemplate() Template {
	return Template{
		TenantID: "contoso", ID: "project", Version: 1, Name: "Project team", Description: "For projects",
		Audience: []string{apprGrp},
		Spec: TeamSpec{Visibility: "private", Apps: []string{"com.microsoft.teamspace.tab.vsts"},
			Channels: []ChannelSpec{
				{Name: "Planning", Tabs: []TabSpec{{Name: "Site", AppID: "com.microsoft.teamspace.tab.web", ContentURL: "https://contoso.example/plan"}}},
				{Name: "Engineering", MembershipType: "private", Tabs: []TabSpec{{Name: "Board", AppID: "com.microsoft.teamspace.tab.vsts", ContentURL: "https://dev.azure.com/x"}}},
			},
			Files:          []FileSpec{{Channel: "General", Source: "templates/project/charter.docx", Path: "Charter.docx"}},
			WelcomeMessage: "Welcome!"},
		Policies: TemplatePolicies{
			Membership: MembershipPolicy{PermanentOwners: []string{dave}, MinOwners: 2},
			Lifecycle:  LifecyclePolicy{ExpireAfterDays: 365, OnExpiry: "archive", WarnDaysBefore: []int{30, 7, 1}},
			Approval:   twoStages("any"),
		},
		Fields: []RequestField{{ID: "project_code", Label: "Project code", Required: true}},
	}
}

func TestTemplateValidate(t *testing.T) {
	if err := validTemplate().Validate(); err != nil {
		t.Fatalf("valid template refused: %v", err)
	}
	tests := []struct {
		name   string
		change func(*Template)
		want   string
	}{
		{"no name", func(t *Template) { t.Name = " " }, "name must be 1 to 100"},
		{"bad visibility", func(t *Template) { t.Spec.Visibility = "secret" }, `"public" or "private"`},
		{"General again", func(t *Template) { t.Spec.Channels[0].Name = "general" }, "General exists in every team"},
		{"duplicate channel", func(t *Template) { t.Spec.Channels[1].Name = "PLANNING" }, "already has a channel"},
		{"forbidden character", func(t *Template) { t.Spec.Channels[0].Name = "Q&A" }, "cannot contain"},
		{"leading underscore", func(t *Template) { t.Spec.Channels[0].Name = "_misc" }, "cannot start with _"},
		{"too long", func(t *Template) { t.Spec.Channels[0].Name = strings.Repeat("x", 51) }, "1 to 50 characters"},
		{"http tab", func(t *Template) { t.Spec.Channels[0].Tabs[0].ContentURL = "http://contoso.example" }, "https URL"},
		{"tab of an app not installed", func(t *Template) { t.Spec.Apps = nil }, "must be listed in spec.apps"},
		{"file in an unknown channel", func(t *Template) { t.Spec.Files[0].Channel = "Legal" }, `channel "Legal" is not part`},
		{"file path escaping", func(t *Template) { t.Spec.Files[0].Path = "../x" }, "inside the channel's folder"},
		{"audience not a group id", func(t *Template) { t.Audience = []string{"Sales"} }, "not an Entra group id"},
		{"guest domains without guests", func(t *Template) { t.Policies.Guests.AllowedDomains = []string{"partner.example"} }, "guests are not allowed"},
		{"bad guest domain", func(t *Template) {
			t.Policies.Guests = GuestPolicy{Allowed: true, AllowedDomains: []string{"not a domain"}}
		}, "is not a domain name"},
		{"expiry action", func(t *Template) { t.Policies.Lifecycle.OnExpiry = "shred" }, `"archive" or "delete"`},
		{"warning past lifetime", func(t *Template) { t.Policies.Lifecycle.WarnDaysBefore = []int{400} }, "less than the lifetime"},
		{"field id", func(t *Template) { t.Fields[0].ID = "Project Code" }, "lowercase letters"},
		{"naming token without its field", func(t *Template) { t.Policies.Naming.Suffix = " ({cost_centre})" }, "{cost_centre}, which is not one of the template's fields"},
		{"approval stage without approvers", func(t *Template) { t.Policies.Approval.Stages[1].Approvers = nil }, "1 to 50 approvers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := validTemplate()
			tt.change(&tpl)
			err := tpl.Validate()
			if KindOf(err) != KindInvalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
	two := validTemplate()
	two.Name, two.Spec.Visibility = "", "x"
	if err := two.Validate(); err == nil || strings.Count(err.Error(), ";") < 1 {
		t.Fatalf("all problems must be reported at once: %v", err)
	}
}

func TestTemplateVisibility(t *testing.T) {
	tpl := validTemplate()
	if tpl.VisibleTo(user(alice)) || !tpl.VisibleTo(user(alice, apprGrp)) {
		t.Fatal("audience")
	}
	other := user(alice, apprGrp)
	other.TenantID = "fabrikam"
	if tpl.VisibleTo(other) {
		t.Fatal("another tenant sees the template")
	}
	tpl.Audience = nil
	tpl.Retired = true
	if tpl.VisibleTo(user(alice)) {
		t.Fatal("a retired template is visible")
	}
}
