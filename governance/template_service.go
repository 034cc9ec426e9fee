package governance

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
)

// TemplateService manages the catalog: catalog managers create templates,
// publish new versions, retire them, and move them between installations as
// JSON. Every change is versioned and audited; requests keep the version
// they were made from.
type TemplateService struct {
	tx    Transactor
	teams TeamReader // nil: CreateFromTeam is unavailable
}

// TemplateOption configures a TemplateService.
type TemplateOption func(*TemplateService)

// WithTeamReader lets the service read existing teams, for CreateFromTeam
// (Microsoft Graph in production).
func WithTeamReader(r TeamReader) TemplateOption {
	return func(s *TemplateService) { s.teams = r }
}

// NewTemplateService wires the catalog.
func NewTemplateService(tx Transactor, opts ...TemplateOption) *TemplateService {
	s := &TemplateService{tx: tx}
	for _, o := range opts {
		o(s)
	}
	return s
}

var templateIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// requireCatalog checks that p may change the catalog.
func requireCatalog(p Principal) error {
	return RequireScope(p, ScopeTemplatesWrite, RoleCatalogManager)
}

// Create adds a template at version 1.
//
// Errors: KindUnauthenticated, KindForbidden, KindInvalid, KindConflict (id taken).
func (s *TemplateService) Create(ctx context.Context, p Principal, t Template) (Template, error) {
	if err := requireCatalog(p); err != nil {
		return Template{}, err
	}
	if err := checkTemplateID(t.ID); err != nil {
		return Template{}, err
	}
	t.TenantID, t.UpdatedBy, t.Version, t.Retired = p.TenantID, p.ID, 0, false
	if err := t.Validate(); err != nil {
		return Template{}, err
	}
	return s.create(ctx, p, t, nil)
}

func checkTemplateID(id string) error {
	if !templateIDPattern.MatchString(id) {
		return Errorf(KindInvalid, "template_id_invalid",
			"template id %q is invalid: use 2 to 63 lowercase letters, digits or hyphens, starting with a letter or digit", id)
	}
	return nil
}

// create stores a validated t at version 1 and audits it as
// template.created; auditAfter, when set, is what the audit row records
// as the after state instead of the template alone.
func (s *TemplateService) create(ctx context.Context, p Principal, t Template, auditAfter func(Template) any) (Template, error) {
	var out Template
	err := s.tx.InTx(ctx, func(w Work) error {
		var err error
		if out, err = w.CreateTemplate(ctx, t); err != nil {
			return err
		}
		var state any = &out
		if auditAfter != nil {
			state = auditAfter(out)
		}
		return s.record(ctx, w, p, "template.created", nil, &out, state)
	})
	return out, err
}

// Update publishes t as the next version. t.Version must be the version the
// catalog manager edited (optimistic concurrency).
//
// Errors: KindUnauthenticated, KindForbidden, KindInvalid, KindNotFound,
// KindConflict (someone published a newer version meanwhile).
func (s *TemplateService) Update(ctx context.Context, p Principal, t Template) (Template, error) {
	if err := requireCatalog(p); err != nil {
		return Template{}, err
	}
	t.TenantID, t.UpdatedBy = p.TenantID, p.ID
	if err := t.Validate(); err != nil {
		return Template{}, err
	}
	var out Template
	err := s.tx.InTx(ctx, func(w Work) error {
		before, err := w.Template(ctx, p.TenantID, t.ID)
		if err != nil {
			return err
		}
		if before.Version != t.Version {
			return Errorf(KindConflict, "template_version_conflict",
				"template %q is at version %d but you edited version %d: reload it and apply your change again", t.ID, before.Version, t.Version)
		}
		// Retirement has its own operation and the picture its own upload:
		// an edit of the rest never changes them.
		t.Retired = before.Retired
		if t.Picture == "" {
			t.Picture = before.Picture
		}
		if out, err = w.SaveTemplate(ctx, t); err != nil {
			return err
		}
		return s.changed(ctx, w, p, "template.updated", &before, &out)
	})
	return out, err
}

