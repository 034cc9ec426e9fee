package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/m365sim"
)

// TestChaosKill9 is issue 5's crash test: 200 team requests are
// provisioned by a Steward process that is killed with SIGKILL three
// times while it works, and restarted each time on the same data. In the
// end the simulated tenant has exactly one team per request, every request
// is completed, and the audit trail (verified) says team.provisioned once
// per request.
func TestChaosKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and provisions 200 teams; skipped with -short")
	}
	const n = 200
	bin := filepath.Join(t.TempDir(), "steward")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build: %v", err)
	}
	sim, err := m365sim.Listen("127.0.0.1:0", m365sim.Options{TeamOperationDelay: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close(context.Background())
	contoso := demoTenant(t, sim, "Contoso")
	appID, secret := contoso.AppID, contoso.Secret
	var people []string
	us, _ := sim.Dir.Users(contoso.ID)
	for _, u := range us {
		if u.UserType != "Guest" && len(people) < 4 {
			people = append(people, u.ID)
		}
	}
	groupsBefore, _ := sim.Dir.Groups(contoso.ID)

	dir := t.TempDir()
	port := freePort(t)
	env := map[string]string{
		"STEWARD_DEV_MODE": "true", "STEWARD_DATA_DIR": dir, "STEWARD_LISTEN": "127.0.0.1:" + port,
		"STEWARD_SIMULATOR": "false", "STEWARD_LOGIN_URL": sim.LoginURL(), "STEWARD_GRAPH_URL": sim.GraphURL(),
		"STEWARD_BOT_OPENID_METADATA_URL": sim.BotOpenIDMetadataURL(), "STEWARD_APP_ID": appID,
		"STEWARD_LOG_LEVEL": "warn",
	}
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) string {
		t.Helper()
		var out, errOut strings.Builder
		if err := run(context.Background(), append([]string{"steward"}, args...), envFrom(env), &out, &errOut); err != nil {
			t.Fatalf("steward %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		return out.String()
	}
	cli("migrate", "up")
	cli("keys", "init")
	cli("tenants", "add", "--id", "contoso", "--name", "Contoso", "--entra-tenant-id", contoso.ID)
	cli("tenants", "credential", "--id", "contoso", "--client-id", appID, "--client-secret-file", secretFile)
	key := strings.TrimSpace(cli("apikeys", "create", "--tenant", "contoso", "--name", "chaos", "--scopes", "requests:read,requests:write,templates:write"))

	// One Steward process at a time, on the same port and data.
	var proc *exec.Cmd
	startProc := func() {
		t.Helper()
		proc = exec.Command(bin, "dev")
		proc.Env = os.Environ()
		for k, v := range env {
			proc.Env = append(proc.Env, k+"="+v)
		}
		proc.Stderr = os.Stderr // warnings and errors only (log_level warn)
		if err := proc.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if resp, err := http.Get("http://127.0.0.1:" + port + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return
				}
			}
		}
		t.Fatal("steward did not become ready")
	}
	kill := func() {
		t.Helper()
		if err := proc.Process.Kill(); err != nil { // SIGKILL: no shutdown, no drain
			t.Fatal(err)
		}
		_ = proc.Wait()
	}
	defer func() {
		if proc != nil && proc.ProcessState == nil {
			kill()
		}
	}()
	startProc()

	api := "http://127.0.0.1:" + port + "/api/v1"
	if st := apiCall(t, "POST", api+"/templates", key, map[string]any{"id": "project", "name": "Project", "spec": map[string]any{
		"visibility": "private", "channels": []map[string]any{{"name": "Planning"}, {"name": "Design"}},
		"apps": []string{"com.microsoft.teamspace.tab.planner"}}}, nil); st != http.StatusCreated {
		t.Fatalf("create template: %d", st)
	}
	ids := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var r struct{ ID string }
			if st := apiCall(t, "POST", api+"/requests", key, map[string]any{"templateId": "project", "name": fmt.Sprintf("Chaos %03d", i),
				"owners": people[:1], "members": people[1:]}, &r); st != http.StatusCreated {
				t.Errorf("submit %d: %d", i, st)
			}
			ids[i] = r.ID
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	completed := func() (done int) {
		for _, id := range ids {
			var r struct{ State string }
			if apiCall(t, "GET", api+"/requests/"+id, key, nil, &r) == 200 && (r.State == "completed" || r.State == "failed") {
				done++
			}
		}
		return done
	}
	waitFor := func(target int, within time.Duration) int {
		t.Helper()
		got := 0
		for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if got = completed(); got >= target {
				return got
			}
		}
		t.Fatalf("only %d of %d requests done after %v", got, target, within)
		return got
	}
	for _, at := range []int{20, 80, 140} {
		got := waitFor(at, 2*time.Minute)
		kill()
		t.Logf("SIGKILL with %d of %d requests done", got, n)
		startProc()
	}
	waitFor(n, 3*time.Minute)
	kill()

	// Exactly one team per request, and nothing else created.
	groups, _ := sim.Dir.Groups(contoso.ID)
	byName := map[string]int{}
	for _, g := range groups {
		byName[g.DisplayName]++
	}
	if got := len(groups) - len(groupsBefore); got != n {
		t.Errorf("the tenant gained %d groups, want %d", got, n)
	}
	for i := range n {
		if c := byName[fmt.Sprintf("Chaos %03d", i)]; c != 1 {
			t.Errorf("team Chaos %03d exists %d times", i, c)
		}
	}
	// Every request completed, once, with a verified audit trail.
	out := cli("audit", "export", "--tenant", "contoso", "--format", "json", "--action", "team.provisioned")
	var events []struct {
		SubjectID string `json:"subjectId"`
	}
	if err := json.Unmarshal([]byte(out), &events); err != nil {
		t.Fatalf("audit export: %v\n%s", err, out)
	}
	seen := map[string]int{}
	for _, e := range events {
		seen[e.SubjectID]++
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("request %s: %d team.provisioned audit events, want 1", id, seen[id])
		}
	}
	cli("audit", "verify", "--tenant", "contoso")
}

// freePort finds a loopback port nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
