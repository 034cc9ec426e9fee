package web

import (
	"net/http"
	"strings"
)

// teamsFrameAncestors are the hosts that may frame Steward's pages: Teams
// (web, desktop and mobile render tabs in an iframe of these origins),
// Outlook and the Microsoft 365 app, which host Teams apps too.
var teamsFrameAncestors = []string{
	"https://teams.microsoft.com", "https://*.teams.microsoft.com",
	"https://teams.cloud.microsoft", "https://*.cloud.microsoft",
	"https://*.office.com", "https://outlook.office.com", "https://outlook.office365.com",
	"https://*.microsoft365.com",
}

// TeamsJSOrigin is where the tabs load TeamsJS from (Microsoft's CDN, with
// an SRI hash); the CSP allows scripts from it and nowhere else but self.
const TeamsJSOrigin = "https://res.cdn.office.net"

// securityHeaders sets the headers every page and answer carries: a CSP
// without inline script (pages load only their own scripts and TeamsJS),
// framing limited to Steward and the Microsoft hosts, no sniffing, a
// strict referrer policy and no powerful features. HSTS is the edge's
// (every HTTPS answer in production, never in dev).
func securityHeaders(next http.Handler, loginOrigin string) http.Handler {
	formAction := "'self'"
	if loginOrigin != "" {
		// The sign-in form's answer redirects to the Entra authority.
		formAction += " " + loginOrigin
	}
	csp := strings.Join([]string{
		"default-src 'none'",
		"script-src 'self' " + TeamsJSOrigin,
		"style-src 'self'",
		"img-src 'self' data:",
		"font-src 'self'",
		"connect-src 'self'",
		"form-action " + formAction,
		"frame-ancestors 'self' " + strings.Join(teamsFrameAncestors, " "),
		"base-uri 'none'",
		"object-src 'none'",
	}, "; ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
