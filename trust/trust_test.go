package trust

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/governance"
)

// sampleInputs is a production-like configuration's trust center.
func sampleInputs() Inputs {
	return Inputs{
		Destinations: []edge.Destination{
			{Host: "login.microsoftonline.com", Purpose: edge.PurposeIdentity, Why: "tokens", Setting: "login_url"},
			{Host: "Graph.Microsoft.com", Purpose: edge.PurposeGraph, Why: "teams", Setting: "graph_url"},
			{Host: "login.botframework.com", Purpose: edge.PurposeBot, Why: "bot tokens"},
			{Host: "login.microsoftonline.com", Purpose: edge.PurposeBot, Why: "bot's own token"},
			{Host: "smba.trafficmanager.net", Purpose: edge.PurposeBot, Why: "Bot Connector", Setting: "bot_service_urls"},
			{Host: "res.cdn.office.net", Purpose: edge.PurposeTeamsCDN, Why: "TeamsJS", Direction: edge.DirectionBrowser},
			{Host: "*.example-crm.com", Purpose: edge.PurposeCRM, Why: "documented wildcard"},
			{Host: "otel.internal.example", Port: 4318, Purpose: edge.PurposeTelemetry, Why: "traces", Setting: "otlp_endpoint"},
			{Purpose: edge.PurposeWebhooks, Dynamic: true, Why: "registered endpoints"},
		},
		GraphPermissions: GraphPermissions(),
		Data:             DataInventory([]StoredTable{{Table: "requests", Category: "team-requests", Holds: "h", Protection: "p", Retention: "r"}}),
		TLS:              edge.DescribeTLS(),
		Measures:         Measures(),
		GeneratedAt:      time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("CET", 3600)),
		Version:          "v1.2.3",
	}
}

func mustCenter(t *testing.T, in Inputs) *Center {
	t.Helper()
	c, err := New(in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewRefusesBadInputs(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Inputs)
		code   string
	}{
		{"destination without purpose", func(in *Inputs) { in.Destinations[0].Purpose = "" }, "trust_destination_invalid"},
		{"destination without reason", func(in *Inputs) { in.Destinations[0].Why = " " }, "trust_destination_invalid"},
		{"bad host", func(in *Inputs) { in.Destinations[0].Host = "bad host" }, "egress_destination_invalid"},
		{"permission without justification", func(in *Inputs) { in.GraphPermissions[0].Justification = "" }, "trust_permission_invalid"},
		{"permission of no type", func(in *Inputs) { in.GraphPermissions[0].Type = "Both" }, "trust_permission_invalid"},
		{"PAC result", func(in *Inputs) { in.PACBlocked = "BLOCK" }, "trust_pac_result_invalid"},
		{"PAC result injection", func(in *Inputs) { in.PACBlocked = `DIRECT"; alert(1); "` }, "trust_pac_result_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := sampleInputs()
			tt.change(&in)
			_, err := New(in)
			var ge *governance.Error
			if !errors.As(err, &ge) || ge.Kind != governance.KindInvalid || ge.Code != tt.code {
				t.Fatalf("New = %v, want KindInvalid %s", err, tt.code)
			}
		})
	}
}

func TestGroupsFollowPurposeOrder(t *testing.T) {
	groups := mustCenter(t, sampleInputs()).Groups()
	var got []string
	for _, g := range groups {
		got = append(got, g.Purpose)
		if g.Title == "" || g.Description == "" {
			t.Errorf("group %s has no title or description", g.Purpose)
		}
	}
	want := "microsoft-identity microsoft-graph bot-framework teams-cdn crm webhooks telemetry"
	if strings.Join(got, " ") != want {
		t.Fatalf("groups %v, want %s (billing and support have no destination)", got, want)
	}
	if groups[1].Destinations[0].Host != "graph.microsoft.com" || groups[1].Destinations[0].Direction != edge.DirectionServer {
		t.Fatalf("hosts are not canonical or direction not defaulted: %+v", groups[1].Destinations[0])
	}
	if d := groups[3].Destinations[0]; !d.Browser() {
		t.Fatalf("the CDN lost its browser direction: %+v", d)
	}
}

