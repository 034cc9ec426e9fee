package bot

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
)

// Membership is what the directory says of a user: the groups they belong
// to (transitively) and the template ids of their Entra directory roles.
type Membership struct {
	Groups          []string
	RoleTemplateIDs []string
}

// MemberOfSource reads a user's memberships (GraphMemberOf in production).
type MemberOfSource interface {
	// MemberOf errors: governance kinds (KindNotFound for an unknown user,
	// KindUnavailable or KindTooManyRequests when the directory fails).
	MemberOf(ctx context.Context, tenantID, userID string) (Membership, error)
}

// RoleSource lists a tenant's Steward role assignments (*store.DB).
type RoleSource interface {
	RoleAssignments(ctx context.Context, tenantID string) ([]governance.RoleAssignment, error)
}

// GraphMemberOf reads memberships from Microsoft Graph:
// GET /users/{id}/transitiveMemberOf?$select=id,roleTemplateId, every page.
// It needs GroupMember.Read.All (or Directory.Read.All).
type GraphMemberOf struct{ Client *graph.Client }

var _ MemberOfSource = GraphMemberOf{}

// directoryObject is one entry of transitiveMemberOf: a group, a directory
// role (with its roleTemplateId) or an administrative unit.
type directoryObject struct {
	Type           string `json:"@odata.type"`
	ID             string `json:"id"`
	RoleTemplateID string `json:"roleTemplateId"`
}

// MemberOf implements MemberOfSource. tenantID is the Steward tenant, whose
// credential the client uses.
func (g GraphMemberOf) MemberOf(ctx context.Context, tenantID, userID string) (Membership, error) {
	if g.Client == nil {
		return Membership{}, governance.Errorf(governance.KindUnavailable, "directory_not_configured", "Microsoft Graph is not configured for this Steward server")
	}
	if userID == "" || strings.ContainsAny(userID, "/?#") {
		return Membership{}, governance.Errorf(governance.KindInvalid, "user_id_invalid", "the user id %q is not an Entra object id", userID)
	}
	objs, err := graph.List[directoryObject](ctx, g.Client, tenantID, "/users/"+url.PathEscape(userID)+"/transitiveMemberOf",
		url.Values{"$select": {"id,roleTemplateId"}})
	if err != nil {
		return Membership{}, graph.Classify(err, "read the user's groups")
	}
	var m Membership
	for _, o := range objs {
		switch o.Type {
		case "#microsoft.graph.group":
			m.Groups = append(m.Groups, o.ID)
		case "#microsoft.graph.directoryRole":
			if o.RoleTemplateID != "" {
				m.RoleTemplateIDs = append(m.RoleTemplateIDs, o.RoleTemplateID)
			}
		}
	}
	return m, nil
}

// principals resolves and caches the principal of bot users.
type principals struct {
	dir   MemberOfSource
	roles RoleSource
	cache *ttlCache[principalKey, governance.Principal]
}

type principalKey struct{ tenant, user string }

func newPrincipals(dir MemberOfSource, roles RoleSource, ttl time.Duration, size int, now func() time.Time) *principals {
	return &principals{dir: dir, roles: roles, cache: newTTLCache[principalKey, governance.Principal](ttl, size, now)}
}

// errNoSender is an activity without a user's Entra object id.
var errNoSender = errors.New("bot: the activity has no sender with an Entra object id")

// of returns the principal of a's sender in the Steward tenant tenantID:
// the user's Entra object id and name, groups and directory roles from the
// directory, and the roles they give with the tenant's assignments. The
// groups and roles are cached for the TTL: a change in Entra or in the
// role assignments reaches the bot within it.
func (p *principals) of(ctx context.Context, tenantID string, a *Activity) (governance.Principal, error) {
	uid := a.UserObjectID()
	if uid == "" {
		return governance.Principal{}, errNoSender
	}
	name := ""
	if a.From != nil {
		name = a.From.Name
	}
	key := principalKey{tenantID, strings.ToLower(uid)}
	if cached, ok := p.cache.get(key); ok {
		cached.Name = name
		return cached, nil
	}
	var m Membership
	if p.dir != nil {
		var err error
		if m, err = p.dir.MemberOf(ctx, tenantID, uid); err != nil {
			return governance.Principal{}, fmt.Errorf("bot: principal: %w", err)
		}
	}
	var assignments []governance.RoleAssignment
	if p.roles != nil {
		var err error
		if assignments, err = p.roles.RoleAssignments(ctx, tenantID); err != nil {
			return governance.Principal{}, fmt.Errorf("bot: principal: role assignments: %w", err)
		}
	}
	pr := governance.Principal{
		Kind: governance.PrincipalUser, TenantID: tenantID, ID: uid, Name: name,
		Groups: m.Groups, Roles: governance.EffectiveRoles(uid, m.RoleTemplateIDs, m.Groups, assignments),
	}
	p.cache.put(key, pr)
	return pr, nil
}

// ttlCache is a bounded map whose entries expire. When full, expired
// entries go first, then the oldest: a burst of new users evicts the
// least recently added, never grows the map.
type ttlCache[K comparable, V any] struct {
	mu    sync.Mutex
	ttl   time.Duration
	size  int
	now   func() time.Time
	items map[K]ttlEntry[V]
	order []K // the keys of items, oldest first
}

type ttlEntry[V any] struct {
	v       V
	expires time.Time
}

func newTTLCache[K comparable, V any](ttl time.Duration, size int, now func() time.Time) *ttlCache[K, V] {
	return &ttlCache[K, V]{ttl: ttl, size: size, now: now, items: map[K]ttlEntry[V]{}}
}

func (c *ttlCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok || !c.now().Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, v)
}

func (c *ttlCache[K, V]) putLocked(k K, v V) {
	if _, ok := c.items[k]; !ok {
		c.order = append(c.order, k)
	}
	c.items[k] = ttlEntry[V]{v: v, expires: c.now().Add(c.ttl)}
	for len(c.items) > c.size && len(c.order) > 0 {
		oldest := c.order[0]
		c.order = c.order[1:]
		delete(c.items, oldest)
	}
}

// putIfAbsent stores v unless a live entry exists, and reports whether it
// stored it.
func (c *ttlCache[K, V]) putIfAbsent(k K, v V) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok && c.now().Before(e.expires) {
		return false
	}
	c.putLocked(k, v)
	return true
}
