// Package directory is the state of the simulated Microsoft Entra
// directories: tenants, users, groups (with owners and members), app
// registrations with their credentials and granted permissions, and a change
// log that Graph delta queries read. The Entra, Graph and Bot Connector
// simulators share one Directory.
//
// Field names and JSON tags follow Microsoft Graph v1.0 so Graph handlers can
// serialise records as they are. Like all of m365sim, it imports nothing of
// Steward.
package directory

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Errors callers map to Graph error codes.
var (
	ErrNotFound = errors.New("directory: not found")
	ErrConflict = errors.New("directory: conflict")
	ErrInvalid  = errors.New("directory: invalid")
)

// Tenant is one Entra directory.
type Tenant struct {
	ID          string `json:"id"`          // directory (tenant) id, a GUID
	DisplayName string `json:"displayName"` // organisation name
	Domain      string `json:"domain"`      // initial domain, e.g. contoso.onmicrosoft.com
}

// User is a Graph user. Roles holds the Entra directory roles the user has
// (e.g. "Global Administrator", "Teams Administrator"); it is not a Graph
// property of the user and is not serialised on Graph responses.
type User struct {
	ID                string   `json:"id"`
	DisplayName       string   `json:"displayName"`
	GivenName         string   `json:"givenName,omitempty"`
	Surname           string   `json:"surname,omitempty"`
	UserPrincipalName string   `json:"userPrincipalName"`
	Mail              string   `json:"mail,omitempty"`
	JobTitle          string   `json:"jobTitle,omitempty"`
	Department        string   `json:"department,omitempty"`
	CompanyName       string   `json:"companyName,omitempty"`
	Country           string   `json:"country,omitempty"`
	OfficeLocation    string   `json:"officeLocation,omitempty"`
	PreferredLanguage string   `json:"preferredLanguage,omitempty"`
	UsageLocation     string   `json:"usageLocation,omitempty"`
	UserType          string   `json:"userType"` // Member or Guest
	AccountEnabled    bool     `json:"accountEnabled"`
	Roles             []string `json:"-"`
}

// Group is a Graph group. Unified groups may have a team (HasTeam).
type Group struct {
	ID                          string    `json:"id"`
	DisplayName                 string    `json:"displayName"`
	Description                 string    `json:"description,omitempty"`
	MailNickname                string    `json:"mailNickname"`
	Mail                        string    `json:"mail,omitempty"`
	MailEnabled                 bool      `json:"mailEnabled"`
	SecurityEnabled             bool      `json:"securityEnabled"`
	GroupTypes                  []string  `json:"groupTypes"`
	Visibility                  string    `json:"visibility,omitempty"` // Public, Private, HiddenMembership
	CreatedDateTime             time.Time `json:"createdDateTime"`
	ResourceProvisioningOptions []string  `json:"resourceProvisioningOptions"`
	Owners                      []string  `json:"-"` // user ids
	Members                     []string  `json:"-"` // user ids
}

// App is an app registration with its service principal in one tenant:
// the credentials a client presents and the permissions it was granted.
type App struct {
	AppID        string   `json:"appId"` // client id, a GUID
	DisplayName  string   `json:"displayName"`
	Secrets      []string `json:"secrets"`      // client secrets accepted
	AppRoles     []string `json:"appRoles"`     // application permissions granted (admin consent), e.g. Team.Create
	Scopes       []string `json:"scopes"`       // delegated permissions consented, e.g. User.Read
	RedirectURIs []string `json:"redirectUris"` // for the authorization code flow
	// IdentifierURI is the App ID URI tokens for this app's API name as
	// audience (api://<host>/<appId>); empty means api://<appId>.
	IdentifierURI string `json:"identifierUri,omitempty"`
	// Certificates are the certificate credentials accepted (client
	// assertions signed with their keys), base64 DER; a fixture may give
	// PEM, which AddApp converts. See certificates.go.
	Certificates []string `json:"certificates,omitempty"`
	// BotEndpoint, for a bot, is where the simulated Teams channel delivers
	// activities.
	BotEndpoint string `json:"botEndpoint,omitempty"`
	// GroupMembershipClaims is the app manifest setting that puts a groups
	// claim in user tokens: "" or "None", "SecurityGroup", or "All".
	GroupMembershipClaims string `json:"groupMembershipClaims,omitempty"`
}