func TestJSONShapeIsStable(t *testing.T) {
	c := mustCenter(t, sampleInputs())
	a, err := c.JSON()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.JSON()
	if !bytes.Equal(a, b) {
		t.Fatal("two renderings differ")
	}
	var doc struct {
		Schema       string    `json:"schema"`
		Version      string    `json:"version"`
		GeneratedAt  time.Time `json:"generatedAt"`
		Destinations []struct {
			Purpose, Title, Description string
			Destinations                []map[string]any
		} `json:"destinations"`
		GraphPermissions []map[string]any `json:"graphPermissions"`
		Data             []struct {
			Key, Title, Accessed, Cached string
			Stored                       []map[string]any
		} `json:"data"`
		TLS      map[string]any   `json:"tls"`
		Measures []map[string]any `json:"measures"`
	}
	dec := json.NewDecoder(bytes.NewReader(a))
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != JSONSchema || doc.Version != "v1.2.3" || doc.GeneratedAt.Location() != time.UTC || doc.GeneratedAt.Hour() != 9 {
		t.Fatalf("header: %s %s %v", doc.Schema, doc.Version, doc.GeneratedAt)
	}
	if len(doc.Destinations) != 7 || doc.Destinations[2].Destinations[0]["host"] != "login.botframework.com" {
		t.Fatalf("destinations: %+v", doc.Destinations)
	}
	tel := doc.Destinations[6].Destinations[0]
	if tel["port"] != float64(4318) || tel["setting"] != "otlp_endpoint" || tel["direction"] != "server" {
		t.Fatalf("telemetry destination: %v", tel)
	}
	if wh := doc.Destinations[5].Destinations[0]; wh["dynamic"] != true || wh["host"] != nil {
		t.Fatalf("webhooks destination: %v", wh)
	}
	if len(doc.GraphPermissions) != len(GraphPermissions()) || doc.GraphPermissions[0]["type"] != "Application" || doc.GraphPermissions[0]["calls"] == nil {
		t.Fatalf("permissions: %v", doc.GraphPermissions[0])
	}
	for _, d := range doc.Data {
		if d.Stored == nil {
			t.Fatalf("category %s: stored must be [] rather than null", d.Key)
		}
	}
	if doc.TLS["minVersion"] != "TLS 1.2" || len(doc.Measures) != len(Measures()) {
		t.Fatalf("tls %v, %d measures", doc.TLS, len(doc.Measures))
	}
	// An empty center still has every list, as [].
	empty, err := mustCenter(t, Inputs{}).JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"destinations": []`, `"graphPermissions": []`, `"data": []`, `"measures": []`} {
		if !bytes.Contains(empty, []byte(key)) {
			t.Errorf("empty JSON lacks %s:\n%s", key, empty)
		}
	}
}

func TestText(t *testing.T) {
	txt := mustCenter(t, sampleInputs()).Text()
	for _, want := range []string{
		"Steward v1.2.3 trust center (generated 2026-11-23T09:00:00Z)",
		"Microsoft identity platform [microsoft-identity]",
		"  - graph.microsoft.com (443, or 80 for http) (setting graph_url): teams",
		"  - res.cdn.office.net (443, or 80 for http) (browsers only): TeamsJS",
		"  - otel.internal.example:4318 (setting otlp_endpoint): traces",
		"  - registered at run time: registered endpoints",
		"Application permissions\n  - Team.Create:",
		"Delegated permissions\n",
		"calls: POST /teams\n",
		"stored in requests: h",
		"minimum TLS 1.2, TLS 1.3 preferred",
		"Egress allowlist (edge)",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	// Grouped by purpose: identity before Graph before the bot.
	if i, j, k := strings.Index(txt, "[microsoft-identity]"), strings.Index(txt, "[microsoft-graph]"), strings.Index(txt, "[bot-framework]"); i >= j || j >= k {
		t.Fatalf("groups out of order: %d %d %d", i, j, k)
	}
}
