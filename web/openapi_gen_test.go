package web

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
)

var update = flag.Bool("update", false, "rewrite web/openapi.json from the route table")

// schemaNames renames Go types in components.schemas.
var schemaNames = map[string]string{"ErrorBody": "Error", "TemplateSummary": "Template", "RequestPage": "RequestList", "CatalogPage": "Catalog",
	"Template": "TemplateVersion"}

type schemaGen struct{ defs map[string]any }

// schema describes t as it encodes with encoding/json.
func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == reflect.TypeFor[time.Time]():
		return map[string]any{"type": "string", "format": "date-time"}
	case t == reflect.TypeFor[governance.RequestState]():
		return stateSchema()
	case t == reflect.TypeFor[json.RawMessage]():
		return map[string]any{"description": "Any JSON value."}
	case t == reflect.TypeFor[governance.Role]():
		return map[string]any{"type": "string", "enum": governance.Roles}
	case t == reflect.TypeFor[governance.WebhookEvent]():
		return map[string]any{"type": "string", "enum": append([]governance.WebhookEvent{governance.EventAll}, governance.WebhookEvents...)}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int:
		return map[string]any{"type": "integer"}
	case reflect.Int64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return map[string]any{"type": "object"}
		}
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Pointer:
		return g.schema(t.Elem())
	case reflect.Struct:
		name := t.Name()
		if n, ok := schemaNames[name]; ok {
			name = n
		}
		ref := map[string]any{"$ref": "#/components/schemas/" + name}
		if _, ok := g.defs[name]; ok {
			return ref
		}
		g.defs[name] = nil // placeholder against recursion
		props := map[string]any{}
		var required []string
		for f := range t.Fields() {
			tag := f.Tag.Get("json")
			if !f.IsExported() || tag == "-" {
				continue
			}
			jname, opts, _ := strings.Cut(tag, ",")
			if jname == "" {
				jname = f.Name
			}
			s := g.schema(f.Type)
			omit := strings.Contains(opts, "omitempty")
			nullable := !omit && (f.Type.Kind() == reflect.Slice || f.Type.Kind() == reflect.Map || f.Type.Kind() == reflect.Pointer)
			if nullable && f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct {
				s = map[string]any{"oneOf": []any{s, map[string]any{"type": "null"}}}
			} else if nullable && (t.PkgPath() != reflect.TypeFor[Server]().PkgPath() || (f.Type.Kind() == reflect.Pointer && !strings.HasSuffix(t.Name(), "Body"))) {
				// governance leaves empty lists nil: they encode as null.
				s["type"] = []string{s["type"].(string), "null"}
			}
			props[jname] = s
			if !omit {
				required = append(required, jname)
			}
		}
		def := map[string]any{"type": "object", "properties": props}
		if strings.HasSuffix(t.Name(), "Body") && t != reflect.TypeFor[ErrorBody]() {
			def["additionalProperties"] = false // decodeBody refuses unknown fields
		}
		if len(required) > 0 {
			def["required"] = required
		}
		g.defs[name] = def
		return ref
	}
	panic(fmt.Sprintf("openapi: no schema for %s", t))
}

var pathParam = regexp.MustCompile(`\{([A-Za-z]+)\}`)

