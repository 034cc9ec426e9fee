package governance

import (
	"context"
	"strings"
	"testing"
)

func catalogManager(id string) Principal {
	p := user(id)
	p.Roles = []Role{RoleCatalogManager}
	return p
}

func TestTemplateServiceLifecycle(t *testing.T) {
	ctx := context.Background()
	m := newMemStore()
	svc := NewTemplateService(m)
	draft := validTemplate()
	draft.TenantID, draft.Version = "fabrikam", 42 // both ignored: the principal's tenant and version 1 win

	if _, err := svc.Create(ctx, user(alice), draft); KindOf(err) != KindForbidden {
		t.Fatalf("an end user created a template: %v", err)
	}
	key := Principal{Kind: PrincipalAPIKey, TenantID: "contoso", ID: "key-1", Scopes: []string{ScopeTemplatesRead}}
	if _, err := svc.Create(ctx, key, draft); KindOf(err) != KindForbidden {
		t.Fatalf("an API key without templates:write created a template: %v", err)
	}
	bad := draft
	bad.ID = "Project Team"
	if _, err := svc.Create(ctx, catalogManager(carol), bad); KindOf(err) != KindInvalid {
		t.Fatalf("bad id: %v", err)
	}
	v1, err := svc.Create(ctx, catalogManager(carol), draft)
	if err != nil {
		t.Fatal(err)
	}
	if v1.TenantID != "contoso" || v1.Version != 1 || v1.UpdatedBy != carol {
		t.Fatalf("created %+v", v1)
	}
	if _, err := svc.Create(ctx, catalogManager(carol), draft); KindOf(err) != KindConflict {
		t.Fatalf("duplicate id: %v", err)
	}

	edit := v1
	edit.Description = "For product launches"
	v2, err := svc.Update(ctx, catalogManager(carol), edit)
	if err != nil || v2.Version != 2 || v2.Description != "For product launches" {
		t.Fatalf("update: %+v %v", v2, err)
	}
	if _, err := svc.Update(ctx, catalogManager(dave), edit); KindOf(err) != KindConflict || !strings.Contains(err.Error(), "version 2") {
		t.Fatalf("a stale edit must conflict and say the current version: %v", err)
	}
	invalid := v2
	invalid.Spec.Visibility = "secret"
	if _, err := svc.Update(ctx, catalogManager(carol), invalid); KindOf(err) != KindInvalid {
		t.Fatalf("invalid update: %v", err)
	}
	v3, err := svc.Retire(ctx, catalogManager(carol), "project", 2)
	if err != nil || !v3.Retired || v3.Version != 3 {
		t.Fatalf("retire: %+v %v", v3, err)
	}
	// Editing a retired template keeps it retired (and keeps its picture).
	m.templates["project"][2].Picture = "templates/project/picture.png"
	edit3 := v3
	edit3.Retired, edit3.Picture, edit3.Description = false, "", "Still retired"
	v4, err := svc.Update(ctx, catalogManager(carol), edit3)
	if err != nil || !v4.Retired || v4.Picture != "templates/project/picture.png" {
		t.Fatalf("an edit un-retired the template or dropped its picture: %+v %v", v4, err)
	}
	if _, err := svc.Retire(ctx, catalogManager(carol), "project", 3); KindOf(err) != KindConflict {
		t.Fatalf("retire twice: %v", err)
	}
	// Versions 1 and 2 stay readable for the requests made from them.
	if len(m.templates["project"]) != 4 || m.templates["project"][0].Description != "For projects" {
		t.Fatalf("versions %+v", m.templates["project"])
	}
	var actions []string
	for _, e := range m.audit {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, " ") != "template.created template.updated template.retired template.updated" {
		t.Fatalf("audit %v", actions)
	}
	if len(m.emitted) != 4 {
		t.Fatalf("webhooks %v", m.emitted)
	}
}

func TestTemplateExportImport(t *testing.T) {
	ctx := context.Background()
	m := newMemStore()
	svc := NewTemplateService(m)
	if _, err := svc.Create(ctx, catalogManager(carol), validTemplate()); err != nil {
		t.Fatal(err)
	}
	data, err := svc.Export(ctx, catalogManager(carol), "project")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"format": "steward.template/v1"`) || strings.Contains(string(data), "tenantId") || strings.Contains(string(data), "\"version\"") {
		t.Fatalf("export must be portable (no tenant): %s", data)
	}
	copied, err := svc.Import(ctx, catalogManager(carol), data, "project-copy")
	if err != nil {
		t.Fatal(err)
	}
	if copied.ID != "project-copy" || copied.Version != 1 || copied.Spec.Channels[1].Name != "Engineering" {
		t.Fatalf("import %+v", copied)
	}
	tests := []struct {
		name, data, code string
	}{
		{"not JSON", "name: x", "template_import_invalid"},
		{"unknown field", `{"format":"steward.template/v1","id":"x","nmae":"typo"}`, "template_import_invalid"},
		{"other format", `{"format":"other/v9","id":"x"}`, "template_import_format"},
		{"invalid template", `{"format":"steward.template/v1","id":"x1","name":"","spec":{"visibility":"public"},"policies":{}}`, "template_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Import(ctx, catalogManager(carol), []byte(tt.data), "")
			if e, ok := err.(*Error); !ok || e.Code != tt.code {
				t.Fatalf("got %v, want code %s", err, tt.code)
			}
		})
	}
	if _, err := svc.Export(ctx, user(alice), "project"); KindOf(err) != KindForbidden {
		t.Fatalf("an end user exported a template: %v", err)
	}
}
