package web

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/stewardhq/steward/governance"
)

// catalogForm is the template editor as typed: every value is kept as the
// catalog manager wrote it, so a refused save shows the form again intact.
type catalogForm struct {
	ID              string
	Version         int // the version being edited; 0 for a new template
	Name            string
	Description     string
	Category        string
	Audience        string // Entra group ids, one a line
	Visibility      string
	Channels        []channelRow
	Apps            string // Teams app ids, one a line
	Welcome         string
	Fields          []fieldRow
	Naming          namingForm
	Membership      membershipForm
	Guests          guestForm
	Lifecycle       lifecycleForm
	Sensitivity     string
	Approval        approvalForm
	ApplyToExisting bool
	// TeamSettings is the "Advanced (JSON)" part of the spec: member,
	// guest, messaging and fun settings and files, too rich for fields.
	TeamSettings string
}

// channelRow is one channel; Tabs holds one tab a line as
// "name | appId | contentUrl" (optionally "| websiteUrl | entityId").
type channelRow struct{ Name, Description, Membership, Tabs string }

func (c channelRow) blank() bool {
	return strings.TrimSpace(c.Name+c.Description+c.Tabs) == ""
}

// fieldRow is one extra question; Choices holds one choice a line.
type fieldRow struct {
	ID, Label string
	Required  bool
	Choices   string
}

func (f fieldRow) blank() bool { return strings.TrimSpace(f.ID+f.Label+f.Choices) == "" && !f.Required }

type namingForm struct {
	Prefix, Suffix, BlockedWords string
	BlockSubstrings              bool
	MinLength, MaxLength         string
	Characters                   string // "", a governance.Allow* name, or "custom"
	CustomCharacters             string // with Characters "custom"
}

type membershipForm struct{ Owners, Members, MinOwners, MinMembers string }

type guestForm struct {
	Allowed bool
	Domains string
}

type lifecycleForm struct {
	ExpireAfterDays, OnExpiry string
	Attestation               bool
	InactivityDays            string
	WarnDaysBefore            string // comma-separated days
}

// approvalForm is the approval policy; approvers are written one a line as
// "user | id" or "group | id", optionally followed by "| name".
type approvalForm struct {
	Stages                       []stageRow
	AutoApprove                  string // Entra group ids, one a line
	ReminderHours, EscalateHours string
	EscalateTo                   string
}

type stageRow struct{ Name, Rule, Approvers string }

func (s stageRow) blank() bool { return strings.TrimSpace(s.Name+s.Approvers) == "" }

// teamSettings is what the "Advanced (JSON)" box holds.
type teamSettings struct {
	MemberSettings    *governance.TeamMemberSettings    `json:"memberSettings,omitempty"`
	GuestSettings     *governance.TeamGuestSettings     `json:"guestSettings,omitempty"`
	MessagingSettings *governance.TeamMessagingSettings `json:"messagingSettings,omitempty"`
	FunSettings       *governance.TeamFunSettings       `json:"funSettings,omitempty"`
	Files             []governance.FileSpec             `json:"files,omitempty"`
}

// Row limits of the form: beyond them the service would refuse anyway
// (maxChannelsPerTeam, 5 approval stages), and bounding the loop bounds the
// work a crafted post can cause.
const (
	maxFormChannels = 199
	maxFormFields   = 50
	maxFormStages   = 5
)

