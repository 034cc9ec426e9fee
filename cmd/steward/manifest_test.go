package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	testTeamsAppID = "0f1e2d3c-4b5a-4697-8877-665544332211"
	testAppID      = "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21"
)

// runManifestCmd runs `steward manifest args...` with env and returns its
// output and error.
func runManifestCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut strings.Builder
	err = run(context.Background(), append([]string{"steward", "manifest"}, args...), envFrom(env), &out, &errOut)
	return out.String(), errOut.String(), err
}

// readZip returns the entries of a zip file by name.
func readZip(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("%s is not a zip: %v", path, err)
	}
	defer zr.Close()
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = b
	}
	return files
}

func TestManifestCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "steward.zip")
	env := map[string]string{"STEWARD_PUBLIC_URL": "https://steward.example.com", "STEWARD_APP_ID": testAppID}
	stdout, stderr, err := runManifestCmd(t, env, "--out", out, "--teams-app-id", testTeamsAppID, "--version", "1.2.3",
		"--valid-domain", "login.example.org", "--valid-domain", "*.crm.example.net")
	if err != nil {
		t.Fatalf("manifest: %v\n%s", err, stderr)
	}
	for _, want := range []string{"wrote " + out, "Teams app " + testTeamsAppID + " version 1.2.3", "manifest schema v1.29", "color.png, fr.json, manifest.json, outline.png", "Upload it in Teams"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	files := readZip(t, out)

	t.Run("entries at the root", func(t *testing.T) {
		var names []string
		for n := range files {
			names = append(names, n)
		}
		slices.Sort(names)
		if want := []string{"color.png", "fr.json", "manifest.json", "outline.png"}; !slices.Equal(names, want) {
			t.Errorf("zip entries %q, want %q", names, want)
		}
	})
	t.Run("manifest from the configuration", func(t *testing.T) {
		var m struct {
			ID, Version  string
			ValidDomains []string
			Bots         []struct{ BotID string }
			Compose      []struct{ BotID string } `json:"composeExtensions"`
			StaticTabs   []struct{ ContentURL string }
			WebApp       struct{ ID, Resource string } `json:"webApplicationInfo"`
		}
		if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
			t.Fatal(err)
		}
		if m.ID != testTeamsAppID || m.Version != "1.2.3" {
			t.Errorf("id %q version %q", m.ID, m.Version)
		}
		if want := []string{"steward.example.com", "login.example.org", "*.crm.example.net"}; !slices.Equal(m.ValidDomains, want) {
			t.Errorf("validDomains %q, want %q", m.ValidDomains, want)
		}
		if m.Bots[0].BotID != testAppID || m.Compose[0].BotID != testAppID {
			t.Errorf("bot ids %q %q: without --bot-id the bot is app_id", m.Bots[0].BotID, m.Compose[0].BotID)
		}
		if m.StaticTabs[0].ContentURL != "https://steward.example.com/tabs/home" {
			t.Errorf("first tab %q", m.StaticTabs[0].ContentURL)
		}
		if m.WebApp.ID != testAppID || m.WebApp.Resource != "api://steward.example.com/"+testAppID {
			t.Errorf("webApplicationInfo %+v", m.WebApp)
		}
	})
	t.Run("icons", func(t *testing.T) {
		for name, size := range map[string]int{"color.png": 192, "outline.png": 32} {
			img, err := png.Decode(bytes.NewReader(files[name]))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
				t.Errorf("%s is %v, want %d×%d", name, b, size, size)
			}
		}
	})
	t.Run("french localization", func(t *testing.T) {
		var fr map[string]string
		if err := json.Unmarshal(files["fr.json"], &fr); err != nil {
			t.Fatal(err)
		}
		if fr["name.full"] != "Steward — gouvernance de Teams" {
			t.Errorf("fr.json name.full = %q", fr["name.full"])
		}
	})
	t.Run("file left in place only", func(t *testing.T) {
		st, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("mode %v, want 0644", st.Mode().Perm())
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Errorf("directory holds %d entries, want only the package (no temporary file)", len(entries))
		}
	})
	t.Run("same configuration, same bytes", func(t *testing.T) {
		first, _ := os.ReadFile(out)
		_, stderr, err := runManifestCmd(t, env, "--out", out, "--teams-app-id", testTeamsAppID, "--version", "1.2.3",
			"--valid-domain", "login.example.org", "--valid-domain", "*.crm.example.net")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		again, _ := os.ReadFile(out)
		if !bytes.Equal(first, again) {
			t.Error("a second run wrote different bytes")
		}
	})
}

// TestManifestCommandSettings checks where each value comes from: the
// config file, flags over the environment, dev mode for loopback http.
func TestManifestCommandSettings(t *testing.T) {
	const botID = "a1b2c3d4-e5f6-4789-8abc-def012345678"
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "steward.json")
	if err := os.WriteFile(cfgFile, []byte(`{"public_url": "https://teams.contoso.com", "app_id": "`+testAppID+`", "app_id_uri": "api://auth.contoso.com/`+testAppID+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		env         map[string]string
		args        []string
		domain, bot string
		resource    string
	}{
		{"config file and bot id flag", nil, []string{"--config", cfgFile, "--bot-app-id", botID},
			"teams.contoso.com", botID, "api://auth.contoso.com/" + testAppID},
		{"flag over environment", map[string]string{"STEWARD_PUBLIC_URL": "https://old.example.com", "STEWARD_APP_ID": testAppID},
			[]string{"--public-url", "https://new.example.com"}, "new.example.com", testAppID, "api://new.example.com/" + testAppID},
		{"dev mode allows loopback http", map[string]string{"STEWARD_DEV_MODE": "true", "STEWARD_PUBLIC_URL": "http://127.0.0.1:8080", "STEWARD_APP_ID": testAppID},
			nil, "127.0.0.1:8080", testAppID, "api://127.0.0.1:8080/" + testAppID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "app.zip")
			_, stderr, err := runManifestCmd(t, tt.env, append([]string{"--out", out, "--teams-app-id", testTeamsAppID}, tt.args...)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			var m struct {
				ValidDomains []string
				Bots         []struct{ BotID string }
				WebApp       struct{ Resource string } `json:"webApplicationInfo"`
			}
			if err := json.Unmarshal(readZip(t, out)["manifest.json"], &m); err != nil {
				t.Fatal(err)
			}
			if m.ValidDomains[0] != tt.domain || m.Bots[0].BotID != tt.bot || m.WebApp.Resource != tt.resource {
				t.Errorf("domain %q bot %q resource %q, want %q %q %q", m.ValidDomains[0], m.Bots[0].BotID, m.WebApp.Resource, tt.domain, tt.bot, tt.resource)
			}
		})
	}
}

