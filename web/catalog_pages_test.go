package web

import (
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stewardhq/steward/governance"
)

const idLabel = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"

// kickoffForm is a full editor post: every section filled.
func kickoffForm() url.Values {
	return url.Values{
		"id": {"kickoff"}, "name": {"Kick-off"}, "description": {"Start a project"}, "category": {"Projects"},
		"audience": {idSecretGrp + "\n"}, "visibility": {"private"}, "apps": {"com.example.app\n"}, "welcome": {"Welcome!"},
		"ch.0.name": {"Planning"}, "ch.0.description": {"Plans"}, "ch.0.type": {"private"},
		"ch.0.tabs":  {"Wiki | com.microsoft.teamspace.tab.web | https://example.com/wiki\nApp | com.example.app | https://example.com/app | https://example.com | ent-1"},
		"ch.1.name":  {""},
		"field.0.id": {"code"}, "field.0.label": {"Project code"}, "field.0.required": {"on"}, "field.0.choices": {"A1\nB2"},
		"naming.prefix": {"PRJ-"}, "naming.suffix": {"-{code}"}, "naming.blocked": {"hr\nsecret"}, "naming.substrings": {"on"},
		"naming.min": {"3"}, "naming.max": {"60"}, "naming.chars": {"ascii-alnum-space-dash"},
		"members.owners": {idAdmin}, "members.members": {idCarol}, "members.minOwners": {"2"}, "members.minMembers": {"3"},
		"guests.allowed": {"on"}, "guests.domains": {"partner.example"},
		"life.expire": {"365"}, "life.onExpiry": {"delete"}, "life.attest": {"on"}, "life.warn": {"30, 7"}, "life.inactive": {"90"},
		"sensitivity":  {idLabel},
		"stage.0.name": {"Manager"}, "stage.0.rule": {"all"}, "stage.0.approvers": {"user | " + idBob + " | Bob\ngroup | " + idSecretGrp},
		"approval.auto": {idFabrikam}, "approval.remind": {"24"}, "approval.escalateAfter": {"48"}, "approval.escalateTo": {"user | " + idAdmin},
		"applyExisting": {"on"}, "settings": {`{"funSettings": {"allowGiphy": false, "giphyContentRating": "strict"}}`},
	}
}

// kickoff is the template kickoffForm describes.
func kickoff() governance.Template {
	return governance.Template{ID: "kickoff", Name: "Kick-off", Description: "Start a project", Category: "Projects",
		Audience: []string{idSecretGrp},
		Spec: governance.TeamSpec{Visibility: "private", Apps: []string{"com.example.app"}, WelcomeMessage: "Welcome!",
			Channels: []governance.ChannelSpec{{Name: "Planning", Description: "Plans", MembershipType: "private", Tabs: []governance.TabSpec{
				{Name: "Wiki", AppID: "com.microsoft.teamspace.tab.web", ContentURL: "https://example.com/wiki"},
				{Name: "App", AppID: "com.example.app", ContentURL: "https://example.com/app", WebsiteURL: "https://example.com", EntityID: "ent-1"}}}},
			FunSettings: &governance.TeamFunSettings{GiphyContentRating: "strict"}},
		Fields: []governance.RequestField{{ID: "code", Label: "Project code", Required: true, Choices: []string{"A1", "B2"}}},
		Policies: governance.TemplatePolicies{
			Naming: governance.NamingPolicy{Prefix: "PRJ-", Suffix: "-{code}", BlockedWords: []string{"hr", "secret"}, BlockSubstrings: true,
				MinUserPartLength: 3, MaxLength: 60, AllowedCharacters: governance.AllowASCIIAlnumSpaceDash},
			Membership: governance.MembershipPolicy{PermanentOwners: []string{idAdmin}, PermanentMembers: []string{idCarol}, MinOwners: 2, MinMembers: 3},
			Guests:     governance.GuestPolicy{Allowed: true, AllowedDomains: []string{"partner.example"}},
			Lifecycle: governance.LifecyclePolicy{ExpireAfterDays: 365, OnExpiry: "delete", RenewalAttestation: true, InactivityDays: 90,
				WarnDaysBefore: []int{30, 7}},
			SensitivityLabel: idLabel,
			Approval: governance.ApprovalPolicy{
				Stages: []governance.ApprovalStage{{Name: "Manager", Rule: "all", Approvers: []governance.ApproverRef{
					{Type: "user", ID: idBob, Name: "Bob"}, {Type: "group", ID: idSecretGrp}}}},
				AutoApprove:        []governance.AutoApproveRule{{RequesterInGroup: idFabrikam}},
				ReminderAfterHours: 24, EscalateAfterHours: 48, EscalateTo: []governance.ApproverRef{{Type: "user", ID: idAdmin}}},
			ApplyToExistingTeams: true,
		}}
}

