package main

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/store"
)

// Config is every setting of a Steward process, built once in run from
// flags, environment and an optional file, and validated before anything
// starts.
type Config struct {
	DevMode                 bool
	Listen                  string
	PublicURL               string
	DataDir                 string
	DatabaseURL             string
	RedisURL                string
	KeyringFile             string
	BlobDir                 string
	APIKeyPepperFile        string
	TLSCertFile             string
	TLSKeyFile              string
	DevTLS                  bool
	ACMEHosts               []string
	ACMEDirectoryURL        string
	ACMEEmail               string
	HTTPRedirectListen      string
	FrontDoorID             string
	TrustedProxies          []netip.Prefix
	AllowedHosts            []string
	LogFormat               string
	LogLevel                string
	OTLPEndpoint            string
	MetricsToken            string
	JobWorkers              int
	ShutdownTimeout         time.Duration
	AutoMigrate             bool
	BotAllowUnauthenticated bool
	LoginURL                string
	GraphURL                string
	BotOpenIDMetadataURL    string
	Simulator               bool
	SimulatorListen         string
	AppID                   string
	AppIDURI                string
	GraphShare              float64
	BotAppID                string
	BotTenantID             string
	BotSecretFile           string
	BotServiceURLs          []string
	TeamsAppID              string

	// Edge protections (cmd/steward/protect.go).
	RateLimitPerIP   edge.Rate // zero: no per-IP rate limit
	RateLimitTenant  edge.Rate // zero: no per-tenant rate limit
	MaxInFlight      int       // 0: no in-flight limit
	MaxInFlightPerIP int       // 0: no per-IP in-flight limit

	// Filled in at start in dev with the simulator (not settings): the
	// demo app's client secret and the simulator's connector service URL,
	// where notifications open new chats.
	simBotSecret  string
	botServiceURL string
}

// teamsServiceURL is the Bot Connector service URL Teams hands out (its
// regional paths, e.g. /amer/, sit under it).
const teamsServiceURL = "https://smba.trafficmanager.net/"

// letsEncryptDirectory is Let's Encrypt's production ACME directory, the
// default certificate authority of acme_hosts.
const letsEncryptDirectory = "https://acme-v02.api.letsencrypt.org/directory"

// Microsoft's endpoints, used when no simulator stands in for them.
const (
	microsoftLoginURL          = "https://login.microsoftonline.com"
	microsoftGraphURL          = "https://graph.microsoft.com"
	botFrameworkOpenIDMetadata = "https://login.botframework.com/v1/.well-known/openidconfiguration"
)

// setting describes one configuration value. The list below is the single
// source of the flags, environment variables, file keys, defaults, checks
// and the README's configuration reference.
type setting struct {
	key    string // file key; flag is key with '-', env is STEWARD_ + upper(key)
	help   string
	secret bool // also read from STEWARD_<KEY>_FILE / "<key>_file"
	// serveDef and devDef are the defaults in production and dev mode;
	// "{data_dir}" is replaced by the data directory.
	serveDef, devDef string
	set              func(c *Config, v string) error
}

func (s setting) flagName() string { return strings.ReplaceAll(s.key, "_", "-") }
func (s setting) env() string      { return "STEWARD_" + strings.ToUpper(s.key) }

