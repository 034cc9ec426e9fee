package entra

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// aadError is an error of the Microsoft identity platform: an OAuth error
// code plus an AADSTS number and message. The numbers and wording follow
// https://learn.microsoft.com/entra/identity-platform/reference-error-codes
// so clients that log or match them behave as against Microsoft.
type aadError struct {
	status   int
	err      string // OAuth "error"
	code     int    // AADSTS number
	msg      string // message after "AADSTSnnn: "
	suberror string
}

func (a *aadError) Error() string { return fmt.Sprintf("AADSTS%d: %s", a.code, a.msg) }

func newErr(status int, oauthErr string, code int, format string, args ...any) *aadError {
	return &aadError{status: status, err: oauthErr, code: code, msg: fmt.Sprintf(format, args...)}
}

func errTenantNotFound(tenant, oauthErr string) *aadError {
	return newErr(http.StatusBadRequest, oauthErr, 90002, "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant)
}

func errMissing(param string) *aadError {
	return newErr(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: '%s'.", param)
}

func errAppNotFound(appID, tenant string) *aadError {
	return newErr(http.StatusBadRequest, "unauthorized_client", 700016, "Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", appID, tenant)
}

func errUserDisabled() *aadError {
	return newErr(http.StatusBadRequest, "invalid_grant", 50057, "The user account is disabled.")
}

func errConsent(appID, name string) *aadError {
	e := newErr(http.StatusBadRequest, "invalid_grant", 65001, "The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", appID, name)
	e.suberror = "consent_required"
	return e
}

func errResourceNotFound(resource, tenant string) *aadError {
	return newErr(http.StatusBadRequest, "invalid_resource", 500011, "The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", resource, tenant)
}

func errInvalidScope(scope string) *aadError {
	return newErr(http.StatusBadRequest, "invalid_scope", 70011, "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope %s is not valid.", scope)
}

// errorBody is Microsoft's token-endpoint error JSON, fields in its order.
type errorBody struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	Codes         []int  `json:"error_codes"`
	Timestamp     string `json:"timestamp"`
	TraceID       string `json:"trace_id"`
	CorrelationID string `json:"correlation_id"`
	ErrorURI      string `json:"error_uri"`
	Suberror      string `json:"suberror,omitempty"`
}

// aadTimestamp is the format Microsoft uses in error bodies ("2016-01-09 02:02:12Z").
const aadTimestamp = "2006-01-02 15:04:05Z"

func (e *Entra) errorBody(r *http.Request, a *aadError) errorBody {
	trace := e.newGUID()
	// Microsoft echoes the client-request-id header MSAL sends as the
	// correlation id, which is how clients tie errors to their requests.
	corr := r.Header.Get("client-request-id")
	if corr == "" {
		corr = e.newGUID()
	}
	ts := e.now().UTC().Format(aadTimestamp)
	return errorBody{
		Error:         a.err,
		Description:   fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", a.code, a.msg, trace, corr, ts),
		Codes:         []int{a.code},
		Timestamp:     ts,
		TraceID:       trace,
		CorrelationID: corr,
		ErrorURI:      e.errorURI(a.code),
		Suberror:      a.suberror,
	}
}

func (e *Entra) errorURI(code int) string { return e.base + "/error?code=" + strconv.Itoa(code) }

func (e *Entra) writeError(w http.ResponseWriter, r *http.Request, a *aadError) {
	writeJSON(w, a.status, e.errorBody(r, a), true)
}

// writeJSON writes v. Token responses and errors must not be cached
// (RFC 6749 §5.1), which Microsoft signals with both headers.
func writeJSON(w http.ResponseWriter, status int, v any, noStore bool) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	if noStore {
		h.Set("Cache-Control", "no-store, no-cache")
		h.Set("Pragma", "no-cache")
	} else {
		// Microsoft lets discovery documents and keys be cached for a day.
		h.Set("Cache-Control", "max-age=86400, private")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
