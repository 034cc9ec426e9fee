package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/m365sim"
	"github.com/stewardhq/steward/m365sim/botconnector"
	"github.com/stewardhq/steward/m365sim/directory"
)

// Issue 6's "Done when": Microsoft's own clients exchange messages with
// Steward's bot. TestBotbuilderClient drives it with the npm botbuilder
// packages (real Bot Framework tokens both ways); TestAgentsPlayground
// with Microsoft 365 Agents Playground in headless Chromium.

// botClientTools finds node and the npm packages a test needs (npm ci at
// the repository root): missing tools skip the test locally and fail it
// in CI, where they are installed.
func botClientTools(t *testing.T, packages ...string) (node, modules string) {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (run npm ci at the repository root)", what)
		}
		t.Skipf("%s; run npm ci at the repository root", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	modules, err = filepath.Abs(filepath.Join("..", "..", "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range packages {
		if _, err := os.Stat(filepath.Join(modules, p, "package.json")); err != nil {
			missing("node_modules/" + p + " is missing")
		}
	}
	return node, modules
}

// botFixture is a simulated Microsoft 365 with Steward's Contoso tenant
// registered in a fresh data directory, ready for startRun.
type botFixture struct {
	sim    *m365sim.Server
	tenant directory.Tenant
	user   directory.User
	appID  string
	env    map[string]string
}

func newBotFixture(t *testing.T) *botFixture {
	t.Helper()
	sim, err := m365sim.Listen("127.0.0.1:0", m365sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close(context.Background()) })
	contoso := demoTenant(t, sim, "Contoso")
	f := &botFixture{sim: sim, appID: contoso.AppID, tenant: contoso.Tenant}
	if _, f.user, _ = contoso.people(sim); f.user.ID == "" {
		t.Fatal("the simulator's demo directory has no plain member in Contoso")
	}
	dir := t.TempDir()
	secretFile := contoso.writeSecret(t, dir)
	f.env = map[string]string{
		"STEWARD_DEV_MODE": "true", "STEWARD_DATA_DIR": dir, "STEWARD_LISTEN": "127.0.0.1:0",
		"STEWARD_SIMULATOR": "false", "STEWARD_LOGIN_URL": sim.LoginURL(), "STEWARD_GRAPH_URL": sim.GraphURL(),
		"STEWARD_BOT_OPENID_METADATA_URL": sim.BotOpenIDMetadataURL(), "STEWARD_APP_ID": f.appID,
		"STEWARD_TEAMS_APP_ID": "5e7ea4d0-57e3-4c1a-9d2e-7e5a1f0c0042", "STEWARD_BOT_TENANT_ID": f.tenant.ID,
		"STEWARD_BOT_SECRET_FILE": secretFile, "STEWARD_BOT_SERVICE_URLS": sim.ServiceURL(),
	}
	contoso.register(t, f.env, secretFile)
	return f
}

// nodeProcess is a Node.js program started by a test: its stdout lines
// arrive on lines; it is killed at cleanup (and after 55 s at most), and
// its stderr logged, under name, when the test fails or runs verbose.
type nodeProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	done  chan error
	mu    sync.Mutex
	err   strings.Builder
}

func startNode(t *testing.T, name, node, dir string, env []string, args ...string) *nodeProcess {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	p := &nodeProcess{lines: make(chan string, 64), done: make(chan error, 1)}
	p.cmd = exec.CommandContext(ctx, node, args...)
	p.cmd.Dir = dir
	p.cmd.Env = env
	p.cmd.Stderr = writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.err.Write(b)
	})
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		cancel()
		_ = p.cmd.Process.Kill()
		go func() {
			for range p.lines { // unblock the reader, so that it reaches Wait
			}
		}()
		<-p.done
		if t.Failed() || testing.Verbose() {
			t.Logf("%s stderr:\n%s", name, p.stderr())
		}
	})
	return p
}

func (p *nodeProcess) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err.String()
}

// waitLine returns the rest of the first stdout line starting with prefix.
func (p *nodeProcess) waitLine(t *testing.T, prefix string, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("node exited before printing %q (its stderr is logged below)", prefix)
			}
			if rest, found := strings.CutPrefix(line, prefix); found {
				return rest
			}
		case <-deadline:
			t.Fatalf("node printed no %q within %s (its stderr is logged below)", prefix, timeout)
		}
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func nodeEnv(t *testing.T, modules string, extra ...string) []string {
	return append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"NODE_PATH=" + modules,
		"NO_PROXY=127.0.0.1,localhost",
	}, extra...)
}