var settings = []setting{
	{key: "dev_mode", serveDef: "false", devDef: "true",
		help: "Dev mode: the `dev` defaults for every setting, and dev-only settings allowed (plain HTTP on loopback, unauthenticated bot traffic, simulator endpoints). Always on for `steward dev`; for other commands, e.g. `steward keys status --dev-mode` on dev's data.",
		set:  boolSetter(func(c *Config) *bool { return &c.DevMode })},
	{key: "listen", serveDef: ":8443", devDef: "127.0.0.1:8080",
		help: "Address to listen on, host:port (port 0 picks a free port).",
		set: func(c *Config, v string) error {
			host, port, err := net.SplitHostPort(v)
			if err != nil {
				return fmt.Errorf("expected host:port such as 127.0.0.1:8080 or :8443")
			}
			if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
				return fmt.Errorf("port %q must be a number from 0 to 65535", port)
			}
			if host != "" && net.ParseIP(host) == nil && host != "localhost" {
				return fmt.Errorf("host %q must be an IP address, localhost or empty (all interfaces)", host)
			}
			c.Listen = v
			return nil
		}},
	{key: "public_url", help: "External base URL users reach Steward at (https://steward.example.com); defaults to the listen address.",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
				return fmt.Errorf("expected an absolute URL without a path, such as https://steward.example.com")
			}
			c.PublicURL = strings.TrimSuffix(v, "/")
			return nil
		}},
	{key: "data_dir", serveDef: "/var/lib/steward", devDef: "steward-data",
		help: "Directory for local state: the SQLite database and the keyring in dev.",
		set: func(c *Config, v string) error {
			if v == "" {
				return errors.New("must not be empty")
			}
			c.DataDir = v
			return nil
		}},
	{key: "database_url", secret: true, devDef: "sqlite:{data_dir}/steward.db",
		help: "Main store: sqlite:PATH or postgres://USER:PASSWORD@HOST:5432/DB?sslmode=verify-full. Required in production.",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil // required only by commands that open the store
			}
			if _, _, err := store.ParseDSN(v); err != nil {
				return err
			}
			c.DatabaseURL = v
			return nil
		}},
	{key: "redis_url", secret: true,
		help: "Redis for the shared cache, rate-limit counters and locks (redis:// or rediss://). Empty: an in-process cache (one replica only).",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
				return errors.New("expected redis://HOST:6379/0 or rediss://HOST:6380/0")
			}
			c.RedisURL = v
			return nil
		}},
	{key: "keyring_file", serveDef: "{data_dir}/keyring.json", devDef: "{data_dir}/keyring.json",
		help: "Local keyring holding the key-encryption keys (mode 0600). `steward dev` creates it; in production create it with `steward keys init`.",
		set:  pathSetter(func(c *Config) *string { return &c.KeyringFile })},
	{key: "blob_dir", serveDef: "{data_dir}/blobs", devDef: "{data_dir}/blobs",
		help: "Directory of the local blob store (template pictures, exports), created with mode 0700. One replica per directory.",
		set: func(c *Config, v string) error {
			if v == "" {
				return errors.New("must not be empty")
			}
			c.BlobDir = v
			return nil
		}},
	{key: "api_key_pepper_file",
		help: "File holding the 32-byte server secret API key hashes are keyed with (mode 0600; `steward apikeys create` makes it on first use). Empty: api-key-pepper beside the keyring. Keep it out of database backups.",
		set:  pathSetter(func(c *Config) *string { return &c.APIKeyPepperFile })},
	{key: "tls_cert_file", help: "PEM certificate chain for HTTPS. With tls_key_file; without both, Steward serves plain HTTP (loopback and dev mode only).",
		set: pathSetter(func(c *Config) *string { return &c.TLSCertFile })},
	{key: "tls_key_file", help: "PEM private key for tls_cert_file.",
		set: pathSetter(func(c *Config) *string { return &c.TLSKeyFile })},
	{key: "dev_tls", serveDef: "false", devDef: "false",
		help: "Dev only: serve HTTPS on loopback with a certificate from a local CA that `steward dev` creates once in {data_dir}/tls (dev-ca.pem is the file to trust in a browser); the certificate names the CA's revocation list, served at /dev-ca.crl. Off: plain HTTP on loopback.",
		set:  boolSetter(func(c *Config) *bool { return &c.DevTLS })},
	{key: "acme_hosts",
		help: "Production only: comma-separated host names to obtain and renew HTTPS certificates for with ACME (Let's Encrypt), instead of tls_cert_file. Each must be a DNS name (no IP address, no wildcard) that allowed_hosts or public_url names and that resolves to this server: the CA checks it on port 443 (tls-alpn-01) and, with http_redirect_listen on port 80, over HTTP (http-01). Certificates and the ACME account key are kept sealed in the database, shared by every replica.",
		set: func(c *Config, v string) error {
			c.ACMEHosts = nil
			for _, h := range splitList(v) {
				c.ACMEHosts = append(c.ACMEHosts, strings.ToLower(strings.TrimSuffix(h, ".")))
			}
			return nil
		}},
	{key: "acme_directory_url", serveDef: letsEncryptDirectory,
		help: "With acme_hosts: the ACME directory of the certificate authority (https). Default: Let's Encrypt's production directory; its staging directory (https://acme-staging-v02.api.letsencrypt.org/directory) issues untrusted certificates for trials.",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
				return fmt.Errorf("expected the https URL of an ACME directory, such as %s", letsEncryptDirectory)
			}
			c.ACMEDirectoryURL = v
			return nil
		}},
	{key: "acme_email",
		help: "With acme_hosts: an e-mail address the certificate authority may write to about the ACME account (expiry warnings, policy changes). Empty: no contact.",
		set: func(c *Config, v string) error {
			if v == "" {
				c.ACMEEmail = ""
				return nil
			}
			a, err := mail.ParseAddress(v)
			if err != nil || a.Address != v || a.Name != "" {
				return errors.New("expected a bare e-mail address such as ops@example.com (no name, no mailto:)")
			}
			c.ACMEEmail = v
			return nil
		}},
	{key: "http_redirect_listen",
		help: "Production only: a second, plain-HTTP address (such as :80) that only redirects to HTTPS (308, same path) for the allowed hosts. Empty: no plain-HTTP listener.",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
				return errors.New("expected host:port such as :80 or 0.0.0.0:80")
			}
			c.HTTPRedirectListen = v
			return nil
		}},
	{key: "front_door_id",
		help: "Azure Front Door profile's Front Door ID (a GUID). When set, every request must carry it in X-Azure-FDID or gets 403 front_door_id_mismatch; loopback health probes (/healthz, /readyz) are exempt.",
		set:  guidSetter(func(c *Config) *string { return &c.FrontDoorID })},
	{key: "trusted_proxies",
		help: "Comma-separated CIDRs (or addresses) of the proxies in front of Steward (Front Door's AzureFrontDoor.Backend ranges, your load balancer). Only from these peers is X-Forwarded-For believed: the client IP is its rightmost address outside them. Empty: the client IP is the connection's peer.",
		set: func(c *Config, v string) error {
			c.TrustedProxies = nil
			for _, part := range splitList(v) {
				p, err := netip.ParsePrefix(part)
				if err != nil {
					a, aerr := netip.ParseAddr(part)
					if aerr != nil {
						return fmt.Errorf("%q: expected a CIDR such as 10.0.0.0/8 or an IP address", part)
					}
					p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
				}
				if p.Bits() == 0 {
					return fmt.Errorf("%q trusts every address, so any client could choose its own IP: list your proxies' ranges", part)
				}
				c.TrustedProxies = append(c.TrustedProxies, p.Masked())
			}
			return nil
		}},
	{key: "allowed_hosts",
		help: "Comma-separated host names (no port) requests may be addressed to; any other Host gets 421 host_not_allowed. Empty: public_url's host, plus localhost, 127.0.0.1 and ::1 in dev mode; with neither, any Host.",
		set: func(c *Config, v string) error {
			c.AllowedHosts = nil
			for _, h := range splitList(v) {
				h = strings.ToLower(strings.TrimSuffix(h, "."))
				if !hostPattern.MatchString(h) && net.ParseIP(h) == nil {
					return fmt.Errorf("%q: expected a host name such as steward.example.com or an IP address, without scheme or port", h)
				}
				c.AllowedHosts = append(c.AllowedHosts, h)
			}
			return nil
		}},
	{key: "log_format", serveDef: "json", devDef: "text", help: "Log format: json or text.",
		set: oneOf(func(c *Config) *string { return &c.LogFormat }, "json", "text")},
	{key: "log_level", serveDef: "info", devDef: "info", help: "Log level: debug, info, warn or error.",
		set: oneOf(func(c *Config) *string { return &c.LogLevel }, "debug", "info", "warn", "error")},
	{key: "otlp_endpoint", help: "OpenTelemetry collector base URL for OTLP/HTTP traces, e.g. http://otel-collector:4318. Empty: no tracing.",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errors.New("expected an http(s) URL such as http://otel-collector:4318")
			}
			c.OTLPEndpoint = v
			return nil
		}},
	{key: "metrics_token", secret: true,
		help: "Bearer token remote Prometheus scrapers send to read /metrics. Empty: /metrics answers loopback clients only.",
		set: func(c *Config, v string) error {
			if v != "" && len(v) < 16 {
				return errors.New("must be at least 16 characters")
			}
			c.MetricsToken = v
			return nil
		}},
	{key: "job_workers", serveDef: "10", devDef: "4", help: "Jobs worked at once by this replica (1 to 1000).",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				return errors.New("expected a whole number from 1 to 1000")
			}
			c.JobWorkers = n
			return nil
		}},
	{key: "shutdown_timeout", serveDef: "30s", devDef: "5s",
		help: "How long shutdown waits for requests and running jobs to finish (1s to 10m).",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second || d > 10*time.Minute {
				return errors.New("expected a duration from 1s to 10m, such as 30s")
			}
			c.ShutdownTimeout = d
			return nil
		}},
	{key: "auto_migrate", serveDef: "false", devDef: "true",
		help: "Apply pending database migrations at start. Off in production: run `steward migrate up` as a release step.",
		set:  boolSetter(func(c *Config) *bool { return &c.AutoMigrate })},
	{key: "bot_allow_unauthenticated", serveDef: "false", devDef: "false",
		help: "Dev only, loopback only: accept bot traffic without a Bot Framework token (for Microsoft 365 Agents Playground).",
		set:  boolSetter(func(c *Config) *bool { return &c.BotAllowUnauthenticated })},
	{key: "login_url", serveDef: microsoftLoginURL,
		help: "Microsoft Entra ID authority base URL. A loopback or http URL (the simulator) is dev-only. Empty in dev: the in-process simulator.",
		set:  endpointSetter(func(c *Config) *string { return &c.LoginURL })},
	{key: "graph_url", serveDef: microsoftGraphURL,
		help: "Microsoft Graph base URL. A loopback or http URL (the simulator) is dev-only. Empty in dev: the in-process simulator.",
		set:  endpointSetter(func(c *Config) *string { return &c.GraphURL })},
	{key: "bot_openid_metadata_url", serveDef: botFrameworkOpenIDMetadata,
		help: "Bot Framework OpenID metadata used to validate inbound bot tokens. A loopback or http URL (the simulator) is dev-only. Empty in dev: the in-process simulator.",
		set:  endpointSetter(func(c *Config) *string { return &c.BotOpenIDMetadataURL })},
	{key: "app_id", help: "Steward's Microsoft Entra application (client) id, a GUID: the audience of the tokens the API accepts. Required outside dev; in dev with the simulator, empty means the simulator's demo app.",
		set: func(c *Config, v string) error {
			if v != "" && !guidPattern.MatchString(v) {
				return errors.New("expected the application (client) id GUID from the app registration, such as 6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21")
			}
			c.AppID = strings.ToLower(v)
			return nil
		}},
	{key: "app_id_uri", help: "The app registration's Application ID URI (api://steward.example.com/<app_id>), accepted as a token audience besides app_id. Empty: api://<app_id> and, with public_url, api://<public host>/<app_id>.",
		set: func(c *Config, v string) error {
			if v != "" && !strings.HasPrefix(v, "api://") && !strings.HasPrefix(v, "https://") {
				return errors.New("expected an Application ID URI such as api://steward.example.com/6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21")
			}
			c.AppIDURI = v
			return nil
		}},
	{key: "graph_share", serveDef: "1", devDef: "1",
		help: "Share of each tenant's Microsoft Graph rate limits this replica may use: 1 for one replica, 0.5 for each of two, and so on.",
		set: func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 || f > 1 {
				return errors.New("expected a number greater than 0 and at most 1, such as 0.5")
			}
			c.GraphShare = f
			return nil
		}},
	{key: "bot_app_id", help: "The bot's Microsoft App ID (Azure Bot resource), a GUID: the audience of inbound Bot Framework tokens and the client id the bot sends with. Empty: app_id (one registration for the API and the bot).",
		set: guidSetter(func(c *Config) *string { return &c.BotAppID })},
	{key: "bot_tenant_id", help: "The Entra tenant (GUID) of the bot's single-tenant app registration, where its outbound tokens are requested. Required with bot_secret_file outside dev.",
		set: guidSetter(func(c *Config) *string { return &c.BotTenantID })},
	{key: "bot_secret_file", help: "File (mode 0600) holding the bot's client secret, used to send replies and notifications through the Bot Connector. Required with teams_app_id (in dev with the simulator, empty means the demo app's secret).",
		set: pathSetter(func(c *Config) *string { return &c.BotSecretFile })},
	{key: "bot_service_urls", serveDef: teamsServiceURL, devDef: teamsServiceURL,
		help: "Comma-separated Bot Connector service URLs the bot may call (the serviceUrl of inbound activities must be under one of them; anything else is refused). In dev the simulator's is added.",
		set: func(c *Config, v string) error {
			c.BotServiceURLs = nil
			for _, part := range strings.Split(v, ",") {
				part = strings.TrimSpace(part)
				if part == "" {
					continue
				}
				u, err := url.Parse(part)
				if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
					return fmt.Errorf("%q: expected absolute http(s) URLs without credentials, such as %s", part, teamsServiceURL)
				}
				c.BotServiceURLs = append(c.BotServiceURLs, part)
			}
			return nil
		}},
	{key: "teams_app_id", help: "The id (GUID) of Steward's Teams app package (manifest id): deep links to Steward's tabs use it, and `steward manifest` writes it.",
		set: guidSetter(func(c *Config) *string { return &c.TeamsAppID })},
	{key: "simulator", serveDef: "false", devDef: "true",
		help: "Dev only: run the Microsoft 365 simulator (Entra ID, Graph, Bot Connector with the demo tenants) in-process on loopback, and use it for login_url, graph_url and bot_openid_metadata_url when they are empty.",
		set:  boolSetter(func(c *Config) *bool { return &c.Simulator })},
	{key: "simulator_listen", serveDef: "127.0.0.1:0", devDef: "127.0.0.1:0",
		help: "Loopback address of the in-process simulator (port 0 picks a free port).",
		set: func(c *Config, v string) error {
			if !isLoopbackListen(v) {
				return errors.New("must be a loopback host:port such as 127.0.0.1:8081 (the simulator issues tokens to anyone who asks)")
			}
			c.SimulatorListen = v
			return nil
		}},
	// Edge protections: rate limits and load shedding (cmd/steward/protect.go).
	{key: "rate_limit_per_tenant", serveDef: "200/s,burst=1000", devDef: "off",
		help: "Requests one organization's people and API keys may make together, after sign-in, as RATE/s,burst=N, or off. Shared by all replicas through redis_url when set. More gets 429 with Retry-After.",
		set: func(c *Config, v string) error {
			r, err := parseRate(v)
			if err != nil {
				return err
			}
			c.RateLimitTenant = r
			return nil
		}},
	{key: "rate_limit_per_ip", serveDef: "50/s,burst=200", devDef: "off",
		help: "Requests a client IP may make, as RATE/s,burst=N (e.g. 50/s,burst=200), or off. Health checks and the bot endpoint have buckets of their own, ten times larger. Shared by all replicas through redis_url when set. More gets 429 with Retry-After.",
		set: func(c *Config, v string) error {
			r, err := parseRate(v)
			if err != nil {
				return err
			}
			c.RateLimitPerIP = r
			return nil
		}},
	{key: "max_in_flight", serveDef: "256", devDef: "0",
		help: "Ordinary requests this replica serves at once (0: unbounded, dev's default); health checks and the bot endpoint have a reserve of a quarter more. Past it a request waits up to 100 ms, then gets 503 with Retry-After.",
		set:  intRangeSetter(func(c *Config) *int { return &c.MaxInFlight }, 0, 100000)},
	{key: "max_in_flight_per_ip", serveDef: "64", devDef: "0",
		help: "Requests one client IP may have in flight at once (0: unbounded), so slow requests from one address cannot take every slot. Past it: 503 with Retry-After.",
		set:  intRangeSetter(func(c *Config) *int { return &c.MaxInFlightPerIP }, 0, 100000)},
}

