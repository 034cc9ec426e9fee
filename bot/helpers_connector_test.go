package bot

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stewardhq/steward/internal/teststack"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/m365sim"
	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/store"
)

// botSim is the simulator with Contoso's Steward app registered as a bot,
// and a Connector for that bot.
type botSim struct {
	sim    *m365sim.Server
	tenant string // Contoso's Entra tenant id
	appID  string
	users  []directory.User // Contoso's members
	conn   *Connector
}

// newBotSim starts the simulator (its clock simNow, nil for real time)
// and a Connector allowed to call its service URL.
func newBotSim(t *testing.T, simNow func() time.Time) *botSim {
	t.Helper()
	fx := directory.DemoFixture()
	b := &botSim{}
	for i := range fx.Tenants {
		ft := &fx.Tenants[i]
		if ft.DisplayName != "Contoso" {
			continue
		}
		b.tenant = ft.ID
		for j := range ft.Apps {
			if ft.Apps[j].DisplayName == "Steward" {
				// The simulated channel only calls bots back when a test
				// delivers an activity; none does here.
				ft.Apps[j].BotEndpoint = "http://127.0.0.1:9/api/messages"
				b.appID = ft.Apps[j].AppID
			}
		}
		for _, u := range ft.Users {
			if u.UserType != "Guest" {
				b.users = append(b.users, u.User)
			}
		}
	}
	sim, err := m365sim.Listen("127.0.0.1:0", m365sim.Options{Fixture: &fx, Now: simNow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close(context.Background()) })
	b.sim = sim
	b.conn = b.connector(t, ConnectorOptions{})
	return b
}

// connector builds a Connector for the simulated bot; o's zero fields get
// the simulator's values.
func (b *botSim) connector(t *testing.T, o ConnectorOptions) *Connector {
	t.Helper()
	if o.AppID == "" {
		o.AppID, o.AppTenantID, o.LoginURL = b.appID, b.tenant, b.sim.LoginURL()
	}
	if o.Secret == nil {
		o.Secret = func(context.Context) (string, error) { return "steward-dev-secret-contoso", nil }
	}
	if o.AllowedServiceURLs == nil {
		o.AllowedServiceURLs = []string{"https://smba.trafficmanager.net/", b.sim.ServiceURL()}
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	c, err := NewConnector(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// personal opens the bot's chat with the i-th user through the connector.
func (b *botSim) personal(t *testing.T, c *Connector, i int) ConversationReference {
	t.Helper()
	ref, err := c.CreatePersonalConversation(t.Context(), b.sim.ServiceURL(), b.tenant, b.users[i].ID)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// posted counts, per text, the activities the simulator accepted (POST
// send or reply answered 201).
func (b *botSim) posted() map[string]int {
	n := map[string]int{}
	for _, r := range b.sim.Bot.Calls() {
		if r.Method == http.MethodPost && r.Status == http.StatusCreated && r.Activity != nil {
			if text, ok := r.Activity["text"].(string); ok {
				n[text]++
			}
		}
	}
	return n
}

// statuses counts the simulator's answers by status.
func (b *botSim) statuses() map[int]int {
	n := map[int]int{}
	for _, r := range b.sim.Bot.Calls() {
		n[r.Status]++
	}
	return n
}

// queueStack is a migrated SQLite store and a job queue working the send
// queue, started after register ran and stopped when the test ends.
func queueStack(t *testing.T, register func(q *jobs.Queue)) (*store.DB, *jobs.Queue) {
	t.Helper()
	st := teststack.New(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), teststack.Options{Queues: Queues(),
		Register: func(s *teststack.Stack) { register(s.Queue) }})
	return st.DB, st.Queue
}
