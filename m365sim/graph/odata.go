package graph

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// toMap turns a Graph record into its JSON object, so $select can drop
// properties and handlers can add annotations.
func toMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	m := map[string]any{}
	_ = json.Unmarshal(b, &m)
	return m
}

// selectFields parses $select against the properties a type has. An unknown
// property is a 400, as Graph answers.
func selectFields(q url.Values, typeName string, known map[string]any) ([]string, error) {
	raw := q.Get("$select")
	if raw == "" {
		return nil, nil
	}
	var out []string
	for _, f := range strings.Split(raw, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		found := ""
		for k := range known {
			if strings.EqualFold(k, f) {
				found = k
			}
		}
		if found == "" {
			return nil, errDirBadRequest("Could not find a property named '%s' on type '%s'.", f, typeName)
		}
		out = append(out, found)
	}
	return out, nil
}

// project keeps only fields (and id, which Graph always returns).
func project(m map[string]any, fields []string) map[string]any {
	if len(fields) == 0 {
		return m
	}
	out := map[string]any{"id": m["id"]}
	for _, f := range fields {
		if v, ok := m[f]; ok {
			out[f] = v
		} else {
			out[f] = nil
		}
	}
	return out
}

// page slices items per $top and $skiptoken, and returns the nextLink for
// the rest (empty on the last page).
func (g *Graph) page(r *http.Request, items []map[string]any, defTop, maxTop int) ([]map[string]any, string, error) {
	q := r.URL.Query()
	top := defTop
	if s := q.Get("$top"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxTop {
			return nil, "", errDirBadRequest("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", s, maxTop)
		}
		top = n
	}
	off := 0
	if s := q.Get("$skiptoken"); s != "" {
		n, ok := decodeSkip(s)
		if !ok {
			return nil, "", errDirBadRequest("Invalid $skiptoken value '%s'.", s)
		}
		off = n
	}
	if off > len(items) {
		off = len(items)
	}
	end := min(off+top, len(items))
	next := ""
	if end < len(items) {
		q.Set("$skiptoken", encodeSkip(end))
		next = g.base + r.URL.Path + "?" + encodeQuery(q)
	}
	return items[off:end], next, nil
}

func encodeSkip(n int) string {
	return "RFNwdAIAAQAAA" + base64.RawURLEncoding.EncodeToString([]byte("off:"+strconv.Itoa(n)))
}

func decodeSkip(s string) (int, bool) {
	s, ok := strings.CutPrefix(s, "RFNwdAIAAQAAA")
	if !ok {
		return 0, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "off:"))
	return n, err == nil && n >= 0
}

// encodeQuery keeps $ unescaped, as Graph's links do.
func encodeQuery(q url.Values) string {
	return strings.ReplaceAll(q.Encode(), "%24", "$")
}

// collection answers a collection with @odata.context and @odata.nextLink.
func (g *Graph) collection(c *call, context string, items []map[string]any, next string) error {
	body := map[string]any{"@odata.context": g.base + "/v1.0/$metadata#" + context, "value": items}
	if next != "" {
		body["@odata.nextLink"] = next
	}
	writeJSON(c.w, http.StatusOK, body)
	return nil
}

// entity answers a single entity with @odata.context.
func (g *Graph) entity(c *call, status int, context string, m map[string]any) error {
	out := map[string]any{"@odata.context": g.base + "/v1.0/$metadata#" + context}
	for k, v := range m {
		out[k] = v
	}
	writeJSON(c.w, status, out)
	return nil
}

// filter is one supported $filter clause.
type filter struct {
	op    string // eq, startswith, any
	prop  string
	value string
}

var (
	reEq    = regexp.MustCompile(`(?i)^\s*([A-Za-z/]+)\s+eq\s+'((?:[^']|'')*)'\s*$`)
	reStart = regexp.MustCompile(`(?i)^\s*startswith\(\s*([A-Za-z]+)\s*,\s*'((?:[^']|'')*)'\s*\)\s*$`)
	reAny   = regexp.MustCompile(`(?i)^\s*resourceProvisioningOptions/any\(\s*(\w+)\s*:\s*(\w+)\s+eq\s+'([^']*)'\s*\)\s*$`)
)

// parseFilter understands the clauses Steward sends. allowed maps a
// lower-case "op:prop" to the canonical property name; anything else is
// Request_UnsupportedQuery, as Graph answers unsupported filters.
func parseFilter(q url.Values, resource string, allowed map[string]string) (*filter, error) {
	raw := q.Get("$filter")
	if raw == "" {
		return nil, nil
	}
	var f filter
	if m := reEq.FindStringSubmatch(raw); m != nil {
		f = filter{op: "eq", prop: m[1], value: strings.ReplaceAll(m[2], "''", "'")}
	} else if m := reStart.FindStringSubmatch(raw); m != nil {
		f = filter{op: "startswith", prop: m[1], value: strings.ReplaceAll(m[2], "''", "'")}
	} else if m := reAny.FindStringSubmatch(raw); m != nil && m[1] == m[2] {
		f = filter{op: "any", prop: "resourceProvisioningOptions", value: m[3]}
	} else {
		return nil, errf(http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported Query.")
	}
	canon, ok := allowed[f.op+":"+strings.ToLower(f.prop)]
	if !ok {
		return nil, errf(http.StatusBadRequest, "Request_UnsupportedQuery",
			"Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", f.prop, resource)
	}
	f.prop = canon
	return &f, nil
}

// match applies f to a record's JSON object; string comparison is
// case-insensitive, as Entra's is.
func (f *filter) match(m map[string]any) bool {
	if f == nil {
		return true
	}
	switch f.op {
	case "eq":
		s, _ := m[f.prop].(string)
		return strings.EqualFold(s, f.value)
	case "startswith":
		s, _ := m[f.prop].(string)
		return strings.HasPrefix(strings.ToLower(s), strings.ToLower(f.value))
	case "any":
		list, _ := m[f.prop].([]any)
		for _, v := range list {
			if s, _ := v.(string); strings.EqualFold(s, f.value) {
				return true
			}
		}
	}
	return false
}