func TestManifestCommandErrors(t *testing.T) {
	good := map[string]string{"STEWARD_PUBLIC_URL": "https://steward.example.com", "STEWARD_APP_ID": testAppID}
	tests := []struct {
		name  string
		env   map[string]string
		args  []string // after --out DIR/app.zip unless noOut
		noOut bool
		usage bool   // errUsage, explained on stderr
		want  string // in the error (or stderr for usage errors)
	}{
		{"no out", good, []string{"--teams-app-id", testTeamsAppID}, true, true, "--out FILE.zip --teams-app-id GUID"},
		{"no teams app id", good, nil, false, true, "--out FILE.zip --teams-app-id GUID"},
		{"unknown flag", good, []string{"--teams-app-id", testTeamsAppID, "--colour", "red"}, false, true, "flag provided but not defined"},
		{"empty valid domain", good, []string{"--teams-app-id", testTeamsAppID, "--valid-domain", " "}, false, true, "must not be empty"},
		{"not a zip name", good, []string{"--out", "app.json", "--teams-app-id", testTeamsAppID}, true, false, "name it FILE.zip"},
		{"extra arguments", good, []string{"--teams-app-id", testTeamsAppID, "now"}, false, false, "unexpected arguments: now"},
		{"no public url", map[string]string{"STEWARD_APP_ID": testAppID}, []string{"--teams-app-id", testTeamsAppID}, false, false, "public_url is required"},
		{"no app id", map[string]string{"STEWARD_PUBLIC_URL": "https://steward.example.com"}, []string{"--teams-app-id", testTeamsAppID}, false, false, "app_id is required"},
		{"bad app id setting", map[string]string{"STEWARD_PUBLIC_URL": "https://steward.example.com", "STEWARD_APP_ID": "steward"}, []string{"--teams-app-id", testTeamsAppID}, false, false, "app_id (from STEWARD_APP_ID)"},
		{"teams app id not a guid", good, []string{"--teams-app-id", "com.contoso.steward"}, false, false, `teams_app_id (from --teams-app-id): expected a GUID`},
		{"bot id not a guid", good, []string{"--teams-app-id", testTeamsAppID, "--bot-app-id", "bot"}, false, false, `bot_app_id (from --bot-app-id): expected a GUID`},
		{"http public url outside dev", map[string]string{"STEWARD_PUBLIC_URL": "http://127.0.0.1:8080", "STEWARD_APP_ID": testAppID}, []string{"--teams-app-id", testTeamsAppID}, false, false, `public_url "http://127.0.0.1:8080": must be https`},
		{"bad version", good, []string{"--teams-app-id", testTeamsAppID, "--version", "v1"}, false, false, `--version "v1": expected MAJOR.MINOR.PATCH`},
		{"bad valid domain", good, []string{"--teams-app-id", testTeamsAppID, "--valid-domain", "https://x.example.com"}, false, false, "without scheme or path"},
		{"every problem at once", map[string]string{"STEWARD_PUBLIC_URL": "http://steward.example.com"},
			[]string{"--teams-app-id", testTeamsAppID, "--accent-color", "red"}, false, false,
			"invalid configuration:\n  - ",
		},
		{"every problem at once lists app_id", map[string]string{"STEWARD_PUBLIC_URL": "http://steward.example.com"},
			[]string{"--teams-app-id", testTeamsAppID, "--accent-color", "red"}, false, false, "\n  - app_id is required",
		},
		{"every problem at once lists public_url", map[string]string{"STEWARD_PUBLIC_URL": "http://steward.example.com"},
			[]string{"--teams-app-id", testTeamsAppID, "--accent-color", "red"}, false, false, "\n  - public_url \"http://steward.example.com\": must be https",
		},
		{"every problem at once lists the colour", map[string]string{"STEWARD_PUBLIC_URL": "http://steward.example.com"},
			[]string{"--teams-app-id", testTeamsAppID, "--accent-color", "red"}, false, false, "\n  - --accent-color \"red\"",
		},
		{"missing output directory", good, []string{"--out", filepath.Join("no", "such", "dir", "app.zip"), "--teams-app-id", testTeamsAppID}, true, false, "manifest: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := tt.args
			if !tt.noOut {
				args = append([]string{"--out", filepath.Join(dir, "app.zip")}, args...)
			}
			_, stderr, err := runManifestCmd(t, tt.env, args...)
			if err == nil {
				t.Fatal("manifest succeeded")
			}
			if tt.usage {
				if !errors.Is(err, errUsage) || !strings.Contains(stderr, tt.want) {
					t.Fatalf("error %v, stderr %q; want a usage error saying %q", err, stderr, tt.want)
				}
			} else if errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("a failed run left %d files behind", len(entries))
			}
		})
	}
}
