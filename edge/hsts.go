package edge

import "net/http"

// HSTS adds Strict-Transport-Security (HSTSHeader) to every answer given
// over TLS, before the handler runs so that error pages carry it too. A
// browser ignores the header over plain HTTP, and sending it there would
// only mislead, so plain-HTTP answers never get it.
func HSTS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil {
			w.Header().Set("Strict-Transport-Security", HSTSHeader)
		}
		next.ServeHTTP(w, r)
	})
}