// Retire hides a template from the catalog as a new version; requests
// already made from it are unaffected.
func (s *TemplateService) Retire(ctx context.Context, p Principal, id string, version int) (Template, error) {
	if err := requireCatalog(p); err != nil {
		return Template{}, err
	}
	var out Template
	err := s.tx.InTx(ctx, func(w Work) error {
		t, err := w.Template(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		if t.Version != version {
			return Errorf(KindConflict, "template_version_conflict", "template %q changed since you opened it: reload it", id)
		}
		if t.Retired {
			return Errorf(KindConflict, "template_retired", "template %q is already retired", id)
		}
		before := t
		t.Retired, t.UpdatedBy = true, p.ID
		if out, err = w.SaveTemplate(ctx, t); err != nil {
			return err
		}
		return s.changed(ctx, w, p, "template.retired", &before, &out)
	})
	return out, err
}

func (s *TemplateService) changed(ctx context.Context, w Work, p Principal, action string, before, after *Template) error {
	return s.record(ctx, w, p, action, before, after, after)
}

// record audits a change of the catalog, with state as the after state,
// and emits it to webhooks.
func (s *TemplateService) record(ctx context.Context, w Work, p Principal, action string, before, after *Template, state any) error {
	e := AuditEvent{TenantID: p.TenantID, Action: action, SubjectType: "template", SubjectID: after.ID,
		Actor: AuditActor{Type: string(p.Kind), ID: p.ID, Name: p.Name}}
	e.After, _ = json.Marshal(state)
	if before != nil {
		e.Before, _ = json.Marshal(before)
	}
	if err := w.Audit(ctx, e); err != nil {
		return err
	}
	return w.Emit(ctx, p.TenantID, EventTemplateUpdated, after)
}

// TemplateExportFormat tags exported templates, so an import knows what it
// reads and future formats can be told apart.
const TemplateExportFormat = "steward.template/v1"

// templateExport is the portable form of a template: no tenant, version or
// timestamps, which belong to the installation it lands in.
type templateExport struct {
	Format   string           `json:"format"`
	ID       string           `json:"id"`
	Name     string           `json:"name"`
	Desc     string           `json:"description,omitempty"`
	Category string           `json:"category,omitempty"`
	Audience []string         `json:"audience,omitempty"`
	Spec     TeamSpec         `json:"spec"`
	Policies TemplatePolicies `json:"policies"`
	Fields   []RequestField   `json:"fields,omitempty"`
}

// Export returns a template as portable JSON. Audience group ids and
// permanent members are tenant-specific: an import into another tenant must
// review them (Import validates them as GUIDs only).
func (s *TemplateService) Export(ctx context.Context, p Principal, id string) ([]byte, error) {
	if err := RequireScope(p, ScopeTemplatesRead, RoleCatalogManager); err != nil {
		return nil, err
	}
	var t Template
	err := s.tx.InTx(ctx, func(w Work) error {
		var err error
		t, err = w.Template(ctx, p.TenantID, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(templateExport{Format: TemplateExportFormat, ID: t.ID, Name: t.Name, Desc: t.Description,
		Category: t.Category, Audience: t.Audience, Spec: t.Spec, Policies: t.Policies, Fields: t.Fields}, "", "  ")
}

// Import creates a template from Export's JSON, under newID when set.
// Unknown fields are refused, so a typo or a newer format is reported, not
// silently dropped.
func (s *TemplateService) Import(ctx context.Context, p Principal, data []byte, newID string) (Template, error) {
	if err := requireCatalog(p); err != nil {
		return Template{}, err
	}
	if len(data) > 1<<20 {
		return Template{}, Errorf(KindInvalid, "template_import_too_large", "an exported template is at most 1 MiB")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var x templateExport
	if err := dec.Decode(&x); err != nil {
		return Template{}, Errorf(KindInvalid, "template_import_invalid", "this is not an exported Steward template: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if x.Format != TemplateExportFormat {
		return Template{}, Errorf(KindInvalid, "template_import_format", "unsupported template format %q: expected %q", x.Format, TemplateExportFormat)
	}
	if newID != "" {
		x.ID = newID
	}
	return s.Create(ctx, p, Template{ID: x.ID, Name: x.Name, Description: x.Desc, Category: x.Category, Audience: x.Audience,
		Spec: x.Spec, Policies: x.Policies, Fields: x.Fields})
}
