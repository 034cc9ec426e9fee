package graph_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/m365sim"
)

// simCreds hands out the demo fixture's credentials of the Steward app,
// keyed by Steward tenant id = the simulated tenant's domain prefix.
type simCreds map[string]graph.Credential

func (s simCreds) Credential(_ context.Context, tenantID string) (graph.Credential, error) {
	c, ok := s[tenantID]
	if !ok {
		return graph.Credential{}, graph.ErrNoCredential(tenantID)
	}
	return c, nil
}

// countingTransport counts requests by path suffix.
type countingTransport struct {
	base   http.RoundTripper
	tokens atomic.Int64
	total  atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.total.Add(1)
	if len(r.URL.Path) > 6 && r.URL.Path[len(r.URL.Path)-6:] == "/token" {
		c.tokens.Add(1)
	}
	return c.base.RoundTrip(r)
}

type simEnv struct {
	sim       *m365sim.Server
	client    *graph.Client
	transport *countingTransport
	creds     simCreds
}

// newSim starts the simulator on loopback with opts and a client for it.
func newSim(t *testing.T, opts m365sim.Options, copts graph.Options) *simEnv {
	t.Helper()
	sim, err := m365sim.Listen("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sim.Close(ctx)
	})
	creds := simCreds{}
	for _, tn := range sim.Dir.Tenants() {
		apps, err := sim.Dir.Apps(tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range apps {
			if a.DisplayName == "Steward" && len(a.Secrets) > 0 {
				creds[tenantKey(tn.DisplayName)] = graph.Credential{EntraTenantID: tn.ID, ClientID: a.AppID, ClientSecret: a.Secrets[0]}
			}
		}
	}
	if len(creds) == 0 {
		t.Fatal("the demo fixture has no Steward app")
	}
	ct := &countingTransport{base: http.DefaultTransport}
	copts.LoginURL, copts.GraphURL = sim.LoginURL(), sim.GraphURL()
	copts.HTTPClient = &http.Client{Transport: ct}
	copts.Credentials = creds
	c, err := graph.New(copts)
	if err != nil {
		t.Fatal(err)
	}
	return &simEnv{sim: sim, client: c, transport: ct, creds: creds}
}

func tenantKey(name string) string {
	switch name {
	case "Contoso":
		return "contoso"
	case "Fabrikam":
		return "fabrikam"
	}
	return name
}
