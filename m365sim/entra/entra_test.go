package entra

import (
	"encoding/json"
	"github.com/stewardhq/steward/m365sim/internal/simclock"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/m365sim/directory"
)

// Fixture ids.
var (
	tenantA   = directory.GUID("test/tenant-a")
	tenantB   = directory.GUID("test/tenant-b")
	appID     = directory.GUID("test/app/steward")
	publicID  = directory.GUID("test/app/public")
	aliceID   = directory.GUID("test/user/alice")
	bobID     = directory.GUID("test/user/bob")
	daveID    = directory.GUID("test/user/dave") // disabled
	carolID   = directory.GUID("test/user/carol")
	guestID   = directory.GUID("test/user/guest")
	redirect  = "http://127.0.0.1:9/auth/callback"
	identURI  = "api://steward.example/" + appID
	secretA   = "secret-a"
	secretB   = "secret-b"
	graphRole = []string{"Team.Create", "Group.ReadWrite.All"}
)

func testDirectory(t *testing.T, now func() time.Time) *directory.Directory {
	t.Helper()
	d := directory.New(now)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.AddTenant(directory.Tenant{ID: tenantA, DisplayName: "Contoso", Domain: "contoso.onmicrosoft.com"}))
	must(d.AddTenant(directory.Tenant{ID: tenantB, DisplayName: "Fabrikam", Domain: "fabrikam.onmicrosoft.com"}))
	must(d.AddUser(tenantA, directory.User{ID: aliceID, DisplayName: "Alice Able", GivenName: "Alice", Surname: "Able", UserPrincipalName: "alice@contoso.onmicrosoft.com", AccountEnabled: true}))
	must(d.AddUser(tenantA, directory.User{ID: bobID, DisplayName: "Bob Baker", UserPrincipalName: "bob@contoso.onmicrosoft.com", AccountEnabled: true}))
	must(d.AddUser(tenantA, directory.User{ID: daveID, DisplayName: "Dave Disabled", UserPrincipalName: "dave@contoso.onmicrosoft.com", AccountEnabled: false}))
	must(d.AddUser(tenantB, directory.User{ID: carolID, DisplayName: "Carol Clark", UserPrincipalName: "carol@fabrikam.onmicrosoft.com", AccountEnabled: true}))
	must(d.AddUser(tenantB, directory.User{ID: guestID, DisplayName: "Gus Guest", UserPrincipalName: "gus_example.com#EXT#@fabrikam.onmicrosoft.com", UserType: "Guest", AccountEnabled: true}))
	app := directory.App{
		AppID: appID, DisplayName: "Steward", Secrets: []string{secretA}, AppRoles: graphRole,
		Scopes:       []string{"openid", "profile", "offline_access", "User.Read", "access_as_user"},
		RedirectURIs: []string{redirect}, IdentifierURI: identURI,
	}
	must(d.AddApp(tenantA, app))
	app.Secrets = []string{secretB}
	must(d.AddApp(tenantB, app))
	must(d.AddApp(tenantA, directory.App{AppID: publicID, DisplayName: "Public client", Scopes: []string{"User.Read"}, RedirectURIs: []string{redirect}}))
	return d
}

type env struct {
	e     *Entra
	srv   *httptest.Server
	clock *simclock.Clock
	base  string // BaseURL
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clock := simclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	base := srv.URL + "/login"
	e, err := New(Options{BaseURL: base, Dir: testDirectory(t, clock.Now), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	h = http.StripPrefix("/login", e.Handler())
	return &env{e: e, srv: srv, clock: clock, base: base}
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type response struct {
	status int
	header http.Header
	body   string
	json   map[string]any
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{status: res.StatusCode, header: res.Header, body: string(b)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &out.json); err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
	}
	return out
}

func (v *env) get(t *testing.T, path string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, v.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

// post sends a form; basic, when given, is client id and secret for HTTP Basic.
func (v *env) post(t *testing.T, path string, form url.Values, basic ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, v.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if len(basic) == 2 {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	return do(t, req)
}

func tokenPath(tenant string) string { return "/" + tenant + "/oauth2/v2.0/token" }

var (
	guidRE      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	timestampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$`)
)

// checkAADError asserts a response is Microsoft's error JSON for code.
func (v *env) checkAADError(t *testing.T, r response, status int, oauthErr string, code int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	j := r.json
	if j["error"] != oauthErr {
		t.Errorf("error = %v, want %s (%s)", j["error"], oauthErr, r.body)
	}
	codes, _ := j["error_codes"].([]any)
	if len(codes) != 1 || codes[0] != float64(code) {
		t.Errorf("error_codes = %v, want [%d] (%s)", j["error_codes"], code, j["error_description"])
	}
	desc, _ := j["error_description"].(string)
	prefix := "AADSTS" + itoa(code) + ": "
	if !strings.HasPrefix(desc, prefix) || !strings.Contains(desc, "\r\nTrace ID: "+j["trace_id"].(string)) ||
		!strings.Contains(desc, "\r\nCorrelation ID: ") || !strings.Contains(desc, "\r\nTimestamp: "+j["timestamp"].(string)) {
		t.Errorf("error_description = %q", desc)
	}
	for _, k := range []string{"trace_id", "correlation_id"} {
		if s, _ := j[k].(string); !guidRE.MatchString(s) {
			t.Errorf("%s = %q, want a GUID", k, s)
		}
	}
	if s, _ := j["timestamp"].(string); !timestampRE.MatchString(s) {
		t.Errorf("timestamp = %q", s)
	}
	if j["error_uri"] != v.base+"/error?code="+itoa(code) {
		t.Errorf("error_uri = %v", j["error_uri"])
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
