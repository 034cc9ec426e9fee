package main

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, dev bool, env map[string]string, args ...string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	registerFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	p := forServe
	if dev {
		p = forDev
	}
	return loadConfig(fs, envFrom(env), p)
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDevDefaults(t *testing.T) {
	c, err := load(t, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{DevMode: true, Listen: "127.0.0.1:8080", DataDir: "steward-data", DatabaseURL: "sqlite:steward-data/steward.db",
		KeyringFile: "steward-data/keyring.json", BlobDir: "steward-data/blobs", APIKeyPepperFile: "steward-data/api-key-pepper", LogFormat: "text", LogLevel: "info", JobWorkers: 4, ShutdownTimeout: 5 * time.Second,
		AutoMigrate: true, Simulator: true, SimulatorListen: "127.0.0.1:0", GraphShare: 1,
		BotServiceURLs: []string{teamsServiceURL}} // endpoints and app id: the simulator's, filled in at start
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("dev defaults\n got %+v\nwant %+v", c, want)
	}
}

func TestPrecedenceFlagsOverEnvOverFile(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "steward.json", `{"log_level": "debug", "job_workers": 7, "listen": "127.0.0.1:9000", "auto_migrate": false}`)
	env := map[string]string{"STEWARD_CONFIG": file, "STEWARD_JOB_WORKERS": "8", "STEWARD_LISTEN": "127.0.0.1:9001"}
	c, err := load(t, true, env, "--listen", "127.0.0.1:9002")
	if err != nil {
		t.Fatal(err)
	}
	if c.LogLevel != "debug" || c.JobWorkers != 8 || c.Listen != "127.0.0.1:9002" || c.AutoMigrate {
		t.Fatalf("got level=%s workers=%d listen=%s automigrate=%v", c.LogLevel, c.JobWorkers, c.Listen, c.AutoMigrate)
	}
	// data_dir feeds the defaults that depend on it.
	c, err = load(t, true, map[string]string{"STEWARD_DATA_DIR": "/srv/x"})
	if err != nil || c.DatabaseURL != "sqlite:/srv/x/steward.db" || c.KeyringFile != "/srv/x/keyring.json" {
		t.Fatalf("derived defaults: %+v %v", c, err)
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	dsnFile := writeFile(t, dir, "dsn", "postgres://steward:p%40ss@db:5432/steward\n")
	c, err := load(t, true, map[string]string{"STEWARD_DATABASE_URL_FILE": dsnFile})
	if err != nil || c.DatabaseURL != "postgres://steward:p%40ss@db:5432/steward" {
		t.Fatalf("env _FILE: %q %v", c.DatabaseURL, err)
	}
	writeFile(t, dir, "token", "0123456789abcdef0123")
	cfgFile := writeFile(t, dir, "steward.json", `{"metrics_token_file": "token"}`)
	c, err = load(t, true, map[string]string{"STEWARD_CONFIG": cfgFile})
	if err != nil || c.MetricsToken != "0123456789abcdef0123" {
		t.Fatalf("file _file key relative to the config file: %q %v", c.MetricsToken, err)
	}
}

