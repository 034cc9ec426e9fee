package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stewardhq/steward/edge"
)

// TestTrustCenterWithACME: the ACME directory is a declared destination
// (and so admitted by the egress allowlist) only when acme_hosts is set,
// and the TLS section says where the certificates come from.
func TestTrustCenterWithACME(t *testing.T) {
	acme := map[string]string{"STEWARD_APP_ID": "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21",
		"STEWARD_PUBLIC_URL": "https://steward.example.com", "STEWARD_ACME_HOSTS": "steward.example.com"}
	out, err := runTrustCmd(t, acme, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Destinations []struct {
			Purpose      string             `json:"purpose"`
			Title        string             `json:"title"`
			Destinations []edge.Destination `json:"destinations"`
		} `json:"destinations"`
		TLS struct {
			MinVersion   string `json:"minVersion"`
			Certificates string `json:"certificates"`
		} `json:"tls"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	found := false
	for _, g := range doc.Destinations {
		if g.Purpose != edge.PurposeCertificates {
			continue
		}
		if g.Title != "TLS certificates (ACME)" || len(g.Destinations) != 1 || g.Destinations[0].Host != "acme-v02.api.letsencrypt.org" ||
			g.Destinations[0].Setting != "acme_directory_url" {
			t.Fatalf("ACME group %+v", g)
		}
		found = true
	}
	if !found {
		t.Fatalf("no ACME destination in %s", out)
	}
	if doc.TLS.MinVersion != "TLS 1.2" || !strings.Contains(doc.TLS.Certificates, "with ACME from https://acme-v02.api.letsencrypt.org/directory for steward.example.com") {
		t.Fatalf("TLS section %+v", doc.TLS)
	}

	cfg, err := load(t, false, map[string]string{"STEWARD_DATABASE_URL": "sqlite:/tmp/x.db", "STEWARD_LISTEN": ":443",
		"STEWARD_APP_ID": "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21", "STEWARD_PUBLIC_URL": "https://steward.example.com",
		"STEWARD_ACME_HOSTS": "steward.example.com", "STEWARD_ACME_DIRECTORY_URL": "https://acme.example.net:14000/dir"})
	if err != nil {
		t.Fatal(err)
	}
	dests, err := egressDestinations(cfg)
	if err != nil {
		t.Fatal(err)
	}
	allow, err := edge.NewAllowlist(dests, webhookHostsNone{})
	if err != nil {
		t.Fatal(err)
	}
	if err := allow.Allows(t.Context(), "", "acme.example.net", 14000); err != nil {
		t.Errorf("the ACME directory is refused: %v", err)
	}
	if err := allow.Allows(t.Context(), "", "acme.example.net", 443); err == nil {
		t.Error("another port of the ACME host is admitted")
	}

	text, err := runTrustCmd(t, acme)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "TLS certificates (ACME) [tls-certificates]") || !strings.Contains(text, "  certificates: obtained and renewed automatically with ACME") {
		t.Fatalf("text trust center:\n%s", text)
	}

	plain, err := runTrustCmd(t, map[string]string{"STEWARD_APP_ID": "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain, "letsencrypt") || strings.Contains(plain, "[tls-certificates]") {
		t.Fatal("the ACME directory is declared without acme_hosts")
	}
}

// webhookHostsNone admits no registered webhook host.
type webhookHostsNone struct{}

func (webhookHostsNone) AllowsHost(context.Context, string) (bool, error) { return false, nil }