// ChangeKind says what a Change did.
type ChangeKind string

const (
	GroupUpserted ChangeKind = "group"
	GroupDeleted  ChangeKind = "group_deleted"
	MemberAdded   ChangeKind = "member_added"
	MemberRemoved ChangeKind = "member_removed"
	OwnerAdded    ChangeKind = "owner_added"
	OwnerRemoved  ChangeKind = "owner_removed"
)

// Change is one entry of a tenant's change log, in order of Seq.
type Change struct {
	Seq     int64      `json:"seq"`
	Kind    ChangeKind `json:"kind"`
	GroupID string     `json:"groupId"`
	UserID  string     `json:"userId,omitempty"`
}

type tenantState struct {
	Tenant
	users   []*User // in fixture order
	groups  map[string]*Group
	apps    map[string]*App
	changes []Change
	seq     int64
}

// Directory holds every simulated tenant. It is safe for concurrent use;
// every accessor returns copies.
type Directory struct {
	mu      sync.RWMutex
	now     func() time.Time
	tenants map[string]*tenantState
	order   []string
}

// New returns an empty directory whose timestamps come from now.
func New(now func() time.Time) *Directory {
	if now == nil {
		now = time.Now
	}
	return &Directory{now: now, tenants: map[string]*tenantState{}}
}

// GUID derives a stable GUID from seed, so fixtures and tests get the same
// ids every run.
func GUID(seed string) string {
	sum := sha1.Sum([]byte("m365sim:" + seed))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-5" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

// AddTenant registers a tenant. ErrConflict if its id or domain is taken.
func (d *Directory) AddTenant(t Tenant) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t.ID == "" || t.Domain == "" {
		return fmt.Errorf("%w: a tenant needs an id and a domain", ErrInvalid)
	}
	for _, ts := range d.tenants {
		if ts.ID == t.ID || strings.EqualFold(ts.Domain, t.Domain) {
			return fmt.Errorf("%w: tenant %s (%s) exists", ErrConflict, t.ID, t.Domain)
		}
	}
	d.tenants[t.ID] = &tenantState{Tenant: t, groups: map[string]*Group{}, apps: map[string]*App{}}
	d.order = append(d.order, t.ID)
	return nil
}

// Tenants lists the tenants in the order they were added.
func (d *Directory) Tenants() []Tenant {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]Tenant, 0, len(d.order))
	for _, id := range d.order {
		out = append(out, d.tenants[id].Tenant)
	}
	return out
}

// ResolveTenant finds a tenant by id or domain, as login URLs name it.
func (d *Directory) ResolveTenant(idOrDomain string) (Tenant, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if ts, ok := d.tenants[strings.ToLower(idOrDomain)]; ok {
		return ts.Tenant, true
	}
	for _, ts := range d.tenants {
		if strings.EqualFold(ts.Domain, idOrDomain) {
			return ts.Tenant, true
		}
	}
	return Tenant{}, false
}

func (d *Directory) tenant(tid string) (*tenantState, error) {
	ts, ok := d.tenants[tid]
	if !ok {
		return nil, fmt.Errorf("%w: tenant %s", ErrNotFound, tid)
	}
	return ts, nil
}

