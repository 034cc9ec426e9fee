package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/stewardhq/steward/teamsapp"
)

// domainList collects the repeatable --valid-domain flag.
type domainList []string

func (d *domainList) String() string { return strings.Join(*d, ",") }

func (d *domainList) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("must not be empty")
	}
	*d = append(*d, v)
	return nil
}

// runManifest builds the Teams app package from Steward's configuration:
// public_url, app_id, app_id_uri and dev_mode come from the settings; what
// the settings do not hold (the Teams app id, the bot's id) comes from flags.
func runManifest(_ context.Context, env *cmdEnv, args []string) error {
	out := env.fs.String("out", "", "Where to write the app package, a .zip file (replaced if it exists).")
	appVersion := env.fs.String("version", teamsapp.DefaultVersion, "The package version, MAJOR.MINOR.PATCH; raise it for every upload of a changed package.")
	developerName := env.fs.String("developer-name", "", "The publisher name Teams shows (at most 32 characters). Empty: Steward.")
	websiteURL := env.fs.String("website-url", "", "The publisher's website. Empty: the trust center, <public_url>/trust.")
	privacyURL := env.fs.String("privacy-url", "", "The privacy statement. Empty: <public_url>/trust/privacy.")
	termsURL := env.fs.String("terms-url", "", "The terms of use. Empty: <public_url>/trust/terms.")
	accent := env.fs.String("accent-color", "", "The icon background and Teams accent colour, #RRGGBB. Empty: "+teamsapp.DefaultAccentColor+".")
	var domains domainList
	env.fs.Var(&domains, "valid-domain", "A domain besides public_url's host that the tabs may navigate to (host, host:port or *.example.com); repeat the flag for more.")
	if done, err := env.parse(args); done {
		return err
	}
	if err := extraArgs(env.fs.Args()); err != nil {
		return err
	}
	cfg, err := loadConfig(env.fs, env.getenv, purpose{})
	if err != nil {
		return err
	}
	if *out == "" || cfg.TeamsAppID == "" {
		fmt.Fprintln(env.stderr, "steward manifest: say where to write the package and which Teams app it is: --out FILE.zip --teams-app-id GUID (or the teams_app_id setting)")
		return errUsage
	}
	if !strings.EqualFold(filepath.Ext(*out), ".zip") {
		return fmt.Errorf("manifest: --out %q: Teams uploads a .zip file: name it FILE.zip", *out)
	}
	bot := cfg.BotAppID
	if bot == "" {
		bot = cfg.AppID
	}
	pkg, err := teamsapp.Build(teamsapp.Config{
		TeamsAppID:    cfg.TeamsAppID,
		BotID:         bot,
		AppID:         cfg.AppID,
		AppIDURI:      cfg.AppIDURI,
		BaseURL:       cfg.PublicURL,
		Version:       *appVersion,
		ValidDomains:  domains,
		DeveloperName: *developerName,
		WebsiteURL:    *websiteURL,
		PrivacyURL:    *privacyURL,
		TermsURL:      *termsURL,
		AccentColor:   *accent,
		Dev:           cfg.DevMode,
	})
	var ce *teamsapp.ConfigError
	if errors.As(err, &ce) {
		return manifestConfigError(ce)
	}
	if err != nil {
		return err
	}
	size, err := writePackage(*out, pkg)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(pkg.Files))
	for n := range pkg.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(env.stdout, "wrote %s (%d bytes): Teams app %s version %s, manifest schema v%s\n", *out, size, cfg.TeamsAppID, *appVersion, teamsapp.ManifestVersion)
	fmt.Fprintf(env.stdout, "  files: %s\n", strings.Join(names, ", "))
	fmt.Fprintf(env.stdout, "  tabs at %s/tabs/, bot %s, single sign-on for app %s\n", cfg.PublicURL, strings.ToLower(bot), cfg.AppID)
	fmt.Fprintln(env.stdout, "Upload it in Teams (Apps > Manage your apps > Upload an app) or in the Teams admin center (Manage apps > Upload new app).")
	return nil
}

// manifestSources names each teamsapp.Config field by the setting or flag
// the operator sets it with.
var manifestSources = map[string]string{
	"TeamsAppID":    "teams_app_id",
	"BotID":         "bot_app_id (default app_id)",
	"AppID":         "app_id",
	"AppIDURI":      "app_id_uri",
	"BaseURL":       "public_url",
	"Version":       "--version",
	"DeveloperName": "--developer-name",
	"WebsiteURL":    "--website-url",
	"PrivacyURL":    "--privacy-url",
	"TermsURL":      "--terms-url",
	"AccentColor":   "--accent-color",
}

// manifestConfigError restates the package's configuration problems in
// terms of the settings and flags, every one at once.
func manifestConfigError(ce *teamsapp.ConfigError) error {
	out := make(configError, 0, len(ce.Problems))
	for _, p := range ce.Problems {
		field, rest, _ := strings.Cut(p, " ")
		if name, ok := manifestSources[field]; ok {
			p = name + " " + rest
		}
		out = append(out, p)
	}
	return out
}

// writePackage writes the zip beside its destination and renames it into
// place, so a failed run never leaves a truncated package to be uploaded.
func writePackage(path string, pkg *teamsapp.Package) (int64, error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".steward-manifest-*.zip")
	if err != nil {
		return 0, fmt.Errorf("manifest: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) (int64, error) {
		f.Close()
		os.Remove(tmp)
		return 0, fmt.Errorf("manifest: write %s: %w", path, err)
	}
	if err := pkg.Zip(f); err != nil {
		return fail(err)
	}
	st, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("manifest: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("manifest: write %s: %w", path, err)
	}
	return st.Size(), nil
}