// TestInvalidSettingsSayWhatToFix checks that each bad value is reported with
// the setting's name, where it came from and what is expected.
func TestInvalidSettingsSayWhatToFix(t *testing.T) {
	dir := t.TempDir()
	empty := writeFile(t, dir, "empty", "\n")
	tests := []struct {
		name string
		dev  bool
		env  map[string]string
		args []string
		want []string
	}{
		{"bad listen", true, nil, []string{"--listen", "8080"}, []string{"listen (from --listen)", "host:port"}},
		{"bad port", true, map[string]string{"STEWARD_LISTEN": "127.0.0.1:99999"}, nil, []string{"listen (from STEWARD_LISTEN)", "0 to 65535"}},
		{"bad database url", true, map[string]string{"STEWARD_DATABASE_URL": "mysql://x"}, nil, []string{"database_url (from STEWARD_DATABASE_URL)", "sqlite:PATH"}},
		{"serve needs a database", false, map[string]string{"STEWARD_LISTEN": "127.0.0.1:0"}, nil, []string{"database_url (from default)", "is required"}},
		{"bad workers", true, map[string]string{"STEWARD_JOB_WORKERS": "0"}, nil, []string{"job_workers", "1 to 1000"}},
		{"bad duration", true, map[string]string{"STEWARD_SHUTDOWN_TIMEOUT": "forever"}, nil, []string{"shutdown_timeout", "30s"}},
		{"bad log format", true, map[string]string{"STEWARD_LOG_FORMAT": "xml"}, nil, []string{"log_format", "json, text"}},
		{"bad bool", true, map[string]string{"STEWARD_AUTO_MIGRATE": "yes please"}, nil, []string{"auto_migrate", "true or false"}},
		{"bad redis", true, map[string]string{"STEWARD_REDIS_URL": "http://cache"}, nil, []string{"redis_url", "redis://"}},
		{"short metrics token", true, map[string]string{"STEWARD_METRICS_TOKEN": "short"}, nil, []string{"metrics_token", "16 characters"}},
		{"secret twice", true, map[string]string{"STEWARD_METRICS_TOKEN": "0123456789abcdef", "STEWARD_METRICS_TOKEN_FILE": empty}, nil, []string{"STEWARD_METRICS_TOKEN and STEWARD_METRICS_TOKEN_FILE are both set"}},
		{"empty secret file", true, map[string]string{"STEWARD_DATABASE_URL_FILE": empty}, nil, []string{"STEWARD_DATABASE_URL_FILE", "is empty"}},
		{"missing secret file", true, map[string]string{"STEWARD_DATABASE_URL_FILE": filepath.Join(dir, "nope")}, nil, []string{"STEWARD_DATABASE_URL_FILE", "cannot read"}},
		{"unknown file key", true, map[string]string{"STEWARD_CONFIG": writeFile(t, dir, "c1.json", `{"lisen": ":1"}`)}, nil, []string{`unknown setting "lisen"`}},
		{"file not json", true, map[string]string{"STEWARD_CONFIG": writeFile(t, dir, "c2.json", `listen=:1`)}, nil, []string{"not a JSON object"}},
		{"half a TLS pair", true, map[string]string{"STEWARD_TLS_CERT_FILE": "/x.pem"}, nil, []string{"tls_cert_file and tls_key_file go together"}},
		{"unloadable TLS pair", true, map[string]string{"STEWARD_TLS_CERT_FILE": empty, "STEWARD_TLS_KEY_FILE": empty}, nil, []string{"cannot load the key pair"}},
		{"simulator url format", true, map[string]string{"STEWARD_GRAPH_URL": "graph"}, nil, []string{"graph_url", "absolute http(s) URL"}},
		{"several errors at once", true, map[string]string{"STEWARD_JOB_WORKERS": "x", "STEWARD_LOG_LEVEL": "loud"}, nil, []string{"job_workers", "log_level"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.dev, tt.env, tt.args...)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestServeRefusesDevOnlySettings: production never runs with a shortcut
// that is only safe on a developer's machine.
func TestServeRefusesDevOnlySettings(t *testing.T) {
	base := map[string]string{"STEWARD_DATABASE_URL": "sqlite:/tmp/x.db"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		dev  bool
		env  map[string]string
		want string // "" means accepted
	}{
		{"plain HTTP in production", false, with("STEWARD_LISTEN", "127.0.0.1:8080"), "plain HTTP is dev-only"},
		{"plain HTTP on all interfaces", false, with(), "plain HTTP is allowed only on a loopback address"},
		{"plain HTTP on all interfaces even in dev", true, with("STEWARD_LISTEN", "0.0.0.0:8080"), "plain HTTP is allowed only on a loopback address"},
		{"unauthenticated bot in production", false, with("STEWARD_LISTEN", "127.0.0.1:8080", "STEWARD_BOT_ALLOW_UNAUTHENTICATED", "true"), "bot_allow_unauthenticated is dev-only"},
		{"unauthenticated bot off loopback", true, with("STEWARD_LISTEN", "[::]:8080", "STEWARD_BOT_ALLOW_UNAUTHENTICATED", "true"), "requires listen on a loopback address"},
		{"simulator Graph in production", false, with("STEWARD_LISTEN", "127.0.0.1:1", "STEWARD_GRAPH_URL", "http://127.0.0.1:9999/graph"), "graph_url"},
		{"simulator login on https loopback", false, with("STEWARD_LISTEN", "127.0.0.1:1", "STEWARD_LOGIN_URL", "https://localhost:9443"), "login_url"},
		{"simulator bot metadata", false, with("STEWARD_LISTEN", "127.0.0.1:1", "STEWARD_BOT_OPENID_METADATA_URL", "http://[::1]:1/meta"), "bot_openid_metadata_url"},
		{"in-process simulator in production", false, with("STEWARD_LISTEN", "127.0.0.1:1", "STEWARD_SIMULATOR", "true"), "simulator is dev-only"},
		{"simulator off loopback", true, with("STEWARD_SIMULATOR_LISTEN", "0.0.0.0:8081"), "simulator_listen"},
		{"bot without its secret", false, with("STEWARD_LISTEN", "127.0.0.1:1", "STEWARD_TEAMS_APP_ID", "5e7ea4d0-57e3-4c1a-9d2e-7e5a1f0c0042"), "bot_secret_file is required with teams_app_id"},
		{"bot secret without its tenant", false, with("STEWARD_LISTEN", "127.0.0.1:1", "STEWARD_BOT_SECRET_FILE", "/run/secrets/bot"), "bot_tenant_id is required with bot_secret_file"},
		{"simulator service URL in production", false, with("STEWARD_LISTEN", "127.0.0.1:1", "STEWARD_BOT_SERVICE_URLS", "https://smba.trafficmanager.net/,http://127.0.0.1:9/connector/"), "bot_service_urls"},
		{"dev mode allows the simulator", false, with("STEWARD_DEV_MODE", "true", "STEWARD_LISTEN", "127.0.0.1:1", "STEWARD_GRAPH_URL", "http://127.0.0.1:9999", "STEWARD_BOT_ALLOW_UNAUTHENTICATED", "true"), ""},
		{"steward dev allows them", true, with("STEWARD_GRAPH_URL", "http://127.0.0.1:9999", "STEWARD_BOT_ALLOW_UNAUTHENTICATED", "true"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.dev, tt.env)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestToolsNeedOnlyWhatTheyUse: a release job running migrations or key
// commands needs neither TLS files nor a loopback listen address, and
// `keys init` needs no database.
func TestToolsNeedOnlyWhatTheyUse(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"STEWARD_DATABASE_URL": "sqlite:" + filepath.Join(dir, "s.db"),
		"STEWARD_KEYRING_FILE": filepath.Join(dir, "k.json"),
	}
	ctx := context.Background()
	var out, errOut strings.Builder
	if err := run(ctx, []string{"steward", "migrate", "up"}, envFrom(env), &out, &errOut); err != nil {
		t.Fatalf("production migrate up without TLS settings: %v", err)
	}
	noDB := map[string]string{"STEWARD_KEYRING_FILE": filepath.Join(dir, "k.json")}
	if err := run(ctx, []string{"steward", "keys", "init"}, envFrom(noDB), &out, &errOut); err != nil {
		t.Fatalf("keys init without a database: %v", err)
	}
	if err := run(ctx, []string{"steward", "keys", "status"}, envFrom(env), &out, &errOut); err != nil {
		t.Fatalf("keys status: %v", err)
	}
	err := run(ctx, []string{"steward", "keys", "status"}, envFrom(noDB), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "database_url") {
		t.Fatalf("keys status without a database: %v", err)
	}
	// serve still applies every rule.
	if _, err := load(t, false, env); err == nil || !strings.Contains(err.Error(), "plain HTTP") {
		t.Fatalf("serve accepted plain HTTP: %v", err)
	}
}

func TestEndpointsDefaultToMicrosoftWithoutSimulator(t *testing.T) {
	if _, err := load(t, true, map[string]string{"STEWARD_SIMULATOR": "false"}); err == nil || !strings.Contains(err.Error(), "app_id is required") {
		t.Fatalf("no simulator and no app id: %v", err)
	}
	c, err := load(t, true, map[string]string{"STEWARD_SIMULATOR": "false", "STEWARD_APP_ID": "6E6B5A1C-1D3F-4A55-9D7E-0C2B8F1E4A21"})
	if err != nil {
		t.Fatal(err)
	}
	if c.AppID != "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21" {
		t.Fatalf("app id %q: GUIDs compare in lowercase", c.AppID)
	}
	if c.LoginURL != microsoftLoginURL || c.GraphURL != microsoftGraphURL || c.BotOpenIDMetadataURL != botFrameworkOpenIDMetadata {
		t.Fatalf("endpoints without a simulator: %q %q %q", c.LoginURL, c.GraphURL, c.BotOpenIDMetadataURL)
	}
}

func TestDevModeSwitchesDefaults(t *testing.T) {
	c, err := load(t, false, map[string]string{"STEWARD_DEV_MODE": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "sqlite:steward-data/steward.db" || c.Listen != "127.0.0.1:8080" || !c.AutoMigrate {
		t.Fatalf("dev_mode=true did not select dev defaults: %+v", c)
	}
}
