package trust

import "slices"

// StoredTable is one table of the main store as the store declares it
// (store.DataDeclarations, converted by cmd: this package does not import
// the store).
type StoredTable struct {
	Table      string `json:"table"`
	Category   string `json:"-"`
	Holds      string `json:"holds"`
	Protection string `json:"protection"`
	Retention  string `json:"retention"`
}

// DataCategory is one kind of data Steward handles: what it reads, what it
// keeps in memory, what it stores and for how long.
type DataCategory struct {
	Key      string        `json:"key"`
	Title    string        `json:"title"`
	Accessed string        `json:"accessed"`
	Cached   string        `json:"cached"`
	Stored   []StoredTable `json:"stored"`
}

// notCached is the Cached text of data Steward does not keep in memory
// beyond one request.
const notCached = "not cached"

// categories are the data categories in the order the trust center shows
// them, with what is accessed and cached; the store's declarations add
// what is stored.
func categories() []DataCategory {
	return []DataCategory{
		{Key: "tenants", Title: "Customer organizations",
			Accessed: "the organization's Microsoft Entra tenant id, from its administrator at registration", Cached: notCached},
		{Key: "team-requests", Title: "Team requests",
			Accessed: "what requesters and approvers enter in the tabs, the bot or the API", Cached: notCached},
		{Key: "templates", Title: "Templates",
			Accessed: "what catalog managers enter; when a template is copied from a team, that team's channels, tabs and apps from Microsoft Graph", Cached: notCached},
		{Key: "roles", Title: "Steward roles",
			Accessed: "the Entra users and groups administrators grant roles to", Cached: "a bot user's roles, for 5 minutes in memory"},
		{Key: "audit-trail", Title: "Audit trail",
			Accessed: "every change made through Steward, with who made it", Cached: notCached},
		{Key: "managed-teams", Title: "Managed teams",
			Accessed: "the teams Steward provisioned, read back from Microsoft Graph (settings, channels, members, owners, the date of the newest channel message for inactivity; message contents are read only for their dates and never stored)",
			Cached:   notCached},
		{Key: "directory", Title: "Directory data",
			Accessed: "Microsoft Graph: a user's profile properties used by naming and guest policies, group names, group members and owners, a user's group and directory-role memberships",
			Cached:   "a bot user's group and directory-role memberships, for 5 minutes in memory; nothing else beyond the request"},
		{Key: "provisioning-state", Title: "Provisioning progress",
			Accessed: "the ids Microsoft Graph returns while a team is created", Cached: notCached},
		{Key: "bot-conversations", Title: "Bot conversation references",
			Accessed: "the Bot Framework activities Teams sends to the bot (conversation and user ids, locale); message text is read to answer and not stored",
			Cached:   notCached},
		{Key: "crm-records", Title: "CRM records",
			Accessed: "the files a tenant imports into the built-in CRM connector", Cached: "an in-memory search index per tenant, rebuilt when records change"},
		{Key: "webhooks", Title: "Webhooks",
			Accessed: "the endpoints administrators register, and the events sent to them", Cached: notCached},
		{Key: "api-keys", Title: "API keys",
			Accessed: "the keys integrations present with each API call", Cached: notCached},
		{Key: "app-credentials", Title: "Credentials and keys",
			Accessed: "each tenant's Microsoft Graph app credential, webhook signing secrets, the data keys that encrypt them",
			Cached:   "unwrapped data keys in memory for 5 minutes; Microsoft access tokens in memory until 5 minutes before they expire"},
		{Key: "sessions", Title: "Web sessions",
			Accessed: "the validated claims of the Entra token a person signs in with", Cached: notCached},
	}
}

// DataInventory returns the data categories with the stored tables sorted
// into them. A table whose category is unknown gets a category of its own
// (titled by its key) rather than disappearing from the inventory.
func DataInventory(stored []StoredTable) []DataCategory {
	cats := categories()
	index := map[string]int{}
	for i, c := range cats {
		index[c.Key] = i
	}
	for _, t := range stored {
		i, ok := index[t.Category]
		if !ok {
			cats = append(cats, DataCategory{Key: t.Category, Title: t.Category, Accessed: "see the stored tables", Cached: notCached})
			i = len(cats) - 1
			index[t.Category] = i
		}
		cats[i].Stored = append(cats[i].Stored, t)
	}
	for i := range cats {
		slices.SortStableFunc(cats[i].Stored, func(a, b StoredTable) int {
			switch {
			case a.Table < b.Table:
				return -1
			case a.Table > b.Table:
				return 1
			}
			return 0
		})
		if cats[i].Stored == nil {
			cats[i].Stored = []StoredTable{}
		}
	}
	return cats
}