// AddUser adds a user to a tenant. ErrConflict if the id or UPN is taken.
func (d *Directory) AddUser(tid string, u User) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	ts, err := d.tenant(tid)
	if err != nil {
		return err
	}
	if u.ID == "" || u.UserPrincipalName == "" || u.DisplayName == "" {
		return fmt.Errorf("%w: a user needs id, userPrincipalName and displayName", ErrInvalid)
	}
	for _, x := range ts.users {
		if x.ID == u.ID || strings.EqualFold(x.UserPrincipalName, u.UserPrincipalName) {
			return fmt.Errorf("%w: user %s exists", ErrConflict, u.UserPrincipalName)
		}
	}
	if u.UserType == "" {
		u.UserType = "Member"
	}
	u.Roles = slices.Clone(u.Roles)
	ts.users = append(ts.users, &u)
	return nil
}

// Users lists a tenant's users in fixture order.
func (d *Directory) Users(tid string) ([]User, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	ts, err := d.tenant(tid)
	if err != nil {
		return nil, err
	}
	out := make([]User, len(ts.users))
	for i, u := range ts.users {
		out[i] = *u
		out[i].Roles = slices.Clone(u.Roles)
	}
	return out, nil
}

// User finds a user by id or userPrincipalName (case-insensitive), as Graph's
// /users/{id | userPrincipalName} does.
func (d *Directory) User(tid, idOrUPN string) (User, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	ts, err := d.tenant(tid)
	if err != nil {
		return User{}, err
	}
	for _, u := range ts.users {
		if u.ID == idOrUPN || strings.EqualFold(u.UserPrincipalName, idOrUPN) {
			c := *u
			c.Roles = slices.Clone(u.Roles)
			return c, nil
		}
	}
	return User{}, fmt.Errorf("%w: user %s", ErrNotFound, idOrUPN)
}

// AddApp registers an app (its service principal) in a tenant.
func (d *Directory) AddApp(tid string, a App) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	ts, err := d.tenant(tid)
	if err != nil {
		return err
	}
	if a.AppID == "" {
		return fmt.Errorf("%w: an app needs an appId", ErrInvalid)
	}
	if _, ok := ts.apps[a.AppID]; ok {
		return fmt.Errorf("%w: app %s exists in tenant %s", ErrConflict, a.AppID, tid)
	}
	if a.Certificates, err = normaliseCertificates(a.Certificates); err != nil {
		return fmt.Errorf("app %s: %w", a.AppID, err)
	}
	c := cloneApp(a)
	ts.apps[a.AppID] = &c
	return nil
}

// App returns the app registered in tid under appID.
func (d *Directory) App(tid, appID string) (App, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	ts, err := d.tenant(tid)
	if err != nil {
		return App{}, err
	}
	a, ok := ts.apps[appID]
	if !ok {
		return App{}, fmt.Errorf("%w: app %s in tenant %s", ErrNotFound, appID, tid)
	}
	return cloneApp(*a), nil
}

// Apps lists a tenant's apps ordered by appId.
func (d *Directory) Apps(tid string) ([]App, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	ts, err := d.tenant(tid)
	if err != nil {
		return nil, err
	}
	out := make([]App, 0, len(ts.apps))
	for _, a := range ts.apps {
		out = append(out, cloneApp(*a))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AppID < out[j].AppID })
	return out, nil
}

func cloneApp(a App) App {
	a.Secrets = slices.Clone(a.Secrets)
	a.Certificates = slices.Clone(a.Certificates)
	a.AppRoles = slices.Clone(a.AppRoles)
	a.Scopes = slices.Clone(a.Scopes)
	a.RedirectURIs = slices.Clone(a.RedirectURIs)
	return a
}

func cloneGroup(g *Group) Group {
	c := *g
	c.GroupTypes = slices.Clone(g.GroupTypes)
	c.ResourceProvisioningOptions = slices.Clone(g.ResourceProvisioningOptions)
	c.Owners = slices.Clone(g.Owners)
	c.Members = slices.Clone(g.Members)
	return c
}

