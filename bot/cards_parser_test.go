package bot

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stewardhq/steward/cards"
)

// TestBotCardsPassTheOfficialParser: the cards the bot assembles itself
// (a notice above a built card, an extra button, the plain cards for
// renewals and shared templates) pass Microsoft's adaptivecards parser,
// like the cards package's own (cards/testdata/validate.js).
func TestBotCardsPassTheOfficialParser(t *testing.T) {
	root, node := parserTool(t)
	build := map[string]func() ([]byte, error){
		"notice": func() ([]byte, error) { return withNotice(cards.Help("fr"), "Demande approuvée", "good") },
		"notice-attention": func() ([]byte, error) {
			return withNotice(cards.Error("en", "boom"), "Fix the name and send again", "attention")
		},
		"extra-button": func() ([]byte, error) {
			return extend(cards.RequestTeamForm("en", []cards.TemplateOption{{ID: "project", Name: "Project"}}, "Launch", ""), func(ac *cards.AdaptiveCard) {
				ac.Actions = append(ac.Actions, cards.ActionOpenURL{Type: "Action.OpenUrl", Title: "Open the form in Steward", URL: "https://teams.microsoft.com/l/entity/x/new"})
			})
		},
		"plain-renewed": func() ([]byte, error) {
			return plainCard("en", "Team renewed", []string{"It now expires on 2027-05-01."})
		},
		"plain-template": func() ([]byte, error) {
			return plainCard("fr", "Projet", []string{"Un modèle pour les projets."},
				cards.ActionSubmit{Type: "Action.Submit", Title: "Demander une équipe", Style: "positive", Data: map[string]any{
					"msteams": map[string]any{"type": "task/fetch"}, "form": cards.FormRequestTeam, "templateId": "project"}},
				cards.ActionOpenURL{Type: "Action.OpenUrl", Title: "Catalogue", URL: "https://steward.example.com/tabs/catalog"})
		},
	}
	dir := t.TempDir()
	var files []string
	for name, f := range build {
		b, err := f()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	script := filepath.Join(root, "cards", "testdata", "validate.js")
	out, err := exec.Command(node, append([]string{script}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("validate.js: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "ok   "); n != len(files) {
		t.Fatalf("validate.js passed %d of %d cards:\n%s", n, len(files), out)
	}
}

// parserTool finds the repository root and node, skipping locally (and
// failing in CI) when Node or the adaptivecards package is missing.
func parserTool(t *testing.T) (root, node string) {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for root = dir; ; root = filepath.Dir(root) {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(root) == root {
			t.Fatal("no go.mod above the package")
		}
	}
	if node, err = exec.LookPath("node"); err != nil {
		missing("node is not installed: the official Adaptive Card parser cannot run")
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "adaptivecards", "dist", "adaptivecards.js")); err != nil {
		missing("the adaptivecards npm package is not installed: run npm ci at the repository root")
	}
	return root, node
}
