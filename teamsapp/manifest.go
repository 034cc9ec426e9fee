package teamsapp

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ManifestVersion is the app manifest schema the package targets: the newest
// version Microsoft documents as released (Microsoft 365 app manifest
// reference, "What's new in manifest version 1.29") that the
// @microsoft/app-manifest validator also ships offline. v1.30's schema is
// published but not yet documented as released.
const ManifestVersion = "1.29"

// Microsoft's URLs of the manifest and localization schemas for
// ManifestVersion.
const (
	SchemaURL             = "https://developer.microsoft.com/json-schemas/teams/v" + ManifestVersion + "/MicrosoftTeams.schema.json"
	LocalizationSchemaURL = "https://developer.microsoft.com/json-schemas/teams/v" + ManifestVersion + "/MicrosoftTeams.Localization.schema.json"
)

// The package's file names, at the root of the zip.
const (
	ManifestFile = "manifest.json"
	ColorIcon    = "color.png"
	OutlineIcon  = "outline.png"
	FrenchFile   = "fr.json"
)

// The types below mirror the parts of Microsoft's manifest schema Steward
// uses; field order is the order Microsoft's documentation lists them in.

type manifest struct {
	Schema             string             `json:"$schema"`
	ManifestVersion    string             `json:"manifestVersion"`
	Version            string             `json:"version"`
	ID                 string             `json:"id"`
	LocalizationInfo   localizationInfo   `json:"localizationInfo"`
	Developer          developer          `json:"developer"`
	Name               appName            `json:"name"`
	Description        appDescription     `json:"description"`
	Icons              icons              `json:"icons"`
	AccentColor        string             `json:"accentColor"`
	ConfigurableTabs   []configurableTab  `json:"configurableTabs"`
	StaticTabs         []staticTabJSON    `json:"staticTabs"`
	Bots               []bot              `json:"bots"`
	ComposeExtensions  []composeExtension `json:"composeExtensions"`
	ValidDomains       []string           `json:"validDomains"`
	WebApplicationInfo webApplicationInfo `json:"webApplicationInfo"`
}

type localizationInfo struct {
	DefaultLanguageTag  string               `json:"defaultLanguageTag"`
	AdditionalLanguages []additionalLanguage `json:"additionalLanguages"`
}

type additionalLanguage struct {
	LanguageTag string `json:"languageTag"`
	File        string `json:"file"`
}

type developer struct {
	Name          string `json:"name"`
	WebsiteURL    string `json:"websiteUrl"`
	PrivacyURL    string `json:"privacyUrl"`
	TermsOfUseURL string `json:"termsOfUseUrl"`
}

type appName struct {
	Short string `json:"short"`
	Full  string `json:"full"`
}

type appDescription struct {
	Short string `json:"short"`
	Full  string `json:"full"`
}

type icons struct {
	Color   string `json:"color"`
	Outline string `json:"outline"`
}

type configurableTab struct {
	ConfigurationURL       string   `json:"configurationUrl"`
	CanUpdateConfiguration bool     `json:"canUpdateConfiguration"`
	Scopes                 []string `json:"scopes"`
}

type staticTabJSON struct {
	EntityID   string   `json:"entityId"`
	Name       string   `json:"name"`
	ContentURL string   `json:"contentUrl"`
	WebsiteURL string   `json:"websiteUrl"`
	Scopes     []string `json:"scopes"`
}

type bot struct {
	BotID              string        `json:"botId"`
	Scopes             []string      `json:"scopes"`
	SupportsFiles      bool          `json:"supportsFiles"`
	IsNotificationOnly bool          `json:"isNotificationOnly"`
	CommandLists       []commandList `json:"commandLists"`
}

type commandList struct {
	Scopes   []string     `json:"scopes"`
	Commands []botCmdJSON `json:"commands"`
}

type botCmdJSON struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

type composeExtension struct {
	BotID    string       `json:"botId"`
	Commands []extCmdJSON `json:"commands"`
}

type extCmdJSON struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Context     []string       `json:"context"`
	InitialRun  *bool          `json:"initialRun,omitempty"`
	FetchTask   *bool          `json:"fetchTask,omitempty"`
	Parameters  []extParamJSON `json:"parameters,omitempty"`
}

type extParamJSON struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Description string `json:"description"`
	InputType   string `json:"inputType"`
}

type webApplicationInfo struct {
	ID       string `json:"id"`
	Resource string `json:"resource"`
}

// searchParam is the one parameter of every search command; the bot reads
// the user's text under this name.
const searchParam = "query"

// buildManifest assembles the manifest for a resolved configuration.
func buildManifest(r resolved) manifest {
	base := r.base.String()
	yes, no := true, false
	m := manifest{
		Schema:          SchemaURL,
		ManifestVersion: ManifestVersion,
		Version:         r.Version,
		ID:              r.TeamsAppID,
		LocalizationInfo: localizationInfo{
			DefaultLanguageTag:  "en-us",
			AdditionalLanguages: []additionalLanguage{{LanguageTag: "fr", File: FrenchFile}},
		},
		Developer:   developer{Name: r.DeveloperName, WebsiteURL: r.WebsiteURL, PrivacyURL: r.PrivacyURL, TermsOfUseURL: r.TermsURL},
		Name:        appName{Short: shortName.en, Full: fullName.en},
		Description: appDescription{Short: shortDesc.en, Full: fullDesc.en},
		Icons:       icons{Color: ColorIcon, Outline: OutlineIcon},
		AccentColor: r.AccentColor,
		ConfigurableTabs: []configurableTab{{
			ConfigurationURL: base + configTabPath, CanUpdateConfiguration: true, Scopes: []string{"team", "groupChat"},
		}},
		ValidDomains:       r.ValidDomains,
		WebApplicationInfo: webApplicationInfo{ID: r.AppID, Resource: r.AppIDURI},
	}
	for _, t := range staticTabs {
		u := base + "/tabs/" + t.entityID
		m.StaticTabs = append(m.StaticTabs, staticTabJSON{EntityID: t.entityID, Name: t.name.en, ContentURL: u, WebsiteURL: u, Scopes: []string{"personal"}})
	}
	b := bot{BotID: r.BotID, Scopes: []string{"personal", "team", "groupChat"}}
	for _, scope := range botCommandScopes {
		l := commandList{Scopes: []string{scope}}
		for _, c := range botCommands {
			l.Commands = append(l.Commands, botCmdJSON{Title: c.title.en, Description: c.description.en})
		}
		b.CommandLists = append(b.CommandLists, l)
	}
	m.Bots = []bot{b}
	ext := composeExtension{BotID: r.BotID}
	for _, c := range extensionCommands {
		j := extCmdJSON{ID: c.id, Type: c.kind, Title: c.title.en, Description: c.desc.en, Context: c.context}
		if c.kind == "query" {
			j.InitialRun = &no
			j.Parameters = []extParamJSON{{Name: searchParam, Title: c.param.title.en, Description: c.param.desc.en, InputType: "text"}}
		} else {
			j.FetchTask = &yes
		}
		ext.Commands = append(ext.Commands, j)
	}
	m.ComposeExtensions = []composeExtension{ext}
	return m
}

// marshal renders v as Teams tooling writes manifests: two-space indent,
// no HTML escaping (so "—" and "&" stay readable), a final newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("teamsapp: encode json: %w", err)
	}
	return buf.Bytes(), nil
}
