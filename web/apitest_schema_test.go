package web

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// openAPIResponseSchema returns the documented JSON schema of a response
// to a request the mux routes to pattern, or nil when none is documented.
func openAPIResponseSchema(doc map[string]any, pattern string, status int) map[string]any {
	method, path, _ := strings.Cut(pattern, " ")
	get := func(m any, keys ...string) any {
		for _, k := range keys {
			mm, ok := m.(map[string]any)
			if !ok {
				return nil
			}
			m = mm[k]
		}
		return m
	}
	s, _ := get(doc, "paths", path, strings.ToLower(method), "responses", strconv.Itoa(status), "content", "application/json", "schema").(map[string]any)
	return s
}

// checkSchema reports where v departs from schema: the subset of JSON
// Schema the generated document uses. Objects are closed: a property the
// document does not name is reported, so the document cannot fall behind
// what the API sends.
func checkSchema(doc, schema map[string]any, v any, at string) []string {
	if ref, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		def, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any)
		if def == nil {
			return []string{at + ": unresolved " + ref}
		}
		return checkSchema(doc, def, v, at)
	}
	if alts, ok := schema["oneOf"].([]any); ok {
		matched := 0
		var why []string
		for _, a := range alts {
			p := checkSchema(doc, a.(map[string]any), v, at)
			if len(p) == 0 {
				matched++
			}
			why = append(why, p...)
		}
		if matched != 1 {
			return append([]string{fmt.Sprintf("%s: matches %d of oneOf", at, matched)}, why...)
		}
		return nil
	}
	var types []string
	switch t := schema["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			types = append(types, x.(string))
		}
	}
	kind := jsonKind(v)
	if len(types) > 0 && !slices.Contains(types, kind) && !(kind == "integer" && slices.Contains(types, "number")) {
		return []string{fmt.Sprintf("%s: is %s, documented %v", at, kind, types)}
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.Contains(enum, v) {
		return []string{fmt.Sprintf("%s: %v is not one of %v", at, v, enum)}
	}
	var problems []string
	switch x := v.(type) {
	case string:
		if schema["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %q is not a date-time", at, x))
			}
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, e := range x {
				problems = append(problems, checkSchema(doc, items, e, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		extra, _ := schema["additionalProperties"].(map[string]any)
		required, _ := schema["required"].([]any)
		for _, r := range required {
			if _, ok := x[r.(string)]; !ok {
				problems = append(problems, fmt.Sprintf("%s: lacks required %s", at, r))
			}
		}
		for k, e := range x {
			switch s, ok := props[k].(map[string]any); {
			case ok:
				problems = append(problems, checkSchema(doc, s, e, at+"."+k)...)
			case extra != nil:
				problems = append(problems, checkSchema(doc, extra, e, at+"."+k)...)
			case props != nil:
				problems = append(problems, fmt.Sprintf("%s: undocumented property %s", at, k))
			}
		}
	}
	return problems
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// conformsToOpenAPI checks a response against the document.
func conformsToOpenAPI(s *Server, req *http.Request, status int, contentType string, body []byte) []string {
	_, pattern := s.mux.Handler(req)
	if !strings.Contains(pattern, apiPrefix) || strings.HasSuffix(pattern, "/openapi.json") {
		return nil
	}
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		return []string{err.Error()}
	}
	if status == http.StatusNoContent {
		if len(body) > 0 {
			return []string{fmt.Sprintf("%s answered 204 with a body", pattern)}
		}
		return nil
	}
	if media, _, _ := strings.Cut(contentType, ";"); media != "application/json" {
		// Not JSON (a CSV download): the document must list the media type.
		method, path, _ := strings.Cut(pattern, " ")
		content, _ := doc["paths"].(map[string]any)[path].(map[string]any)[strings.ToLower(method)].(map[string]any)["responses"].(map[string]any)[strconv.Itoa(status)].(map[string]any)["content"].(map[string]any)
		if _, ok := content[media]; !ok {
			return []string{fmt.Sprintf("%s answered %d as %q, which the document does not list", pattern, status, media)}
		}
		return nil
	}
	schema := openAPIResponseSchema(doc, pattern, status)
	if schema == nil {
		return []string{fmt.Sprintf("%s answered %d, which the document does not list", pattern, status)}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []string{"body is not JSON: " + err.Error()}
	}
	return checkSchema(doc, schema, v, "body")
}

// TestSchemaCheckCatchesDrift: the conformance check is not vacuous.
func TestSchemaCheckCatchesDrift(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	schema := openAPIResponseSchema(doc, "GET /api/v1/requests/{requestId}", 200)
	if schema == nil {
		t.Fatal("getRequest 200 is not documented")
	}
	for body, want := range map[string]string{
		`{"id":"r"}`:                          "lacks required",
		`{"id":5}`:                            "is integer",
		`{"state":"lost"}`:                    "is not one of",
		`{"createdAt":"yesterday"}`:           "not a date-time",
		`{"secretField":true}`:                "undocumented property secretField",
		`{"decisions":[{"approve":"maybe"}]}`: "body.decisions[0].approve",
	} {
		var v any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatal(err)
		}
		if p := strings.Join(checkSchema(doc, schema, v, "body"), "\n"); !strings.Contains(p, want) {
			t.Errorf("%s: problems %q lack %q", body, p, want)
		}
	}
}