func boolSetter(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("expected true or false")
		}
		*field(c) = b
		return nil
	}
}

// guidSetter accepts "" or a GUID, stored in lower case.
func guidSetter(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v != "" && !guidPattern.MatchString(v) {
			return errors.New("expected a GUID such as 6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21")
		}
		*field(c) = strings.ToLower(v)
		return nil
	}
}

func pathSetter(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *field(c) = v; return nil }
}

func oneOf(field func(*Config) *string, allowed ...string) func(*Config, string) error {
	return func(c *Config, v string) error {
		for _, a := range allowed {
			if strings.EqualFold(v, a) {
				*field(c) = a
				return nil
			}
		}
		return fmt.Errorf("expected one of %s", strings.Join(allowed, ", "))
	}
}

func endpointSetter(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v == "" {
			return nil // resolved after loading: the simulator, or Microsoft
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return errors.New("expected an absolute http(s) URL without credentials")
		}
		*field(c) = strings.TrimSuffix(v, "/")
		return nil
	}
}

// configError lists every invalid setting at once, each naming where it was
// read from and what is expected.
type configError []string

func (e configError) Error() string {
	return "invalid configuration:\n  - " + strings.Join(e, "\n  - ")
}

// source remembers where a raw value came from, for error messages.
type rawValue struct{ value, from string }