// formOf is the editor filled with a stored template.
func formOf(t governance.Template) catalogForm {
	pol := t.Policies
	f := catalogForm{
		ID: t.ID, Version: t.Version, Name: t.Name, Description: t.Description, Category: t.Category,
		Audience: lines(t.Audience), Visibility: t.Spec.Visibility, Apps: lines(t.Spec.Apps), Welcome: t.Spec.WelcomeMessage,
		Naming: namingForm{Prefix: pol.Naming.Prefix, Suffix: pol.Naming.Suffix, BlockedWords: lines(pol.Naming.BlockedWords),
			BlockSubstrings: pol.Naming.BlockSubstrings, MinLength: number(pol.Naming.MinUserPartLength), MaxLength: number(pol.Naming.MaxLength)},
		Membership: membershipForm{Owners: lines(pol.Membership.PermanentOwners), Members: lines(pol.Membership.PermanentMembers),
			MinOwners: number(pol.Membership.MinOwners), MinMembers: number(pol.Membership.MinMembers)},
		Guests: guestForm{Allowed: pol.Guests.Allowed, Domains: lines(pol.Guests.AllowedDomains)},
		Lifecycle: lifecycleForm{ExpireAfterDays: number(pol.Lifecycle.ExpireAfterDays), OnExpiry: pol.Lifecycle.OnExpiry,
			Attestation: pol.Lifecycle.RenewalAttestation, InactivityDays: number(pol.Lifecycle.InactivityDays)},
		Sensitivity:     pol.SensitivityLabel,
		ApplyToExisting: pol.ApplyToExistingTeams,
		Approval: approvalForm{ReminderHours: number(pol.Approval.ReminderAfterHours), EscalateHours: number(pol.Approval.EscalateAfterHours),
			EscalateTo: approverLines(pol.Approval.EscalateTo)},
	}
	switch cs := pol.Naming.AllowedCharacters; {
	case strings.HasPrefix(cs, governance.AllowCustomPrefix):
		f.Naming.Characters, f.Naming.CustomCharacters = "custom", strings.TrimPrefix(cs, governance.AllowCustomPrefix)
	default:
		f.Naming.Characters = cs
	}
	warn := make([]string, len(pol.Lifecycle.WarnDaysBefore))
	for i, d := range pol.Lifecycle.WarnDaysBefore {
		warn[i] = strconv.Itoa(d)
	}
	f.Lifecycle.WarnDaysBefore = strings.Join(warn, ", ")
	for _, c := range t.Spec.Channels {
		tabs := make([]string, len(c.Tabs))
		for i, tab := range c.Tabs {
			parts := []string{tab.Name, tab.AppID, tab.ContentURL}
			if tab.WebsiteURL != "" || tab.EntityID != "" {
				parts = append(parts, tab.WebsiteURL)
			}
			if tab.EntityID != "" {
				parts = append(parts, tab.EntityID)
			}
			tabs[i] = strings.Join(parts, " | ")
		}
		f.Channels = append(f.Channels, channelRow{Name: c.Name, Description: c.Description, Membership: c.MembershipType, Tabs: strings.Join(tabs, "\n")})
	}
	for _, fl := range t.Fields {
		f.Fields = append(f.Fields, fieldRow{ID: fl.ID, Label: fl.Label, Required: fl.Required, Choices: lines(fl.Choices)})
	}
	for _, ar := range pol.Approval.AutoApprove {
		f.Approval.AutoApprove += ar.RequesterInGroup + "\n"
	}
	f.Approval.AutoApprove = strings.TrimSuffix(f.Approval.AutoApprove, "\n")
	for _, s := range pol.Approval.Stages {
		f.Approval.Stages = append(f.Approval.Stages, stageRow{Name: s.Name, Rule: s.Rule, Approvers: approverLines(s.Approvers)})
	}
	ts := teamSettings{MemberSettings: t.Spec.MemberSettings, GuestSettings: t.Spec.GuestSettings,
		MessagingSettings: t.Spec.MessagingSettings, FunSettings: t.Spec.FunSettings, Files: t.Spec.Files}
	if ts.MemberSettings != nil || ts.GuestSettings != nil || ts.MessagingSettings != nil || ts.FunSettings != nil || len(ts.Files) > 0 {
		b, _ := json.MarshalIndent(ts, "", "  ")
		f.TeamSettings = string(b)
	}
	return f
}

func lines(items []string) string { return strings.Join(items, "\n") }

func number(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func approverLines(refs []governance.ApproverRef) string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.Type + " | " + r.ID
		if r.Name != "" {
			out[i] += " | " + r.Name
		}
	}
	return strings.Join(out, "\n")
}

// readCatalogForm reads the editor's post as typed.
func readCatalogForm(v url.Values) catalogForm {
	g := func(k string) string { return v.Get(k) }
	on := func(k string) bool { return v.Get(k) != "" }
	f := catalogForm{
		ID: strings.TrimSpace(g("id")), Name: g("name"), Description: g("description"), Category: g("category"),
		Audience: g("audience"), Visibility: g("visibility"), Apps: g("apps"), Welcome: g("welcome"),
		Naming: namingForm{Prefix: g("naming.prefix"), Suffix: g("naming.suffix"), BlockedWords: g("naming.blocked"),
			BlockSubstrings: on("naming.substrings"), MinLength: g("naming.min"), MaxLength: g("naming.max"),
			Characters: g("naming.chars"), CustomCharacters: g("naming.custom")},
		Membership: membershipForm{Owners: g("members.owners"), Members: g("members.members"), MinOwners: g("members.minOwners"), MinMembers: g("members.minMembers")},
		Guests:     guestForm{Allowed: on("guests.allowed"), Domains: g("guests.domains")},
		Lifecycle: lifecycleForm{ExpireAfterDays: g("life.expire"), OnExpiry: g("life.onExpiry"), Attestation: on("life.attest"),
			InactivityDays: g("life.inactive"), WarnDaysBefore: g("life.warn")},
		Sensitivity:     strings.TrimSpace(g("sensitivity")),
		ApplyToExisting: on("applyExisting"),
		Approval: approvalForm{AutoApprove: g("approval.auto"), ReminderHours: g("approval.remind"),
			EscalateHours: g("approval.escalateAfter"), EscalateTo: g("approval.escalateTo")},
		TeamSettings: g("settings"),
	}
	f.Version, _ = strconv.Atoi(g("version"))
	for _, i := range rowIndexes(v, "ch", maxFormChannels) {
		p := "ch." + strconv.Itoa(i) + "."
		f.Channels = append(f.Channels, channelRow{Name: g(p + "name"), Description: g(p + "description"), Membership: g(p + "type"), Tabs: g(p + "tabs")})
	}
	for _, i := range rowIndexes(v, "field", maxFormFields) {
		p := "field." + strconv.Itoa(i) + "."
		f.Fields = append(f.Fields, fieldRow{ID: strings.TrimSpace(g(p + "id")), Label: g(p + "label"), Required: on(p + "required"), Choices: g(p + "choices")})
	}
	for _, i := range rowIndexes(v, "stage", maxFormStages) {
		p := "stage." + strconv.Itoa(i) + "."
		f.Approval.Stages = append(f.Approval.Stages, stageRow{Name: g(p + "name"), Rule: g(p + "rule"), Approvers: g(p + "approvers")})
	}
	return f
}

