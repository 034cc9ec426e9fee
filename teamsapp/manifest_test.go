package teamsapp

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./teamsapp -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test ./teamsapp -update if the change is intended)\n--- got\n%s", name, got)
	}
}

func buildTest(t *testing.T, change func(*Config)) *Package {
	t.Helper()
	c := testConfig()
	if change != nil {
		change(&c)
	}
	p, err := Build(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestManifestGolden(t *testing.T) {
	p := buildTest(t, func(c *Config) { c.ValidDomains = []string{"*.crm.example.net"} })
	golden(t, "manifest.golden.json", p.Manifest)
	golden(t, "fr.golden.json", p.Files[FrenchFile])
	if !bytes.Equal(p.Manifest, p.Files[ManifestFile]) {
		t.Error("Package.Manifest and Files[manifest.json] differ")
	}
}

// manifestMap decodes the manifest for assertions on its structure.
func manifestMap(t *testing.T, p *Package) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(p.Manifest, &m); err != nil {
		t.Fatalf("manifest.json is not JSON: %v", err)
	}
	return m
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestManifestContents pins what the bot, the tabs and SSO rely on: ids,
// paths and scopes other code routes on.
func TestManifestContents(t *testing.T) {
	p := buildTest(t, nil)
	m := manifestMap(t, p)
	base := "https://steward.example.com"
	botID := "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21"

	t.Run("schema and identity", func(t *testing.T) {
		if m["$schema"] != "https://developer.microsoft.com/json-schemas/teams/v1.29/MicrosoftTeams.schema.json" || m["manifestVersion"] != "1.29" {
			t.Errorf("schema %v version %v", m["$schema"], m["manifestVersion"])
		}
		if m["id"] != "0f1e2d3c-4b5a-4697-8877-665544332211" || m["version"] != "1.0.0" {
			t.Errorf("id %v version %v", m["id"], m["version"])
		}
		name := m["name"].(map[string]any)
		if name["short"] != "Steward" || name["full"] != "Steward — Teams governance" {
			t.Errorf("name %v", name)
		}
	})
	t.Run("static tabs", func(t *testing.T) {
		var got []string
		for _, x := range m["staticTabs"].([]any) {
			tab := x.(map[string]any)
			if tab["contentUrl"] != tab["websiteUrl"] || !slices.Equal(strs(tab["scopes"]), []string{"personal"}) {
				t.Errorf("tab %v", tab)
			}
			got = append(got, tab["entityId"].(string)+"="+tab["contentUrl"].(string))
		}
		want := []string{"home=" + base + "/tabs/home", "new=" + base + "/tabs/new", "requests=" + base + "/tabs/requests", "approvals=" + base + "/tabs/approvals", "catalog=" + base + "/tabs/catalog"}
		if !slices.Equal(got, want) {
			t.Errorf("static tabs %q, want %q", got, want)
		}
	})
	t.Run("configurable tab", func(t *testing.T) {
		tabs := m["configurableTabs"].([]any)
		tab := tabs[0].(map[string]any)
		if len(tabs) != 1 || tab["configurationUrl"] != base+"/tabs/config" || tab["canUpdateConfiguration"] != true || !slices.Equal(strs(tab["scopes"]), []string{"team", "groupChat"}) {
			t.Errorf("configurable tabs %v", tabs)
		}
	})
	t.Run("bot", func(t *testing.T) {
		bot := m["bots"].([]any)[0].(map[string]any)
		if bot["botId"] != botID || !slices.Equal(strs(bot["scopes"]), []string{"personal", "team", "groupChat"}) {
			t.Errorf("bot %v", bot)
		}
		var scopes []string
		for _, x := range bot["commandLists"].([]any) {
			l := x.(map[string]any)
			scopes = append(scopes, strs(l["scopes"])...)
			var titles []string
			for _, c := range l["commands"].([]any) {
				cmd := c.(map[string]any)
				if cmd["description"] == "" {
					t.Errorf("command %v has no description", cmd)
				}
				titles = append(titles, cmd["title"].(string))
			}
			if want := []string{"new team", "my requests", "approvals", "status", "help"}; !slices.Equal(titles, want) {
				t.Errorf("commands %q, want %q", titles, want)
			}
		}
		if !slices.Equal(scopes, []string{"personal", "team"}) {
			t.Errorf("command list scopes %q", scopes)
		}
	})
	t.Run("messaging extension", func(t *testing.T) {
		ext := m["composeExtensions"].([]any)[0].(map[string]any)
		if ext["botId"] != botID {
			t.Errorf("extension bot %v", ext["botId"])
		}
		var got []string
		for _, x := range ext["commands"].([]any) {
			c := x.(map[string]any)
			desc := c["id"].(string) + " " + c["type"].(string) + " " + strings.Join(strs(c["context"]), ",")
			switch c["type"] {
			case "query":
				params := c["parameters"].([]any)
				if len(params) != 1 || params[0].(map[string]any)["name"] != "query" || c["fetchTask"] != nil {
					t.Errorf("search command %v", c)
				}
			case "action":
				if c["fetchTask"] != true || c["parameters"] != nil {
					t.Errorf("action command %v", c)
				}
			}
			got = append(got, desc)
		}
		want := []string{
			"searchAccounts query compose,commandBox",
			"searchOpportunities query compose,commandBox",
			"searchContacts query compose,commandBox",
			"requestTeam action message,compose,commandBox",
			"shareTemplate action compose,commandBox",
		}
		if !slices.Equal(got, want) {
			t.Errorf("commands\n%q\nwant\n%q", got, want)
		}
	})
	t.Run("sso, domains, developer, localization", func(t *testing.T) {
		web := m["webApplicationInfo"].(map[string]any)
		if web["id"] != "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21" || web["resource"] != "api://steward.example.com/6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21" {
			t.Errorf("webApplicationInfo %v", web)
		}
		if !slices.Equal(strs(m["validDomains"]), []string{"steward.example.com"}) {
			t.Errorf("validDomains %v", m["validDomains"])
		}
		dev := m["developer"].(map[string]any)
		if dev["websiteUrl"] != base+"/trust" || dev["privacyUrl"] != base+"/trust/privacy" || dev["termsOfUseUrl"] != base+"/trust/terms" {
			t.Errorf("developer %v", dev)
		}
		loc := m["localizationInfo"].(map[string]any)
		langs := loc["additionalLanguages"].([]any)
		if loc["defaultLanguageTag"] != "en-us" || len(langs) != 1 || langs[0].(map[string]any)["languageTag"] != "fr" || langs[0].(map[string]any)["file"] != "fr.json" {
			t.Errorf("localizationInfo %v", loc)
		}
	})
}

// TestFrenchTranslatesEveryString checks that fr.json gives a French text,
// different from the English where the words differ, for each localizable
// field, keyed by the manifest's own indexes.
func TestFrenchTranslatesEveryString(t *testing.T) {
	p := buildTest(t, nil)
	var fr map[string]string
	if err := json.Unmarshal(p.Files[FrenchFile], &fr); err != nil {
		t.Fatalf("fr.json is not a JSON object of strings: %v", err)
	}
	m := manifestMap(t, p)
	// 4 names and descriptions, 5 tabs, 2 lists × 5 bot commands × 2,
	// 5 extension commands × 2, 3 search parameters × 2, and $schema.
	if want := 4 + 5 + 20 + 10 + 6 + 1; len(fr) != want {
		t.Errorf("fr.json has %d keys, want %d", len(fr), want)
	}
	for _, tt := range []struct{ key, fr string }{
		{"name.full", "Steward — gouvernance de Teams"},
		{"staticTabs[1].name", "Nouvelle équipe"},
		{"bots[0].commandLists[1].commands[0].title", "nouvelle équipe"},
		{"bots[0].commandLists[0].commands[4].title", "aide"},
		{"composeExtensions[0].commands[3].title", "Demander une équipe"},
		{"composeExtensions[0].commands[0].parameters[0].title", "Nom du compte"},
	} {
		t.Run(tt.key, func(t *testing.T) {
			if fr[tt.key] != tt.fr {
				t.Errorf("fr.json[%q] = %q, want %q", tt.key, fr[tt.key], tt.fr)
			}
		})
	}
	for key, v := range fr {
		if key == "$schema" {
			if v != "https://developer.microsoft.com/json-schemas/teams/v1.29/MicrosoftTeams.Localization.schema.json" {
				t.Errorf("fr.json $schema = %q", v)
			}
			continue
		}
		en, ok := lookup(m, key)
		if !ok {
			t.Errorf("fr.json key %q names no text field of the manifest", key)
			continue
		}
		if strings.TrimSpace(v) == "" || (v == en && en != "Steward" && en != "Contacts" && en != "Contact") {
			t.Errorf("fr.json %q = %q is not a translation of %q", key, v, en)
		}
	}
}

// lookup follows a localization key (bots[0].commandLists[1].title) through
// the decoded manifest to a string.
func lookup(m map[string]any, key string) (string, bool) {
	var cur any = m
	for _, part := range strings.Split(key, ".") {
		name, rest, _ := strings.Cut(part, "[")
		obj, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		cur = obj[name]
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			if !ok {
				return "", false
			}
			arr, isArr := cur.([]any)
			var i int
			if _, err := fmt.Sscanf(idx, "%d", &i); err != nil || !isArr || i < 0 || i >= len(arr) {
				return "", false
			}
			cur = arr[i]
			rest = strings.TrimPrefix(after, "[")
		}
	}
	s, ok := cur.(string)
	return s, ok
}