func (ts *tenantState) log(kind ChangeKind, gid, uid string) {
	ts.seq++
	ts.changes = append(ts.changes, Change{Seq: ts.seq, Kind: kind, GroupID: gid, UserID: uid})
}

func (ts *tenantState) hasUser(id string) bool {
	for _, u := range ts.users {
		if u.ID == id {
			return true
		}
	}
	return false
}

// CreateGroup adds a group. An empty ID gets a new GUID; CreatedDateTime is
// stamped. Owners and members must be users of the tenant. ErrConflict when
// the mailNickname is taken.
func (d *Directory) CreateGroup(tid string, g Group) (Group, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ts, err := d.tenant(tid)
	if err != nil {
		return Group{}, err
	}
	if g.DisplayName == "" || g.MailNickname == "" {
		return Group{}, fmt.Errorf("%w: displayName and mailNickname are required", ErrInvalid)
	}
	for _, x := range ts.groups {
		if strings.EqualFold(x.MailNickname, g.MailNickname) {
			return Group{}, fmt.Errorf("%w: mailNickname %q is taken", ErrConflict, g.MailNickname)
		}
	}
	if g.ID == "" {
		g.ID = GUID(fmt.Sprintf("group/%s/%s/%d", tid, g.MailNickname, d.now().UnixNano()))
	}
	if _, ok := ts.groups[g.ID]; ok {
		return Group{}, fmt.Errorf("%w: group %s exists", ErrConflict, g.ID)
	}
	for _, id := range append(slices.Clone(g.Owners), g.Members...) {
		if !ts.hasUser(id) {
			return Group{}, fmt.Errorf("%w: user %s is not in tenant %s", ErrNotFound, id, tid)
		}
	}
	if g.CreatedDateTime.IsZero() {
		g.CreatedDateTime = d.now().UTC()
	}
	if g.Mail == "" && g.MailEnabled {
		g.Mail = g.MailNickname + "@" + ts.Domain
	}
	if g.GroupTypes == nil {
		g.GroupTypes = []string{}
	}
	if g.ResourceProvisioningOptions == nil {
		g.ResourceProvisioningOptions = []string{}
	}
	g.Owners, g.Members = dedupe(g.Owners), dedupe(g.Members)
	c := cloneGroup(&g)
	ts.groups[g.ID] = &c
	ts.log(GroupUpserted, g.ID, "")
	for _, o := range c.Owners {
		ts.log(OwnerAdded, g.ID, o)
	}
	for _, m := range c.Members {
		ts.log(MemberAdded, g.ID, m)
	}
	return cloneGroup(&c), nil
}

