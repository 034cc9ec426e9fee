package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// errUsage marks an error already explained on stderr with usage text.
var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// command is one subcommand of steward.
type command struct {
	name    string
	summary string
	usage   string // arguments after the command name
	// config says whether the command takes the configuration flags.
	config bool
	run    func(ctx context.Context, env *cmdEnv, args []string) error
}

// cmdEnv is what every command gets from run: the process's outside world,
// injected so tests drive run() like a user would.
type cmdEnv struct {
	getenv         func(string) string
	stdout, stderr io.Writer
	fs             *flag.FlagSet
}

func commands() []command {
	return []command{
		{name: "serve", config: true, summary: "Run Steward in production (HTTPS, validated settings, no dev shortcuts).", run: runServe},
		{name: "dev", config: true, summary: "Run Steward on this machine with embedded defaults: SQLite, local keyring, in-process cache, on loopback.", run: runDev},
		{name: "migrate", config: true, usage: "up|status", summary: "Apply or list database migrations (Steward's and the job queue's).", run: runMigrate},
		{name: "audit", config: true, usage: "verify [--tenant ID] | export --tenant ID --format csv|json", summary: "Verify the tamper-evident audit trail, or export a tenant's audit events as CSV or JSON.", run: runAudit},
		{name: "keys", config: true, usage: "init|status|rotate|rotate-data-key --tenant ID", summary: "Manage the key-encryption keys and tenant data keys that protect stored secrets.", run: runKeys},
		{name: "apikeys", config: true, usage: "create --tenant ID --name NAME --scopes SCOPE,... [--expires 90d] | list --tenant ID | revoke --tenant ID --id KEYID", summary: "Create, list and revoke a tenant's API keys for integrations (Power Automate, Zapier).", run: runAPIKeys},
		{name: "tenants", config: true, usage: "add --id ID --name NAME --entra-tenant-id GUID | list | credential --id ID --client-id GUID (--client-secret-file F | --certificate-file F)", summary: "Register customer tenants and store their Microsoft Graph app credentials.", run: runTenants},
		{name: "manifest", config: true, usage: "--out FILE.zip --teams-app-id GUID [--version 1.0.0] [--valid-domain DOMAIN ...]", summary: "Build the Teams app package (manifest, French localization, icons) from the configuration, to upload to Teams.", run: runManifest},
		{name: "crm", config: true, usage: "import --tenant ID --kind account|opportunity|contact --file FILE | search --tenant ID [--kind KIND] --query TEXT", summary: "Import CRM records (CSV or JSON) into the built-in connector the Teams messaging extension searches, and search them.", run: runCRM},
		{name: "trust", config: true, usage: "[--format text|json|pac] [--pac-blocked RESULT]", summary: "Print the trust center of the configuration: every destination Steward connects to (the enforced egress allowlist), its Microsoft Graph permissions, the data it keeps, its TLS policy.", run: runTrust},
		{name: "sim", summary: "Run the Microsoft 365 simulator (Entra ID, Graph, Bot Connector) on loopback, for development and tests.", run: runSim},
		{name: "version", summary: "Print the version.", run: runVersion},
	}
}

// run is the whole program: main only adds signals and the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) < 2 || args[1] == "-h" || args[1] == "--help" || args[1] == "help" {
		printUsage(stdout, cmds)
		if len(args) < 2 {
			return errUsage
		}
		return nil
	}
	name := args[1]
	for _, c := range cmds {
		if c.name != name {
			continue
		}
		fs := flag.NewFlagSet("steward "+c.name, flag.ContinueOnError)
		fs.SetOutput(stderr)
		if c.config {
			registerFlags(fs)
		}
		fs.Usage = func() { commandUsage(fs, c) }
		env := &cmdEnv{getenv: getenv, stdout: stdout, stderr: stderr, fs: fs}
		return c.run(ctx, env, args[2:])
	}
	fmt.Fprintf(stderr, "steward: unknown command %q\n\n", name)
	printUsage(stderr, cmds)
	return errUsage
}

// parse parses a command's flags; --help prints usage and ends the command
// successfully.
func (e *cmdEnv) parse(args []string) (done bool, err error) {
	if err := e.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			e.fs.SetOutput(e.stdout)
			e.fs.Usage()
			return true, nil
		}
		return true, errUsage
	}
	return false, nil
}

// parseVerb parses flags placed before or after a command's one verb
// (`steward keys rotate --dev-mode`) and returns the verb, or "" when none
// was given.
func (e *cmdEnv) parseVerb(args []string) (verb string, done bool, err error) {
	if done, err := e.parse(args); done {
		return "", true, err
	}
	rest := e.fs.Args()
	if len(rest) == 0 {
		return "", false, nil
	}
	verb = rest[0]
	if done, err := e.parse(rest[1:]); done {
		return "", true, err
	}
	if e.fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "steward: unexpected arguments after %q: %s\n", verb, strings.Join(e.fs.Args(), " "))
		return "", true, errUsage
	}
	return verb, false, nil
}

func commandUsage(fs *flag.FlagSet, c command) {
	w := fs.Output()
	fmt.Fprintf(w, "Usage: steward %s [flags] %s\n\n%s\n", c.name, c.usage, c.summary)
	if c.config {
		fmt.Fprintln(w, "\nEvery flag can also be set by its STEWARD_* environment variable or in the --config file; flags win over the environment, which wins over the file.")
	}
	var n int
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(w, "\nFlags:")
		fs.PrintDefaults()
	}
}

func printUsage(w io.Writer, cmds []command) {
	fmt.Fprintln(w, "Steward: governance and automation for Microsoft Teams.")
	fmt.Fprintln(w, "\nUsage: steward <command> [flags]\n\nCommands:")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'steward <command> --help' for its flags.")
}

func runVersion(_ context.Context, env *cmdEnv, args []string) error {
	if done, err := env.parse(args); done {
		return err
	}
	fmt.Fprintf(env.stdout, "steward %s\n", buildVersion())
	return nil
}

// buildVersion is the -ldflags version, else the module version or VCS
// revision recorded by the Go toolchain, else "devel".
func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel+" + s.Value[:12]
		}
	}
	return "devel"
}

// extraArgs rejects arguments a command does not take.
func extraArgs(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(args, " "))
	}
	return nil
}