// TestBotbuilderClient: a client built on Microsoft's botbuilder and
// botframework-connector sends "help" to Steward's bot with a channel
// token the simulator signed, which botbuilder validates before relaying
// it; Steward validates it too and answers through the Bot Connector API
// at the client's serviceUrl, where botbuilder's ChannelServiceRoutes
// validates Steward's Entra token (issuer, signature, audience
// https://api.botframework.com, azp, tid) before accepting the Help card.
func TestBotbuilderClient(t *testing.T) {
	node, modules := botClientTools(t, "botbuilder", "botframework-connector")
	f := newBotFixture(t)
	script, err := filepath.Abs(filepath.Join("testdata", "botclients", "botclient.js"))
	if err != nil {
		t.Fatal(err)
	}
	entraIssuer := f.sim.LoginURL() + "/" + f.tenant.ID + "/v2.0"
	client := startNode(t, "botclient.js", node, t.TempDir(), nodeEnv(t, modules,
		"BOT_APP_ID="+f.appID,
		"TENANT_ID="+f.tenant.ID,
		"CHANNEL_METADATA_URL="+f.sim.BotOpenIDMetadataURL(),
		"ENTRA_METADATA_URL="+entraIssuer+"/.well-known/openid-configuration",
		"ENTRA_ISSUER="+entraIssuer,
	), script)
	port := client.waitLine(t, "listening ", 15*time.Second)
	clientBase := "http://127.0.0.1:" + port
	serviceURL := clientBase + "/connector/"

	// The simulated channel delivers to the client, which relays to Steward.
	if _, err := f.sim.Dir.SetBotEndpoint(f.appID, clientBase+"/api/messages"); err != nil {
		t.Fatal(err)
	}
	f.env["STEWARD_BOT_SERVICE_URLS"] = f.sim.ServiceURL() + "," + serviceURL
	base, stop := startRun(t, f.env, "dev")

	conv, err := f.sim.Bot.PersonalConversation(f.tenant.ID, f.appID, f.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	activity := f.sim.Bot.Message(f.user, "help", conv)
	activity["serviceUrl"] = serviceURL
	activity["id"] = "1767225600001"
	activity["locale"] = "en-US"
	input, _ := json.Marshal(map[string]any{
		"adminUrl":        f.sim.BaseURL() + "/admin/bots/" + f.appID + "/activities",
		"stewardEndpoint": base + "/api/messages",
		"activity":        activity,
	})
	if _, err := client.stdin.Write(append(input, '\n')); err != nil {
		t.Fatal(err)
	}

	var result struct {
		ChannelToken  struct{ Aud, Iss, Serviceurl string }
		StewardStatus int
		Replies       []struct {
			Kind, ConversationID, ActivityID string
			Token                            struct{ Iss, Aud, Azp, Tid string }
			Activity                         struct {
				Type, ReplyToID string
				Attachments     []struct {
					ContentType string
					Content     json.RawMessage
				}
			}
		}
		Refused map[string]int
	}
	if err := json.Unmarshal([]byte(client.waitLine(t, "result ", 45*time.Second)), &result); err != nil {
		t.Fatal(err)
	}
	t.Logf("botbuilder validated the channel's token %+v; Steward answered %d; %d replies; the connector refused %v",
		result.ChannelToken, result.StewardStatus, len(result.Replies), result.Refused)

	if ct := result.ChannelToken; ct.Aud != f.appID || ct.Iss != "https://api.botframework.com" || ct.Serviceurl != serviceURL {
		t.Errorf("botbuilder validated a channel token %+v, want aud %s and serviceurl %s", ct, f.appID, serviceURL)
	}
	if result.StewardStatus < 200 || result.StewardStatus > 299 {
		t.Errorf("Steward answered the relayed activity with %d", result.StewardStatus)
	}
	var card string
	for _, r := range result.Replies {
		if r.Token.Iss != entraIssuer || r.Token.Aud != "https://api.botframework.com" || r.Token.Azp != f.appID || r.Token.Tid != f.tenant.ID {
			t.Errorf("%s accepted with token claims %+v", r.Kind, r.Token)
		}
		if r.ConversationID != conv.ID {
			t.Errorf("%s in conversation %q, want %q", r.Kind, r.ConversationID, conv.ID)
		}
		for _, a := range r.Activity.Attachments {
			if a.ContentType == "application/vnd.microsoft.card.adaptive" {
				card = string(a.Content)
				// A personal chat has no threads: Steward posts to the
				// conversation (sendToConversation); a reply must name
				// the message it answers.
				if r.Kind == "updateActivity" || (r.Kind == "replyToActivity" && r.ActivityID != activity["id"]) {
					t.Errorf("the card came by %s to activity %q, want a post answering %v", r.Kind, r.ActivityID, activity["id"])
				}
			}
		}
	}
	if !strings.Contains(card, "What Steward can do") || !strings.Contains(card, "new team") {
		t.Errorf("no Help card among the replies: %s", card)
	}
	t.Logf("Help card, accepted by botbuilder's connector side: %s", card)
	for _, name := range []string{"no token", "channel token"} {
		if st := result.Refused[name]; st != http.StatusUnauthorized {
			t.Errorf("the connector side answered %d to a request with %s, want 401", st, name)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// finish waits for the process to exit and returns its remaining stdout
// lines and its exit error.
func (p *nodeProcess) finish(t *testing.T, timeout time.Duration) ([]string, error) {
	t.Helper()
	var lines []string
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				err := <-p.done
				p.done <- err // for cleanup
				return lines, err
			}
			lines = append(lines, line)
		case <-deadline:
			t.Fatalf("node did not exit within %s; stdout so far: %q", timeout, lines)
		}
	}
}

// TestAgentsPlayground: Microsoft 365 Agents Playground, driven in
// headless Chromium, sends "help" to Steward's bot in a personal chat and
// renders the Help card Steward posts back through the Playground's mock
// Bot Connector. The Playground sends no token, so Steward runs in dev on
// loopback with bot_allow_unauthenticated; its mock Teams context (tenant,
// user) is the simulated directory's, so Steward knows the tenant and
// resolves the user in Graph as it would in Teams.
func TestAgentsPlayground(t *testing.T) {
	node, modules := botClientTools(t, "@microsoft/m365agentsplayground", "playwright-core")
	chromium := "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Chromium is not at %s (apt-get install chromium)", chromium)
		}
		t.Skipf("Chromium is not at %s; install it (apt-get install chromium) to run this test", chromium)
	}
	f := newBotFixture(t)

	port := freePort(t)
	playgroundURL := "http://127.0.0.1:" + port + "/"
	serviceURL := playgroundURL + "_connector"
	f.env["STEWARD_BOT_ALLOW_UNAUTHENTICATED"] = "true"
	f.env["STEWARD_BOT_SERVICE_URLS"] = f.sim.ServiceURL() + "," + serviceURL
	base, stop := startRun(t, f.env, "dev")

	// The Playground reads its mock Teams context from its working directory.
	work := t.TempDir()
	tpl, err := os.ReadFile(filepath.Join("testdata", "botclients", "playground.yml"))
	if err != nil {
		t.Fatal(err)
	}
	conf := strings.NewReplacer(
		"{{TENANT_ID}}", f.tenant.ID, "{{BOT_ID}}", botconnector.BotID(f.appID),
		"{{USER_ID}}", botconnector.MemberID(f.tenant.ID, f.user.ID), "{{USER_AAD_ID}}", f.user.ID,
		"{{USER_NAME}}", f.user.DisplayName, "{{USER_UPN}}", f.user.UserPrincipalName,
		"{{USER_GIVEN_NAME}}", f.user.GivenName, "{{USER_SURNAME}}", f.user.Surname,
	).Replace(string(tpl))
	confPath := filepath.Join(work, ".m365agentsplayground.yml")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(work, "playground.log")
	playground := startNode(t, "agentsplayground", node, work, nodeEnv(t, modules,
		"TEAMSAPPTESTER_BROWSER=none", // open no browser: the test drives its own
		"M365_AGENTS_PLAYGROUND_CONFIG_PATH="+confPath,
		"M365_AGENTS_PLAYGROUND_LOGFILE="+logPath,
	), filepath.Join(modules, "@microsoft", "m365agentsplayground", "cli.js"),
		"-e", base+"/api/messages", "-c", "msteams", "-p", port, "--service-url", serviceURL, "--disable-telemetry")
	t.Cleanup(func() {
		if t.Failed() || testing.Verbose() {
			b, _ := os.ReadFile(logPath)
			var kept []string
			for _, l := range strings.Split(string(b), "\n") {
				if !strings.HasPrefix(l, "debug") {
					kept = append(kept, l)
				}
			}
			t.Logf("Playground log:\n%s", strings.Join(kept, "\n"))
		}
	})
	if got := playground.waitLine(t, "Listening on ", 20*time.Second); got != port {
		t.Fatalf("the Playground listens on %s, not on the free port %s it was given", got, port)
	}
	waitHTTP(t, playgroundURL, 15*time.Second)

	script, err := filepath.Abs(filepath.Join("testdata", "botclients", "playground.js"))
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(t.TempDir(), "playground-help.png")
	browser := startNode(t, "playground.js", node, t.TempDir(), nodeEnv(t, modules,
		"PLAYGROUND_URL="+playgroundURL, "MESSAGE=help", "EXPECT=What Steward can do",
		"SCREENSHOT="+shot, "CHROMIUM="+chromium,
	), script)
	lines, err := browser.finish(t, 50*time.Second)
	t.Logf("screenshot: %s", shot)
	if err != nil {
		t.Fatalf("the Playground did not render Steward's Help card: %v; output %q", err, lines)
	}
	if !slicesContainsPrefix(lines, "rendered What Steward can do") {
		t.Fatalf("no Help card rendered: %q", lines)
	}
	if fi, err := os.Stat(shot); err != nil || fi.Size() == 0 {
		t.Errorf("no screenshot at %s: %v", shot, err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func slicesContainsPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// waitHTTP waits until url answers at all.
func waitHTTP(t *testing.T, url string, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not answer within %s: %v", url, timeout, err)
		}
	}
}
