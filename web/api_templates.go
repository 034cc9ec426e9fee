package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/stewardhq/steward/governance"
)

// TemplateManager is the write side of the catalog
// (*governance.TemplateService).
type TemplateManager interface {
	Create(ctx context.Context, p governance.Principal, t governance.Template) (governance.Template, error)
	Update(ctx context.Context, p governance.Principal, t governance.Template) (governance.Template, error)
	Retire(ctx context.Context, p governance.Principal, id string, version int) (governance.Template, error)
	Export(ctx context.Context, p governance.Principal, id string) ([]byte, error)
	Import(ctx context.Context, p governance.Principal, data []byte, newID string) (governance.Template, error)
	CreateFromTeam(ctx context.Context, p governance.Principal, in governance.FromTeam) (governance.Template, error)
}

// maxImportBody bounds an imported template, as TemplateService.Import does.
const maxImportBody = 1 << 20

// CreateTemplateBody is a new catalog entry: what a catalog manager sets.
// Tenant, version, author and timestamps are the service's to set.
type CreateTemplateBody struct {
	ID          string                       `json:"id"`
	Name        string                       `json:"name"`
	Description string                       `json:"description,omitempty"`
	Category    string                       `json:"category,omitempty"`
	Audience    []string                     `json:"audience,omitempty"`
	Spec        governance.TeamSpec          `json:"spec"`
	Policies    *governance.TemplatePolicies `json:"policies,omitempty"`
	Fields      []governance.RequestField    `json:"fields,omitempty"`
}

// TemplateFromTeamBody makes a catalog entry from an existing team of the
// caller's organisation: the spec (visibility, channels and tabs, apps and
// settings) is read from the team through Microsoft Graph; the rest is the
// catalog manager's, as in CreateTemplateBody.
type TemplateFromTeamBody struct {
	TeamID      string                       `json:"teamId"`
	ID          string                       `json:"id"`
	Name        string                       `json:"name"`
	Description string                       `json:"description,omitempty"` // empty: the team's description
	Category    string                       `json:"category,omitempty"`
	Audience    []string                     `json:"audience,omitempty"`
	Policies    *governance.TemplatePolicies `json:"policies,omitempty"`
	Fields      []governance.RequestField    `json:"fields,omitempty"`
}

// UpdateTemplateBody publishes the next version of a template. Version is
// the version the catalog manager edited: a newer one makes the update a
// conflict instead of silently undoing someone else's change.
type UpdateTemplateBody struct {
	Version     *int                         `json:"version"`
	Name        string                       `json:"name"`
	Description string                       `json:"description,omitempty"`
	Category    string                       `json:"category,omitempty"`
	Audience    []string                     `json:"audience,omitempty"`
	Spec        governance.TeamSpec          `json:"spec"`
	Policies    *governance.TemplatePolicies `json:"policies,omitempty"`
	Fields      []governance.RequestField    `json:"fields,omitempty"`
}

// RetireTemplateBody retires the version the catalog manager saw.
type RetireTemplateBody struct {
	Version *int `json:"version"`
}

// TemplateExport documents the portable form of a template
// (governance.TemplateExportFormat): exportTemplate answers it and
// importTemplate reads it back. The service encodes and decodes it; this
// type only describes it.
type TemplateExport struct {
	Format      string                      `json:"format"`
	ID          string                      `json:"id"`
	Name        string                      `json:"name"`
	Description string                      `json:"description,omitempty"`
	Category    string                      `json:"category,omitempty"`
	Audience    []string                    `json:"audience,omitempty"`
	Spec        governance.TeamSpec         `json:"spec"`
	Policies    governance.TemplatePolicies `json:"policies"`
	Fields      []governance.RequestField   `json:"fields,omitempty"`
}

func policiesOrZero(p *governance.TemplatePolicies) governance.TemplatePolicies {
	if p == nil {
		return governance.TemplatePolicies{}
	}
	return *p
}

func versionRequired() error {
	return governance.Errorf(governance.KindInvalid, "template_version_required", "send the version of the template you edited, as version")
}

func writeCreatedTemplate(w http.ResponseWriter, t governance.Template) {
	w.Header().Set("Location", apiPrefix+"/catalog/"+url.PathEscape(t.ID))
	writeJSON(w, http.StatusCreated, t)
}

func (a *API) createTemplate(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	var in CreateTemplateBody
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	out, err := a.Templates.Create(r.Context(), p, governance.Template{ID: in.ID, Name: in.Name, Description: in.Description,
		Category: in.Category, Audience: in.Audience, Spec: in.Spec, Policies: policiesOrZero(in.Policies), Fields: in.Fields})
	if err != nil {
		return err
	}
	writeCreatedTemplate(w, out)
	return nil
}

func (a *API) createTemplateFromTeam(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	var in TemplateFromTeamBody
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	out, err := a.Templates.CreateFromTeam(r.Context(), p, governance.FromTeam{TeamID: in.TeamID, ID: in.ID, Name: in.Name,
		Description: in.Description, Category: in.Category, Audience: in.Audience, Policies: policiesOrZero(in.Policies), Fields: in.Fields})
	if err != nil {
		return err
	}
	writeCreatedTemplate(w, out)
	return nil
}

func (a *API) updateTemplate(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	var in UpdateTemplateBody
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.Version == nil {
		return versionRequired()
	}
	out, err := a.Templates.Update(r.Context(), p, governance.Template{ID: r.PathValue("templateId"), Version: *in.Version,
		Name: in.Name, Description: in.Description, Category: in.Category, Audience: in.Audience, Spec: in.Spec,
		Policies: policiesOrZero(in.Policies), Fields: in.Fields})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) retireTemplate(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	var in RetireTemplateBody
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.Version == nil {
		return versionRequired()
	}
	out, err := a.Templates.Retire(r.Context(), p, r.PathValue("templateId"), *in.Version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) exportTemplate(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	id := r.PathValue("templateId")
	data, err := a.Templates.Export(r.Context(), p, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "template-" + id + ".json"}))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(data, '\n'))
	return nil
}

// importTemplate takes the export as is (up to 1 MiB, more than other
// bodies): the service decodes it, refusing unknown fields and formats.
func (a *API) importTemplate(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxImportBody))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err // apiErrors answers 413
		}
		return governance.Wrap(governance.KindInvalid, "body_invalid", "the request body could not be read", err)
	}
	if len(data) == 0 {
		return governance.Errorf(governance.KindInvalid, "body_required", "send a JSON object as the request body")
	}
	out, err := a.Templates.Import(r.Context(), p, data, r.URL.Query().Get("id"))
	if err != nil {
		return err
	}
	writeCreatedTemplate(w, out)
	return nil
}

// TemplateVersions reads templates whole (*governance.ReadService): the
// latest version for catalog managers, and any stored version for them and
// for the approvers that version names.
type TemplateVersions interface {
	ManagedTemplate(ctx context.Context, p governance.Principal, id string) (governance.Template, error)
	TemplateVersion(ctx context.Context, p governance.Principal, id string, version int) (governance.Template, error)
}

func (a *API) getManagedTemplate(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	t, err := a.Versions.ManagedTemplate(r.Context(), p, r.PathValue("templateId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (a *API) getTemplateVersion(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	v, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || v < 1 {
		return governance.Errorf(governance.KindInvalid, "template_version_invalid", "a template version is a whole number from 1")
	}
	t, err := a.Versions.TemplateVersion(r.Context(), p, r.PathValue("templateId"), v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}