// rowIndexes are the row numbers a post holds for prefix ("ch.3.name" is
// row 3 of "ch"), in order. Rows past max are cut off; template would
// report them.
func rowIndexes(v url.Values, prefix string, max int) []int {
	var idx []int
	for k := range v {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		n, _, ok := strings.Cut(rest, ".")
		i, err := strconv.Atoi(n)
		if !ok || err != nil || i < 0 || i > 10000 || slices.Contains(idx, i) {
			continue
		}
		idx = append(idx, i)
	}
	slices.Sort(idx)
	if len(idx) > max+1 {
		idx = idx[:max+1] // one more than allowed, so template reports the excess
	}
	return idx
}

// template turns the form into a template, reporting every value that
// could not be read (numbers, tab and approver lines, the advanced JSON).
// What it reads is left to TemplateService to judge.
func (f catalogForm) template() (governance.Template, []error) {
	var errs []error
	num := func(name, s string) int {
		s = strings.TrimSpace(s)
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			errs = append(errs, governance.Errorf(governance.KindInvalid, "catalog_number_invalid", "%s must be a whole number, not %q", name, s))
		}
		return n
	}
	t := governance.Template{ID: f.ID, Version: f.Version, Name: strings.TrimSpace(f.Name), Description: strings.TrimSpace(f.Description),
		Category: strings.TrimSpace(f.Category), Audience: splitLines(f.Audience)}
	t.Spec = governance.TeamSpec{Visibility: f.Visibility, Apps: splitLines(f.Apps), WelcomeMessage: strings.TrimSpace(f.Welcome)}
	var channels, fields, stages int
	for _, c := range f.Channels {
		if c.blank() {
			continue
		}
		channels++
		ch := governance.ChannelSpec{Name: strings.TrimSpace(c.Name), Description: strings.TrimSpace(c.Description), MembershipType: c.Membership}
		for j, line := range splitLines(c.Tabs) {
			parts := splitBar(line)
			if len(parts) < 3 || len(parts) > 5 {
				errs = append(errs, governance.Errorf(governance.KindInvalid, "catalog_tab_invalid",
					"channel %q, tab line %d: write a tab as name | appId | contentUrl, optionally followed by | websiteUrl | entityId", ch.Name, j+1))
				continue
			}
			tab := governance.TabSpec{Name: parts[0], AppID: parts[1], ContentURL: parts[2]}
			if len(parts) > 3 {
				tab.WebsiteURL = parts[3]
			}
			if len(parts) > 4 {
				tab.EntityID = parts[4]
			}
			ch.Tabs = append(ch.Tabs, tab)
		}
		t.Spec.Channels = append(t.Spec.Channels, ch)
	}
	for _, fr := range f.Fields {
		if fr.blank() {
			continue
		}
		fields++
		t.Fields = append(t.Fields, governance.RequestField{ID: fr.ID, Label: strings.TrimSpace(fr.Label), Required: fr.Required, Choices: splitLines(fr.Choices)})
	}
	pol := &t.Policies
	pol.Naming = governance.NamingPolicy{Prefix: f.Naming.Prefix, Suffix: f.Naming.Suffix, BlockedWords: splitLines(f.Naming.BlockedWords),
		BlockSubstrings: f.Naming.BlockSubstrings, MinUserPartLength: num("naming.minUserPartLength", f.Naming.MinLength),
		MaxLength: num("naming.maxLength", f.Naming.MaxLength), AllowedCharacters: f.Naming.Characters}
	if f.Naming.Characters == "custom" {
		pol.Naming.AllowedCharacters = governance.AllowCustomPrefix + f.Naming.CustomCharacters
	}
	pol.Membership = governance.MembershipPolicy{PermanentOwners: splitLines(f.Membership.Owners), PermanentMembers: splitLines(f.Membership.Members),
		MinOwners: num("membership.minOwners", f.Membership.MinOwners), MinMembers: num("membership.minMembers", f.Membership.MinMembers)}
	pol.Guests = governance.GuestPolicy{Allowed: f.Guests.Allowed, AllowedDomains: splitLines(f.Guests.Domains)}
	pol.Lifecycle = governance.LifecyclePolicy{ExpireAfterDays: num("lifecycle.expireAfterDays", f.Lifecycle.ExpireAfterDays),
		OnExpiry: f.Lifecycle.OnExpiry, RenewalAttestation: f.Lifecycle.Attestation, InactivityDays: num("lifecycle.inactivityDays", f.Lifecycle.InactivityDays)}
	for _, d := range strings.FieldsFunc(f.Lifecycle.WarnDaysBefore, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' }) {
		pol.Lifecycle.WarnDaysBefore = append(pol.Lifecycle.WarnDaysBefore, num("lifecycle.warnDaysBefore", d))
	}
	pol.SensitivityLabel = f.Sensitivity
	pol.ApplyToExistingTeams = f.ApplyToExisting
	a := &pol.Approval
	for _, g := range splitLines(f.Approval.AutoApprove) {
		a.AutoApprove = append(a.AutoApprove, governance.AutoApproveRule{RequesterInGroup: g})
	}
	a.ReminderAfterHours = num("approval.reminderAfterHours", f.Approval.ReminderHours)
	a.EscalateAfterHours = num("approval.escalateAfterHours", f.Approval.EscalateHours)
	for i, line := range splitLines(f.Approval.EscalateTo) {
		ref, ok := approverOf(line)
		if !ok {
			errs = append(errs, governance.Errorf(governance.KindInvalid, "catalog_approver_invalid",
				"escalation, line %d: write an approver as user | id or group | id, optionally followed by | name", i+1))
			continue
		}
		a.EscalateTo = append(a.EscalateTo, ref)
	}
	for _, s := range f.Approval.Stages {
		if s.blank() {
			continue
		}
		stages++
		st := governance.ApprovalStage{Name: strings.TrimSpace(s.Name), Rule: s.Rule}
		for j, line := range splitLines(s.Approvers) {
			ref, ok := approverOf(line)
			if !ok {
				errs = append(errs, governance.Errorf(governance.KindInvalid, "catalog_approver_invalid",
					"approval stage %q, line %d: write an approver as user | id or group | id, optionally followed by | name", st.Name, j+1))
				continue
			}
			st.Approvers = append(st.Approvers, ref)
		}
		a.Stages = append(a.Stages, st)
	}
	if channels > maxFormChannels || fields > maxFormFields || stages > maxFormStages {
		errs = append(errs, governance.Errorf(governance.KindInvalid, "catalog_form_rows",
			"a template has at most %d channels besides General, %d request fields and %d approval stages", maxFormChannels, maxFormFields, maxFormStages))
	}
	if err := f.readSettings(&t.Spec); err != nil {
		errs = append(errs, err)
	}
	return t, errs
}