// sameContent compares what a catalog manager edits, not the bookkeeping.
func sameContent(t *testing.T, got, want governance.Template) {
	t.Helper()
	got.TenantID, got.Version, got.UpdatedBy, got.CreatedAt, got.UpdatedAt, got.Retired = "", 0, "", want.CreatedAt, want.UpdatedAt, false
	want.TenantID, want.Version, want.UpdatedBy, want.Retired = "", 0, "", false
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("template\n%s\nwant\n%s", g, w)
	}
}

func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vals := range v {
		out[k] = slices.Clone(vals)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// TestCatalogPages plays a catalog manager's work in order: list, create
// (refused, then accepted), edit, a stale save, versions, retire, export
// and import, with the people who may not.
func TestCatalogPages(t *testing.T) {
	e := newCatalogEnv(t)
	var exported []byte
	e.run(t, []pageCall{
		{name: "the list needs a session", method: "GET", path: "/app/catalog", status: 303, location: "/signin?return=%2Fapp%2Fcatalog"},
		{name: "the list for an end user", who: "alice", method: "GET", path: "/app/catalog", status: 403, contains: []string{"role_required"},
			absent: []string{"Legacy workspace"}},
		{name: "the list", who: "catalog", method: "GET", path: "/app/catalog", status: 200,
			contains: []string{`href="/app/catalog/new"`, `<a href="/app/catalog/project">Project</a>`, "Legacy workspace", "<strong>Retired</strong>",
				"Entra groups: 1", "Everyone", `<th scope="col">`, `action="/app/catalog/import"`, `enctype="multipart/form-data"`, `aria-current="page"`},
			absent: []string{"Fabrikam programme"}},
		{name: "the list for an administrator", who: "admin", method: "GET", path: "/app/catalog", status: 200, contains: []string{"Legacy workspace"}},
		{name: "the list in French", who: "catalog", method: "GET", path: "/app/catalog?lang=fr", status: 200,
			contains: []string{"Nouveau modèle", "Retiré", "Importer un modèle"}},

		{name: "the new form for an end user", who: "alice", method: "GET", path: "/app/catalog/new", status: 403, contains: []string{"role_required"}},
		{name: "the new form", who: "catalog", method: "GET", path: "/app/catalog/new", status: 200,
			contains: []string{`action="/app/catalog"`, `name="csrf"`, `name="id"`, `name="ch.0.name"`, `name="field.0.id"`, `name="stage.0.approvers"`,
				`name="settings"`, `data-add="ch"`, `<option value="private" selected>`, "catalog.js"},
			absent: []string{`name="version"`, "Retire this template", "style="}},

		{name: "an end user cannot create", who: "alice", method: "POST", path: "/app/catalog", form: kickoffForm(), status: 403, contains: []string{"role_required"},
			after: func(t *testing.T, e *catalogEnv) {
				if _, err := e.db.Template(t.Context(), "contoso", "kickoff"); !governance.IsKind(err, governance.KindNotFound) {
					t.Fatalf("the template exists: %v", err)
				}
			}},
		{name: "create without the CSRF token", who: "catalog", method: "POST", path: "/app/catalog", form: kickoffForm(), noCSRF: true, status: 403,
			contains: []string{"csrf_token_invalid"}},
		{name: "add a channel row without script", who: "catalog", method: "POST", path: "/app/catalog", form: with(kickoffForm(), "add", "ch"), status: 200,
			contains: []string{`name="ch.2.name"`, `value="Planning"`, `value="PRJ-"`}, absent: []string{"was not saved"},
			after: func(t *testing.T, e *catalogEnv) {
				if _, err := e.db.Template(t.Context(), "contoso", "kickoff"); !governance.IsKind(err, governance.KindNotFound) {
					t.Fatalf("adding a row saved the template: %v", err)
				}
			}},
		{name: "create refused by the rules keeps the form", who: "catalog", method: "POST", path: "/app/catalog",
			form: with(kickoffForm(), "visibility", "secret", "audience", "not-a-group"), status: 400,
			contains: []string{"was not saved", `spec.visibility must be &#34;public&#34; or &#34;private&#34;`, `audience &#34;not-a-group&#34; is not an Entra group id`,
				`value="Kick-off"`, `>not-a-group</textarea>`, `value="PRJ-"`, `Wiki | com.microsoft.teamspace.tab.web | https://example.com/wiki`}},
		{name: "create with unreadable values lists them all", who: "catalog", method: "POST", path: "/app/catalog",
			form: with(kickoffForm(), "naming.max", "sixty", "ch.0.tabs", "Wiki only", "stage.0.approvers", "Bob", "settings", `{"funSetting": {}}`), status: 400,
			contains: []string{`naming.maxLength must be a whole number, not &#34;sixty&#34;`, `channel &#34;Planning&#34;, tab line 1: write a tab as name | appId | contentUrl`,
				`approval stage &#34;Manager&#34;, line 1: write an approver as user | id or group | id`, `unknown field &#34;funSetting&#34;`, `value="sixty"`}},
		{name: "create with trailing JSON", who: "catalog", method: "POST", path: "/app/catalog", form: with(kickoffForm(), "settings", `{} {}`), status: 400,
			contains: []string{"must hold a single JSON object"}},
		{name: "create with a taken id is a conflict", who: "catalog", method: "POST", path: "/app/catalog", form: with(kickoffForm(), "id", "project"), status: 409,
			contains: []string{"was not saved", `value="project"`, `value="Kick-off"`}},
		{name: "create in French", who: "catalog", method: "POST", path: "/app/catalog?lang=fr", form: with(kickoffForm(), "naming.max", "x"), status: 400,
			contains: []string{"n’a pas été enregistré", "nombre entier"}},
		{name: "create", who: "catalog", method: "POST", path: "/app/catalog", form: kickoffForm(), status: 303, location: "/app/catalog/kickoff?done=created",
			after: func(t *testing.T, e *catalogEnv) {
				got := e.template(t, "kickoff")
				if got.Version != 1 || got.UpdatedBy != idCatalog {
					t.Errorf("version %d by %s", got.Version, got.UpdatedBy)
				}
				sameContent(t, got, kickoff())
				e.audited(t, "template.created", "kickoff")
			}},

		{name: "the editor shows what was saved", who: "catalog", method: "GET", path: "/app/catalog/kickoff?done=created", status: 200,
			contains: []string{"The template was created at version 1.", `action="/app/catalog/kickoff"`, `name="version" value="1"`, `value="Kick-off"`,
				`<option value="private" selected>`, `Wiki | com.microsoft.teamspace.tab.web | https://example.com/wiki`,
				`App | com.example.app | https://example.com/app | https://example.com | ent-1`, "user | " + idBob + " | Bob", "group | " + idSecretGrp,
				`value="30, 7"`, `&#34;giphyContentRating&#34;: &#34;strict&#34;`, `href="/app/catalog/kickoff/versions/1"`, "Cathy",
				"Publish version 2", "Retire this template", `href="/app/catalog/kickoff/export"`},
			absent: []string{`name="id"`}},
		{name: "the editor for an end user", who: "alice", method: "GET", path: "/app/catalog/kickoff", status: 403, absent: []string{"Kick-off"}},
		{name: "the editor of another tenant's template", who: "fabrikam-admin", method: "GET", path: "/app/catalog/kickoff", status: 404,
			contains: []string{"template_not_found"}, absent: []string{"PRJ-"}},
		{name: "the editor of a template that does not exist", who: "catalog", method: "GET", path: "/app/catalog/nothing", status: 404},

		{name: "publish version 2", who: "catalog", method: "POST", path: "/app/catalog/kickoff",
			form:   with(kickoffForm(), "version", "1", "id", "ignored", "name", "Kick-off v2", "ch.1.name", "Design", "ch.1.type", "", "ch.1.tabs", ""),
			status: 303, location: "/app/catalog/kickoff?done=saved",
			after: func(t *testing.T, e *catalogEnv) {
				got := e.template(t, "kickoff")
				want := kickoff()
				want.Name = "Kick-off v2"
				want.Spec.Channels = append(want.Spec.Channels, governance.ChannelSpec{Name: "Design"})
				if got.Version != 2 {
					t.Errorf("version %d, want 2", got.Version)
				}
				sameContent(t, got, want)
			}},
		{name: "a stale save is a conflict that keeps the form", who: "catalog", method: "POST", path: "/app/catalog/kickoff",
			form: with(kickoffForm(), "version", "1", "name", "My lost edit"), status: 409,
			contains: []string{"is at version 2 but you edited version 1", `value="My lost edit"`, `name="version" value="1"`},
			after: func(t *testing.T, e *catalogEnv) {
				if got := e.template(t, "kickoff"); got.Version != 2 || got.Name != "Kick-off v2" {
					t.Fatalf("the stale save changed the template: v%d %q", got.Version, got.Name)
				}
			}},
		{name: "a save without the version", who: "catalog", method: "POST", path: "/app/catalog/kickoff", form: kickoffForm(), status: 400,
			contains: []string{"the form lacks the version"}},
		{name: "an end user cannot save", who: "alice", method: "POST", path: "/app/catalog/kickoff", form: with(kickoffForm(), "version", "2"), status: 403},

		{name: "version 1, read only", who: "catalog", method: "GET", path: "/app/catalog/kickoff/versions/1", status: 200,
			contains: []string{"Kick-off, version 1", "<fieldset disabled", `value="Kick-off"`, "The latest version is 2.",
				`href="/app/catalog/kickoff?from=1"`, `aria-current="page">Version 1</a>`},
			absent: []string{"<form method=\"post\" action=\"/app/catalog/kickoff\"", "Design", "catalog.js", "Retire this template"}},
		{name: "a version that does not exist", who: "catalog", method: "GET", path: "/app/catalog/kickoff/versions/9", status: 404,
			contains: []string{"template_version_not_found"}},
		{name: "a version that is not a number", who: "catalog", method: "GET", path: "/app/catalog/kickoff/versions/latest", status: 400,
			contains: []string{"template_version_invalid"}},
		{name: "a new version from version 1", who: "catalog", method: "GET", path: "/app/catalog/kickoff?from=1", status: 200,
			contains: []string{"The form is filled from version 1. Saving publishes it as version 3.", `name="version" value="2"`, `name="from" value="1"`,
				`value="Kick-off"`}, absent: []string{`value="Design"`}},

		{name: "a stale retire is a conflict", who: "catalog", method: "POST", path: "/app/catalog/kickoff/retire", form: url.Values{"version": {"1"}}, status: 409,
			contains: []string{"changed since you opened it"}},
		{name: "an end user cannot retire", who: "alice", method: "POST", path: "/app/catalog/kickoff/retire", form: url.Values{"version": {"2"}}, status: 403},
		{name: "retire", who: "catalog", method: "POST", path: "/app/catalog/kickoff/retire", form: url.Values{"version": {"2"}}, status: 303,
			location: "/app/catalog?done=retired",
			after: func(t *testing.T, e *catalogEnv) {
				if got := e.template(t, "kickoff"); !got.Retired || got.Version != 3 {
					t.Fatalf("retired %v at version %d", got.Retired, got.Version)
				}
			}},
		{name: "the list after retiring", who: "catalog", method: "GET", path: "/app/catalog?done=retired", status: 200,
			contains: []string{"The template was retired", "Kick-off v2"}},
		{name: "a retired template's editor", who: "catalog", method: "GET", path: "/app/catalog/kickoff", status: 200,
			contains: []string{"This template is retired"}, absent: []string{"Retire this template"}},
		{name: "retiring twice is a conflict", who: "catalog", method: "POST", path: "/app/catalog/kickoff/retire", form: url.Values{"version": {"3"}}, status: 409,
			contains: []string{"already retired"}},

		{name: "export", who: "catalog", method: "GET", path: "/app/catalog/kickoff/export", status: 200,
			header:   map[string]string{"Content-Type": "application/json", "Content-Disposition": `attachment; filename=template-kickoff.json`},
			contains: []string{`"format": "steward.template/v1"`, `"prefix": "PRJ-"`},
			after: func(t *testing.T, e *catalogEnv) {
				data, err := e.srv.opts.API.Templates.Export(t.Context(), apiPrincipals()["catalog"], "kickoff")
				if err != nil {
					t.Fatal(err)
				}
				exported = data
			}},
		{name: "an end user cannot export", who: "alice", method: "GET", path: "/app/catalog/kickoff/export", status: 403},
	})
	e.run(t, []pageCall{
		{name: "import under a new id", who: "catalog", method: "POST", path: "/app/catalog/import",
			upload: &upload{file: exported, fields: map[string]string{"id": "kickoff-copy"}}, status: 303, location: "/app/catalog/kickoff-copy?done=imported",
			after: func(t *testing.T, e *catalogEnv) {
				want := kickoff()
				want.ID, want.Name = "kickoff-copy", "Kick-off v2"
				want.Spec.Channels = append(want.Spec.Channels, governance.ChannelSpec{Name: "Design"})
				sameContent(t, e.template(t, "kickoff-copy"), want)
			}},
		{name: "import under a taken id", who: "catalog", method: "POST", path: "/app/catalog/import",
			upload: &upload{file: exported, fields: map[string]string{"id": "project"}}, status: 409, contains: []string{`value="project"`, "Legacy workspace"}},
		{name: "import of something else", who: "catalog", method: "POST", path: "/app/catalog/import",
			upload: &upload{file: []byte(`{"name": "x", "colour": "red"}`)}, status: 400, contains: []string{"this is not an exported Steward template", "colour"}},
		{name: "import without a file", who: "catalog", method: "POST", path: "/app/catalog/import", upload: &upload{}, status: 400,
			contains: []string{"choose a template file exported from Steward"}},
		{name: "import of an empty file", who: "catalog", method: "POST", path: "/app/catalog/import", upload: &upload{file: []byte{}}, status: 400,
			contains: []string{"the file is empty"}},
		{name: "import too large for the page", who: "catalog", method: "POST", path: "/app/catalog/import",
			upload: &upload{file: exported, length: maxImportUpload + 1}, status: 400, contains: []string{"catalog_import_too_large", "POST /api/v1/templates/import"}},
		{name: "an end user cannot import", who: "alice", method: "POST", path: "/app/catalog/import",
			upload: &upload{file: exported, fields: map[string]string{"id": "alice-copy"}}, status: 403, contains: []string{"role_required"}},
		{name: "import without the CSRF token", who: "catalog", method: "POST", path: "/app/catalog/import",
			upload: &upload{file: exported, fields: map[string]string{"id": "no-token"}}, noCSRF: true, status: 403},
		{name: "a form too large for the page", who: "catalog", method: "POST", path: "/app/catalog",
			form: with(kickoffForm(), "description", strings.Repeat("x", maxFormBody)), status: 400, contains: []string{"catalog_form_too_large"}},
	})
}

// TestCatalogFormRoundTrip: a template shown in the editor and posted
// unchanged is the same template, so saving without edits loses nothing.
func TestCatalogFormRoundTrip(t *testing.T) {
	custom := kickoff()
	custom.Policies.Naming.AllowedCharacters = governance.AllowCustomPrefix + "abc -"
	custom.Spec.Files = []governance.FileSpec{{Channel: "Planning", Source: "blob/1", Path: "docs/plan.docx"}}
	custom.Spec.MemberSettings = &governance.TeamMemberSettings{AllowCreateUpdateChannels: true}
	bare := governance.Template{ID: "bare", Name: "Bare", Spec: governance.TeamSpec{Visibility: "public"}}
	for _, tt := range []struct {
		name string
		tpl  governance.Template
	}{{"every section", kickoff()}, {"custom characters, files and member settings", custom}, {"nothing but a name", bare}} {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := readCatalogForm(postOf(formOf(tt.tpl))).template()
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			sameContent(t, got, tt.tpl)
		})
	}
}

