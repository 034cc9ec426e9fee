package edge

import (
	"net/http"
	"strings"

	"github.com/stewardhq/steward/governance"
)

// Limits bounds what a request may carry before any handler reads it.
// http.Server's MaxHeaderBytes (64 KiB) bounds the header block as a whole;
// these bound its parts and the body.
type Limits struct {
	// DefaultBody is the largest body of a route not in Routes (default
	// 1 MiB).
	DefaultBody int64
	// Routes are larger (or smaller) bodies for given routes, keyed
	// "METHOD /exact/path" (nil: DefaultLimits' routes; empty: none).
	Routes map[string]int64
	// MaxHeaders is the most header fields a request may have (default 100).
	MaxHeaders int
	// MaxHeaderLine is the longest "Name: value" line (default 8 KiB).
	MaxHeaderLine int
}

// MiB is a mebibyte.
const MiB = 1 << 20

// DefaultLimits are Steward's routes' limits: 1 MiB by default (the API's
// template import takes an export up to 1 MiB, JSON bodies are far
// smaller), the catalog page's import form up to its file's 1 MiB plus
// 64 KiB of form, and the admin center's uploads (a CRM import file of up
// to 20 MB with its form) 21 MiB; these mirror web's own limits, which
// answer with the page's own message under them.
func DefaultLimits() Limits {
	return Limits{
		DefaultBody: MiB,
		Routes: map[string]int64{
			"POST /app/catalog/import":            MiB + 64<<10,
			"POST /admin/integrations/crm/import": 21 * MiB,
			"POST /admin/credentials":             21 * MiB,
		},
		MaxHeaders:    100,
		MaxHeaderLine: 8 << 10,
	}
}

// Validate reports limits Protect would refuse.
func (l Limits) Validate() error {
	_, err := l.withDefaults()
	return err
}

func (l Limits) withDefaults() (Limits, error) {
	d := DefaultLimits()
	if l.DefaultBody < 0 || l.MaxHeaders < 0 || l.MaxHeaderLine < 0 {
		return l, governance.Errorf(governance.KindInvalid, "limits_invalid", "body and header limits must not be negative")
	}
	for k, v := range l.Routes {
		method, path, ok := strings.Cut(k, " ")
		if !ok || method == "" || !strings.HasPrefix(path, "/") || v < 1 {
			return l, governance.Errorf(governance.KindInvalid, "limits_invalid",
				"route limit %q: %d: expected \"METHOD /path\" and a positive size", k, v)
		}
	}
	if l.DefaultBody == 0 {
		l.DefaultBody = d.DefaultBody
	}
	if l.Routes == nil {
		l.Routes = d.Routes
	}
	if l.MaxHeaders == 0 {
		l.MaxHeaders = d.MaxHeaders
	}
	if l.MaxHeaderLine == 0 {
		l.MaxHeaderLine = d.MaxHeaderLine
	}
	return l, nil
}

// bodyLimit is the largest body r's route accepts.
func (l Limits) bodyLimit(r *http.Request) int64 {
	if n, ok := l.Routes[r.Method+" "+r.URL.Path]; ok {
		return n
	}
	return l.DefaultBody
}

// headersTooLarge reports whether r has too many header fields or one too
// long a line.
func (l Limits) headersTooLarge(r *http.Request) bool {
	n := 0
	for name, values := range r.Header {
		n += len(values)
		if n > l.MaxHeaders {
			return true
		}
		for _, v := range values {
			if len(name)+2+len(v) > l.MaxHeaderLine {
				return true
			}
		}
	}
	return false
}