// readSettings applies the "Advanced (JSON)" box to spec.
func (f catalogForm) readSettings(spec *governance.TeamSpec) error {
	raw := strings.TrimSpace(f.TeamSettings)
	if raw == "" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	var ts teamSettings
	if err := dec.Decode(&ts); err != nil {
		return governance.Errorf(governance.KindInvalid, "catalog_settings_invalid",
			"the advanced team settings must be a JSON object with memberSettings, guestSettings, messagingSettings, funSettings or files: %s",
			strings.TrimPrefix(err.Error(), "json: "))
	}
	if strings.TrimSpace(raw[dec.InputOffset():]) != "" {
		return governance.Errorf(governance.KindInvalid, "catalog_settings_trailing", "the advanced team settings must hold a single JSON object: remove what follows it")
	}
	spec.MemberSettings, spec.GuestSettings, spec.MessagingSettings, spec.FunSettings, spec.Files =
		ts.MemberSettings, ts.GuestSettings, ts.MessagingSettings, ts.FunSettings, ts.Files
	return nil
}

// approverOf reads "user | id" or "group | id", optionally "| name".
func approverOf(line string) (governance.ApproverRef, bool) {
	parts := splitBar(line)
	if len(parts) < 2 || len(parts) > 3 {
		return governance.ApproverRef{}, false
	}
	ref := governance.ApproverRef{Type: strings.ToLower(parts[0]), ID: parts[1]}
	if len(parts) == 3 {
		ref.Name = parts[2]
	}
	return ref, ref.Type == "user" || ref.Type == "group"
}

// splitLines are the non-empty trimmed lines of s.
func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func splitBar(line string) []string {
	parts := strings.Split(line, "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}