func dedupe(ids []string) []string {
	out := []string{}
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// Group returns one group.
func (d *Directory) Group(tid, id string) (Group, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	ts, err := d.tenant(tid)
	if err != nil {
		return Group{}, err
	}
	g, ok := ts.groups[id]
	if !ok {
		return Group{}, fmt.Errorf("%w: group %s", ErrNotFound, id)
	}
	return cloneGroup(g), nil
}

// Groups lists a tenant's groups ordered by creation time, then id.
func (d *Directory) Groups(tid string) ([]Group, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	ts, err := d.tenant(tid)
	if err != nil {
		return nil, err
	}
	out := make([]Group, 0, len(ts.groups))
	for _, g := range ts.groups {
		out = append(out, cloneGroup(g))
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedDateTime.Equal(out[j].CreatedDateTime) {
			return out[i].CreatedDateTime.Before(out[j].CreatedDateTime)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// UpdateGroup applies fn to a group under the lock. fn must not change the
// ID, Owners or Members (use the membership methods, which log changes).
func (d *Directory) UpdateGroup(tid, id string, fn func(g *Group) error) (Group, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ts, err := d.tenant(tid)
	if err != nil {
		return Group{}, err
	}
	g, ok := ts.groups[id]
	if !ok {
		return Group{}, fmt.Errorf("%w: group %s", ErrNotFound, id)
	}
	c := cloneGroup(g)
	if err := fn(&c); err != nil {
		return Group{}, err
	}
	c.ID, c.Owners, c.Members = g.ID, g.Owners, g.Members
	*g = c
	ts.log(GroupUpserted, id, "")
	return cloneGroup(g), nil
}

// DeleteGroup removes a group.
func (d *Directory) DeleteGroup(tid, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	ts, err := d.tenant(tid)
	if err != nil {
		return err
	}
	if _, ok := ts.groups[id]; !ok {
		return fmt.Errorf("%w: group %s", ErrNotFound, id)
	}
	delete(ts.groups, id)
	ts.log(GroupDeleted, id, "")
	return nil
}

// AddMember adds a user as member (or owner). ErrConflict if already there,
// as Graph answers 400 "One or more added object references already exist".
func (d *Directory) AddMember(tid, gid, uid string, owner bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	ts, err := d.tenant(tid)
	if err != nil {
		return err
	}
	g, ok := ts.groups[gid]
	if !ok {
		return fmt.Errorf("%w: group %s", ErrNotFound, gid)
	}
	if !ts.hasUser(uid) {
		return fmt.Errorf("%w: user %s", ErrNotFound, uid)
	}
	list, kind := &g.Members, MemberAdded
	if owner {
		list, kind = &g.Owners, OwnerAdded
	}
	if slices.Contains(*list, uid) {
		return fmt.Errorf("%w: user %s is already in group %s", ErrConflict, uid, gid)
	}
	*list = append(*list, uid)
	ts.log(kind, gid, uid)
	return nil
}

// RemoveMember removes a member (or owner). ErrNotFound if not there.
func (d *Directory) RemoveMember(tid, gid, uid string, owner bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	ts, err := d.tenant(tid)
	if err != nil {
		return err
	}
	g, ok := ts.groups[gid]
	if !ok {
		return fmt.Errorf("%w: group %s", ErrNotFound, gid)
	}
	list, kind := &g.Members, MemberRemoved
	if owner {
		list, kind = &g.Owners, OwnerRemoved
	}
	i := slices.Index(*list, uid)
	if i < 0 {
		return fmt.Errorf("%w: user %s is not in group %s", ErrNotFound, uid, gid)
	}
	*list = slices.Delete(*list, i, i+1)
	ts.log(kind, gid, uid)
	return nil
}

// UserGroups lists the ids of the groups a user is a member or owner of
// (owners count, as in Entra's groups claim), security groups only when
// securityOnly, in group id order.
func (d *Directory) UserGroups(tid, uid string, securityOnly bool) ([]string, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	ts, err := d.tenant(tid)
	if err != nil {
		return nil, err
	}
	var out []string
	for id, g := range ts.groups {
		if securityOnly && !g.SecurityEnabled {
			continue
		}
		if slices.Contains(g.Members, uid) || slices.Contains(g.Owners, uid) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out, nil
}

// ChangesSince returns a tenant's changes after seq, and the latest seq (the
// next delta token).
func (d *Directory) ChangesSince(tid string, seq int64) ([]Change, int64, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	ts, err := d.tenant(tid)
	if err != nil {
		return nil, 0, err
	}
	i := sort.Search(len(ts.changes), func(i int) bool { return ts.changes[i].Seq > seq })
	return slices.Clone(ts.changes[i:]), ts.seq, nil
}

// SetBotEndpoint sets the messaging endpoint of the bot appID in every
// tenant where the app is registered (a bot registration has one endpoint,
// whichever tenant installs it) and reports how many tenants that was.
func (d *Directory) SetBotEndpoint(appID, endpoint string) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, ts := range d.tenants {
		if a, ok := ts.apps[appID]; ok {
			a.BotEndpoint = endpoint
			n++
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("%w: app %s is not registered in any tenant", ErrNotFound, appID)
	}
	return n, nil
}