// registerFlags adds one flag per setting (plus --config) to fs.
func registerFlags(fs *flag.FlagSet) {
	fs.String("config", "", "Optional JSON configuration file (keys as in the README's reference). Env: STEWARD_CONFIG.")
	for _, s := range settings {
		help := s.help + " Env: " + s.env() + "."
		if s.secret {
			help += " Or " + s.env() + "_FILE."
		}
		fs.String(s.flagName(), "", help)
	}
}

// purpose says what a command needs from the configuration, so that a
// command is never refused for settings it does not use.
type purpose struct {
	dev      bool // `steward dev`: dev mode and dev defaults
	serving  bool // listens: the listen, TLS and dev-only rules apply
	database bool // opens the main store: database_url is required
}

var (
	forServe    = purpose{serving: true, database: true}
	forDev      = purpose{dev: true, serving: true, database: true}
	forDatabase = purpose{database: true} // migrate, keys status/rotate
	forKeyring  = purpose{}               // keys init
)

// loadConfig builds the configuration: flags override the environment, which
// overrides the file, which overrides the defaults. Defaults are dev's when
// dev mode is on (`steward dev`, or dev_mode=true for any command, so that
// `steward keys status --dev-mode` works on dev's data).
func loadConfig(fs *flag.FlagSet, getenv func(string) string, p purpose) (Config, error) {
	dev := p.dev
	var errs configError
	raw := map[string]rawValue{}

	flagSet := map[string]string{}
	fs.Visit(func(f *flag.Flag) { flagSet[f.Name] = f.Value.String() })

	file := flagSet["config"]
	if file == "" {
		file = getenv("STEWARD_CONFIG")
	}
	if file != "" {
		vals, err := readConfigFile(file)
		if err != nil {
			errs = append(errs, err.Error())
		}
		for k, v := range vals {
			raw[k] = rawValue{v, "config file " + file}
		}
	}
	for _, s := range settings {
		if v := getenv(s.env()); v != "" {
			raw[s.key] = rawValue{v, s.env()}
		}
		if s.secret {
			if p := getenv(s.env() + "_FILE"); p != "" {
				if getenv(s.env()) != "" {
					errs = append(errs, fmt.Sprintf("%s and %s_FILE are both set: keep one", s.env(), s.env()))
					continue
				}
				v, err := readSecretFile(p)
				if err != nil {
					errs = append(errs, fmt.Sprintf("%s_FILE: %v", s.env(), err))
					continue
				}
				raw[s.key] = rawValue{v, s.env() + "_FILE"}
			}
		}
		if v, ok := flagSet[s.flagName()]; ok {
			raw[s.key] = rawValue{v, "--" + s.flagName()}
		}
	}

	if _, ok := raw["dev_mode"]; !ok && dev {
		raw["dev_mode"] = rawValue{"true", "steward dev"}
	}
	var c Config
	// dev_mode and data_dir first: other defaults depend on them.
	devMode := dev
	if rv, ok := raw["dev_mode"]; ok {
		b, err := strconv.ParseBool(rv.value)
		if err != nil {
			errs = append(errs, fmt.Sprintf("dev_mode (from %s): expected true or false", rv.from))
		}
		devMode = devMode || b
	}
	dev = devMode
	dataDir := ""
	for _, s := range settings {
		rv, ok := raw[s.key]
		if !ok {
			def := s.serveDef
			if dev {
				def = s.devDef
			}
			def = strings.ReplaceAll(def, "{data_dir}", dataDir)
			rv = rawValue{def, "default"}
		}
		if err := s.set(&c, rv.value); err != nil {
			errs = append(errs, fmt.Sprintf("%s (from %s): %v", s.key, rv.from, err))
		}
		if s.key == "data_dir" {
			dataDir = c.DataDir
		}
	}
	c.DevMode = devMode
	if c.APIKeyPepperFile == "" && c.KeyringFile != "" {
		c.APIKeyPepperFile = filepath.Join(filepath.Dir(c.KeyringFile), "api-key-pepper")
	}
	if !c.Simulator {
		// Without a simulator, empty endpoints mean Microsoft's.
		for _, e := range []struct {
			field *string
			def   string
		}{{&c.LoginURL, microsoftLoginURL}, {&c.GraphURL, microsoftGraphURL}, {&c.BotOpenIDMetadataURL, botFrameworkOpenIDMetadata}} {
			if *e.field == "" {
				*e.field = e.def
			}
		}
	}
	if p.database && c.DatabaseURL == "" {
		errs = append(errs, "database_url (from default): is required: use sqlite:/var/lib/steward/steward.db for one node or postgres://... for production")
	}
	if p.serving {
		errs = append(errs, c.checkCombinations()...)
	}
	if len(errs) > 0 {
		return c, errs
	}
	return c, nil
}