// postOf is what a browser posts for the editor filled with f.
func postOf(f catalogForm) url.Values {
	v := url.Values{"id": {f.ID}, "name": {f.Name}, "description": {f.Description}, "category": {f.Category}, "audience": {f.Audience},
		"visibility": {f.Visibility}, "apps": {f.Apps}, "welcome": {f.Welcome},
		"naming.prefix": {f.Naming.Prefix}, "naming.suffix": {f.Naming.Suffix}, "naming.blocked": {f.Naming.BlockedWords},
		"naming.min": {f.Naming.MinLength}, "naming.max": {f.Naming.MaxLength}, "naming.chars": {f.Naming.Characters}, "naming.custom": {f.Naming.CustomCharacters},
		"members.owners": {f.Membership.Owners}, "members.members": {f.Membership.Members}, "members.minOwners": {f.Membership.MinOwners},
		"members.minMembers": {f.Membership.MinMembers}, "guests.domains": {f.Guests.Domains},
		"life.expire": {f.Lifecycle.ExpireAfterDays}, "life.onExpiry": {f.Lifecycle.OnExpiry}, "life.warn": {f.Lifecycle.WarnDaysBefore},
		"life.inactive": {f.Lifecycle.InactivityDays}, "sensitivity": {f.Sensitivity},
		"approval.auto": {f.Approval.AutoApprove}, "approval.remind": {f.Approval.ReminderHours}, "approval.escalateAfter": {f.Approval.EscalateHours},
		"approval.escalateTo": {f.Approval.EscalateTo}, "settings": {f.TeamSettings}}
	check := func(name string, on bool) {
		if on {
			v.Set(name, "on")
		}
	}
	check("naming.substrings", f.Naming.BlockSubstrings)
	check("guests.allowed", f.Guests.Allowed)
	check("life.attest", f.Lifecycle.Attestation)
	check("applyExisting", f.ApplyToExisting)
	for i, c := range append(f.Channels, channelRow{}) { // the editor adds an empty row
		p := "ch." + strconv.Itoa(i) + "."
		v.Set(p+"name", c.Name)
		v.Set(p+"description", c.Description)
		v.Set(p+"type", c.Membership)
		v.Set(p+"tabs", c.Tabs)
	}
	for i, fr := range f.Fields {
		p := "field." + strconv.Itoa(i) + "."
		v.Set(p+"id", fr.ID)
		v.Set(p+"label", fr.Label)
		v.Set(p+"choices", fr.Choices)
		check(p+"required", fr.Required)
	}
	for i, s := range f.Approval.Stages {
		p := "stage." + strconv.Itoa(i) + "."
		v.Set(p+"name", s.Name)
		v.Set(p+"rule", s.Rule)
		v.Set(p+"approvers", s.Approvers)
	}
	return v
}