// buildOpenAPI generates the document from apiRoutes.
func buildOpenAPI() ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}}
	errRef := g.schema(reflect.TypeFor[ErrorBody]())
	statusText := map[int]string{
		400: "The request is invalid; the message says what to fix.",
		401: "Missing or invalid credentials.",
		403: "Authenticated, but not allowed (role or API key scope).",
		404: "Not found, or not visible to you.",
		409: "Conflict: stale version, wrong state or duplicate name; reload and retry.",
		413: "The request body is too large: 64 KiB, or 1 MiB for an imported template.",
		429: "Too many requests, here or to Microsoft Graph: wait as Retry-After says, then retry.",
		503: "A service Steward needs (Microsoft Graph, the database) is unavailable: retry after Retry-After.",
	}
	paths := map[string]any{}
	for _, rt := range apiRoutes() {
		path := apiPrefix + rt.path
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.query {
			params = append(params, map[string]any{"name": q.name, "in": "query", "required": false, "description": q.description, "schema": q.schema})
		}
		success := map[string]any{"description": rt.summary}
		switch {
		case rt.response == nil && !rt.public: // 204: no body
		case rt.public:
			success["content"] = map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}
		default:
			success["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.response))}}
		}
		if rt.csv {
			success["content"].(map[string]any)["text/csv"] = map[string]any{"schema": map[string]any{"type": "string"}}
		}
		if rt.status == http.StatusCreated {
			success["headers"] = map[string]any{"Location": map[string]any{"description": "The new resource's URL.", "schema": map[string]any{"type": "string"}}}
		}
		if rt.attachment {
			success["headers"] = map[string]any{"Content-Disposition": map[string]any{"description": "attachment, with a file name.", "schema": map[string]any{"type": "string"}}}
		}
		responses := map[string]any{fmt.Sprint(rt.status): success}
		for _, code := range rt.errors {
			text := statusText[code]
			if rt.public {
				text = "Not served when the API is off."
			}
			responses[fmt.Sprint(code)] = map[string]any{"description": text,
				"content": map[string]any{"application/json": map[string]any{"schema": errRef}}}
		}
		op := map[string]any{"operationId": rt.operationID, "summary": rt.summary, "tags": []string{rt.tag}, "responses": responses}
		if params != nil {
			op["parameters"] = params
		}
		if rt.body != nil {
			op["requestBody"] = map[string]any{"required": true,
				"content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.body))}}}
		}
		if rt.public {
			op["security"] = []any{}
		}
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[strings.ToLower(rt.method)] = op
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Steward API",
			"version":     "1.0.0",
			"description": "Request, approve and follow Microsoft Teams teams governed by Steward. Every call is scoped to the caller's tenant.",
			"license":     map[string]any{"name": "Proprietary", "identifier": "LicenseRef-Steward"},
			"contact":     map[string]any{"name": "Steward support", "url": "https://github.com/stewardhq/steward"},
		},
		"servers": []any{map[string]any{"url": "{origin}", "description": "Your Steward deployment.",
			"variables": map[string]any{"origin": map[string]any{"default": "http://localhost:8080", "description": "Scheme, host and port of Steward."}}}},
		"security": []any{map[string]any{"bearer": []string{}}},
		"tags": []any{
			map[string]any{"name": "apikeys", "description": "API keys for integrations: scoped, expiring, revocable; shown once."},
			map[string]any{"name": "audit", "description": "The tamper-evident audit trail: the company's and your own."},
			map[string]any{"name": "catalog", "description": "Templates you may request teams from."},
			map[string]any{"name": "meta", "description": "About this API."},
			map[string]any{"name": "requests", "description": "Team requests and their approval."},
			map[string]any{"name": "roles", "description": "Who holds which Steward role."},
			map[string]any{"name": "templates", "description": "Catalog management: create, version, retire, export and import templates."},
			map[string]any{"name": "teams", "description": "Teams Steward manages: their lifecycle, and renewal before they expire."},
			map[string]any{"name": "webhooks", "description": "Outgoing webhooks: signed event deliveries to your endpoints, and their delivery logs."},
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer",
				"description": "A Microsoft Entra ID access token for Steward, or a Steward API key (stw_...)."}},
			"schemas": g.defs,
		},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	err := enc.Encode(doc)
	return buf.Bytes(), err
}

// TestOpenAPIDocumentIsCurrent keeps the served, embedded document equal to
// what the route table generates.
func TestOpenAPIDocumentIsCurrent(t *testing.T) {
	got, err := buildOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("openapi.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, openAPIDocument) {
		t.Fatal("web/openapi.json is stale: run go test ./web -run TestOpenAPIDocumentIsCurrent -update")
	}
}

// TestOpenAPIMatchesRoutes: every /api/v1 route the mux serves is in the
// document, and the document names no route the mux lacks.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := New(Options{API: &API{}})
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range doc.Paths {
		for method := range item {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	registered := slices.Clone(s.apiPatterns)
	slices.Sort(documented)
	slices.Sort(registered)
	if len(registered) == 0 || !slices.Equal(documented, registered) {
		t.Fatalf("routes and document disagree:\nregistered %q\ndocumented %q", registered, documented)
	}
	// The mux really routes each documented operation (not the 404 catch-all).
	for _, p := range registered {
		method, path, _ := strings.Cut(p, " ")
		path = pathParam.ReplaceAllString(path, "x")
		req, _ := http.NewRequest(method, path, nil)
		if _, pattern := s.mux.Handler(req); pattern != p {
			t.Errorf("%s %s routes to %q", method, path, pattern)
		}
	}
}

// TestOpenAPILint runs Redocly's validator on the document (npm install
// at the repository root): skipped locally without it, failed in CI.
func TestOpenAPILint(t *testing.T) {
	bin := filepath.Join("..", "node_modules", ".bin", "redocly")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redocly is missing (run npm ci at the repository root): %v", err)
		}
		t.Skip("node_modules/.bin/redocly is missing; run npm install at the repository root")
	}
	cmd := exec.Command(filepath.Join("node_modules", ".bin", "redocly"), "lint", "web/openapi.json", "--format", "stylish")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	// redocly.yaml (recommended-strict) makes every finding an error.
	if err != nil || regexp.MustCompile(`(?i)\d+ (warning|error)s?\b`).Match(out) {
		t.Fatalf("redocly lint: %v\n%s", err, out)
	}
	t.Logf("redocly lint:\n%s", out)
}