// checkCombinations enforces the rules between settings, above all that
// production refuses what is only safe on a developer's machine.
func (c Config) checkCombinations() []string {
	var errs []string
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, "tls_cert_file and tls_key_file go together: set both or neither")
	} else if c.TLSCertFile != "" {
		if _, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile); err != nil {
			errs = append(errs, fmt.Sprintf("tls_cert_file/tls_key_file: cannot load the key pair: %v", err))
		}
	}
	loopback := isLoopbackListen(c.Listen)
	errs = append(errs, c.checkEdge(loopback)...)
	if c.TLSCertFile == "" && !c.DevTLS && len(c.ACMEHosts) == 0 && !loopback {
		errs = append(errs, fmt.Sprintf("listen %q: plain HTTP is allowed only on a loopback address (127.0.0.1, ::1): set tls_cert_file and tls_key_file, or listen on 127.0.0.1", c.Listen))
	}
	if c.TLSCertFile == "" && len(c.ACMEHosts) == 0 && !c.DevMode {
		errs = append(errs, "plain HTTP is dev-only: set tls_cert_file and tls_key_file, or run `steward dev` (or set dev_mode=true on a developer machine)")
	}
	if c.BotAllowUnauthenticated {
		if !c.DevMode {
			errs = append(errs, "bot_allow_unauthenticated is dev-only: production bots must validate Bot Framework tokens")
		} else if !loopback {
			errs = append(errs, "bot_allow_unauthenticated requires listen on a loopback address")
		}
	}
	if c.AppID == "" && !c.Simulator {
		errs = append(errs, "app_id is required: set it to Steward's Microsoft Entra application (client) id (the API accepts tokens issued to that app only)")
	}
	if c.Simulator && !c.DevMode {
		errs = append(errs, "simulator is dev-only: production talks to Microsoft's endpoints")
	}
	if c.TeamsAppID != "" && c.BotSecretFile == "" && !c.Simulator {
		errs = append(errs, "bot_secret_file is required with teams_app_id: the bot needs its client secret to answer in Teams")
	}
	if c.BotSecretFile != "" && c.BotTenantID == "" && !c.Simulator {
		errs = append(errs, "bot_tenant_id is required with bot_secret_file: set it to the Entra tenant id of the bot's app registration")
	}
	if !c.DevMode {
		for _, u := range c.BotServiceURLs {
			if isSimulatorEndpoint(u) {
				errs = append(errs, fmt.Sprintf("bot_service_urls %q points at a simulator (http or loopback): dev-only", u))
			}
		}
	}
	if !c.DevMode {
		for _, e := range []struct{ key, v string }{{"login_url", c.LoginURL}, {"graph_url", c.GraphURL}, {"bot_openid_metadata_url", c.BotOpenIDMetadataURL}} {
			if isSimulatorEndpoint(e.v) {
				errs = append(errs, fmt.Sprintf("%s %q points at a simulator (http or loopback): dev-only; production uses Microsoft's https endpoints", e.key, e.v))
			}
		}
	}
	return errs
}

func isLoopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isSimulatorEndpoint(v string) bool {
	u, err := url.Parse(v)
	if err != nil {
		return false
	}
	if u.Scheme == "http" {
		return true
	}
	h := u.Hostname()
	ip := net.ParseIP(h)
	return h == "localhost" || (ip != nil && ip.IsLoopback())
}

func readConfigFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("config file %s: not a JSON object: %v", path, err)
	}
	known := map[string]setting{}
	for _, s := range settings {
		known[s.key] = s
	}
	out := map[string]string{}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []string
	for _, k := range keys {
		v := doc[k]
		key := k
		isFile := false
		if base, ok := strings.CutSuffix(k, "_file"); ok && known[base].secret {
			key, isFile = base, true
		}
		if _, ok := known[key]; !ok {
			errs = append(errs, fmt.Sprintf("unknown setting %q", k))
			continue
		}
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case bool:
			s = strconv.FormatBool(x)
		case float64:
			s = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			errs = append(errs, fmt.Sprintf("%q must be a string, number or boolean", k))
			continue
		}
		if isFile {
			p := s
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(path), p)
			}
			sv, err := readSecretFile(p)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%q: %v", k, err))
				continue
			}
			s = sv
		}
		out[key] = s
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("config file %s: %s", path, strings.Join(errs, "; "))
	}
	return out, nil
}

// readSecretFile reads a secret mounted as a file (Kubernetes, Docker
// secrets), dropping the trailing newline editors add.
func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %v", path, errors.Unwrap(err))
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// audiences are the token audiences the API accepts: the app id and its
// Application ID URIs (Teams SSO tokens carry api://<host>/<app id>).
func (c Config) audiences() []string {
	if c.AppID == "" {
		return nil
	}
	out := []string{c.AppID, "api://" + c.AppID}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err == nil && u.Host != "" {
			out = append(out, "api://"+u.Host+"/"+c.AppID)
		}
	}
	if c.AppIDURI != "" {
		out = append(out, c.AppIDURI)
	}
	return out
}
