package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/stewardhq/steward/cards"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/internal/teststack"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/m365sim/botconnector"
	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/work"
)

// notifyStack is Steward wired as cmd wires it for notifications: the
// request service on a Transactor whose events the Notifier queues, the
// outbox sending to the simulated Bot Connector, Graph on the simulator.
type notifyStack struct {
	b    *botSim
	db   *store.DB
	q    *jobs.Queue
	tr   *work.Transactor
	svc  *governance.RequestService
	refs *References
}

type notifyCredentials map[string]graph.Credential

func (c notifyCredentials) Credential(_ context.Context, tenantID string) (graph.Credential, error) {
	if cred, ok := c[tenantID]; ok {
		return cred, nil
	}
	return graph.Credential{}, graph.ErrNoCredential(tenantID)
}

type notifyNoGuests struct{}

func (notifyNoGuests) IsGuest(context.Context, string, string) (bool, string, error) {
	return false, "", nil
}
func (notifyNoGuests) MailNicknameTaken(context.Context, string, string) (bool, error) {
	return false, nil
}

// notifyProvisionSink takes the provisioning jobs approvals queue.
type notifyProvisionSink struct {
	river.WorkerDefaults[governance.ProvisionRequest]
}

func (notifyProvisionSink) Work(context.Context, *river.Job[governance.ProvisionRequest]) error {
	return nil
}

func newNotifyStack(t *testing.T, dsn string) *notifyStack {
	t.Helper()
	ctx := context.Background()
	b := newBotSim(t, nil)
	gc, err := graph.New(graph.Options{LoginURL: b.sim.LoginURL(), GraphURL: b.sim.GraphURL(),
		Credentials: notifyCredentials{"contoso": {EntraTenantID: b.tenant, ClientID: b.appID, ClientSecret: "steward-dev-secret-contoso"}}})
	if err != nil {
		t.Fatal(err)
	}
	var (
		refs *References
		tr   *work.Transactor
		svc  *governance.RequestService
	)
	st := teststack.New(t, dsn, teststack.Options{Queues: Queues(), Register: func(s *teststack.Stack) {
		refs = NewReferences(s.DB)
		ob := RegisterOutbox(s.Queue, b.conn, OutboxOptions{OnConversation: refs.OnConversation, OnSent: RecordSentCards(s.DB)})
		n, err := NewNotifier(NotifierOptions{Store: s.DB, References: refs, Outbox: ob, Groups: gc, Owners: gc,
			ServiceURL: b.sim.ServiceURL(), Links: cards.Steward{AppID: "5e1f0c3a-steward-app", BaseURL: "https://steward.example"}})
		if err != nil {
			t.Fatal(err)
		}
		RegisterNotifier(s.Queue, n)
		jobs.Register(s.Queue, notifyProvisionSink{})
		tr = work.New(s.DB, s.Queue, s.Hooks)
		tr.OnEvent(n.EnqueueTx)
		ids := 0
		svc = governance.NewRequestService(tr, notifyNoGuests{}, func() string { ids++; return fmt.Sprintf("req-%d", ids) })
	}})
	db, q := st.DB, st.Queue
	if _, err := db.CreateTenant(ctx, governance.Tenant{ID: "contoso", Name: "Contoso", EntraTenantID: b.tenant}); err != nil {
		t.Fatal(err)
	}
	return &notifyStack{b: b, db: db, q: q, tr: tr, svc: svc, refs: refs}
}

func (s *notifyStack) user(t *testing.T, name string) directory.User {
	t.Helper()
	for _, u := range s.b.users {
		if u.DisplayName == name {
			return u
		}
	}
	t.Fatalf("no user %q in the fixture", name)
	return directory.User{}
}

func (s *notifyStack) group(t *testing.T, name string) directory.Group {
	t.Helper()
	gs, err := s.b.sim.Dir.Groups(s.b.tenant)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.DisplayName == name {
			return g
		}
	}
	t.Fatalf("no group %q in the fixture", name)
	return directory.Group{}
}

// chat is the id of the bot's personal chat with u in the simulator.
func (s *notifyStack) chat(t *testing.T, u directory.User) string {
	t.Helper()
	cv, err := s.b.sim.Bot.PersonalConversation(s.b.tenant, s.b.appID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return cv.ID
}

// cardsIn returns the Adaptive Cards of the calls made with method in
// conversation convID that the simulator accepted.
func (s *notifyStack) cardsIn(t *testing.T, convID, method string) []botconnector.Recorded {
	t.Helper()
	var out []botconnector.Recorded
	for _, r := range s.b.sim.Bot.Activities(convID) {
		if r.Method == method && r.Status/100 == 2 && sentCard(r) != nil {
			out = append(out, r)
		}
	}
	return out
}

// card is the Adaptive Card a recorded call carried, or nil.
func sentCard(r botconnector.Recorded) map[string]any {
	atts, _ := r.Activity["attachments"].([]any)
	if len(atts) != 1 {
		return nil
	}
	att, _ := atts[0].(map[string]any)
	if att["contentType"] != ContentTypeAdaptiveCard {
		return nil
	}
	c, _ := att["content"].(map[string]any)
	return c
}

func sentCardText(t *testing.T, c map[string]any) string {
	t.Helper()
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// verbs lists the Action.Execute verbs of a card.
func cardVerbs(c map[string]any) []string {
	var out []string
	acts, _ := c["actions"].([]any)
	for _, a := range acts {
		m, _ := a.(map[string]any)
		if m["type"] == "Action.Execute" {
			out = append(out, fmt.Sprint(m["verb"]))
		}
	}
	return out
}

// openURLs lists the links of a card's Action.OpenUrl actions.
func openURLs(c map[string]any) []string {
	var out []string
	acts, _ := c["actions"].([]any)
	for _, a := range acts {
		m, _ := a.(map[string]any)
		if m["type"] == "Action.OpenUrl" {
			out = append(out, fmt.Sprint(m["url"]))
		}
	}
	return out
}

func (s *notifyStack) countJobs(t *testing.T, kind string) int {
	t.Helper()
	var n int
	if err := s.db.Writer().QueryRowContext(t.Context(), `SELECT count(*) FROM river_job WHERE kind = $1`, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func notifyPrincipal(u directory.User) governance.Principal {
	return governance.Principal{Kind: governance.PrincipalUser, TenantID: "contoso", ID: u.ID, Name: u.DisplayName}
}

// A request's life in Teams: approval cards reach every approver of the
// stage (a user, and a group's members), the decision updates each card in
// place and tells the requester, provisioning sends the completion card
// with the team's deep link and the template's welcome message; a retried
// notification sends nothing twice and a rolled-back change nothing at all.
func TestNotifierRequestLifecycle(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine.Name, func(t *testing.T) {
			testNotifierRequestLifecycle(t, newNotifyStack(t, engine.DSN(t)))
		})
	}
}

func testNotifierRequestLifecycle(t *testing.T, s *notifyStack) {
	ctx := t.Context()
	chen, adele := s.user(t, "Chen Wei"), s.user(t, "Adele Vance")
	approvers := s.group(t, "Steward Approvers")
	var groupMembers []directory.User
	for _, id := range approvers.Members {
		u, err := s.b.sim.Dir.User(s.b.tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		groupMembers = append(groupMembers, u)
	}
	sales := s.group(t, "Sales") // stands for the team provisioning made
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := s.db.CreateTemplate(ctx, tx, governance.Template{TenantID: "contoso", ID: "project", Name: "Project",
			Spec: governance.TeamSpec{Visibility: "private", Channels: []governance.ChannelSpec{{Name: "Planning"}},
				WelcomeMessage: "Welcome to your new team!"},
			Policies: governance.TemplatePolicies{Approval: governance.ApprovalPolicy{Stages: []governance.ApprovalStage{{
				Name: "Managers", Approvers: []governance.ApproverRef{{Type: "user", ID: adele.ID}, {Type: "group", ID: approvers.ID}}}}}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Adele wrote to the bot before: her chat and Teams id are known.
	adeleChat := s.chat(t, adele)
	hello := s.b.sim.Bot.Message(adele, "hello", botconnector.Conversation{ID: adeleChat, Type: botconnector.Personal,
		TenantID: s.b.tenant, BotAppID: s.b.appID})
	if err := s.refs.Remember(ctx, "contoso", simActivity(t, hello)); err != nil {
		t.Fatal(err)
	}

	r, err := s.svc.Submit(ctx, notifyPrincipal(chen), governance.NewRequest{TemplateID: "project", Name: "Apollo", Justification: "launch"})
	if err != nil || r.State != governance.StatePending {
		t.Fatalf("submit: %+v, %v", r, err)
	}
	subject := requestSubject(r.ID)
	everyApprover := append([]directory.User{adele}, groupMembers...)
	var posts []store.BotCardPost
	waitFor(t, 20*time.Second, "an approval card per approver, recorded", func() bool {
		posts, err = s.db.CardPosts(ctx, "contoso", subject)
		return err == nil && len(posts) == len(everyApprover)
	})
	posted := map[string]bool{}
	t.Run("approval cards", func(t *testing.T) {
		for _, u := range everyApprover {
			got := s.cardsIn(t, s.chat(t, u), http.MethodPost)
			if len(got) != 1 {
				t.Fatalf("%s got %d cards, want 1", u.DisplayName, len(got))
			}
			c := sentCard(got[0])
			if !slices.Equal(cardVerbs(c), []string{cards.VerbApprove, cards.VerbReject, cards.VerbComment}) {
				t.Errorf("%s's card acts with %v", u.DisplayName, cardVerbs(c))
			}
			refresh, _ := c["refresh"].(map[string]any)
			if ids, _ := refresh["userIds"].([]any); len(ids) != 1 || ids[0] != botconnector.MemberID(s.b.tenant, adele.ID) {
				t.Errorf("%s's card refreshes for %v, want Adele's Teams id only", u.DisplayName, refresh["userIds"])
			}
			posted[got[0].ActivityID] = true
		}
		for _, p := range posts {
			if !posted[p.ActivityID] {
				t.Errorf("recorded post %s in %s was not sent", p.ActivityID, p.ConversationID)
			}
		}
		if got := s.cardsIn(t, s.chat(t, chen), http.MethodPost); len(got) != 0 {
			t.Errorf("the requester got %d approval cards", len(got))
		}
	})

	t.Run("a retried notification sends nothing twice", func(t *testing.T) {
		rows, err := s.db.Writer().QueryContext(ctx, `SELECT args FROM river_job WHERE kind = 'bot_notify'`)
		if err != nil {
			t.Fatal(err)
		}
		var created NotifyJob
		for rows.Next() {
			var args []byte
			if err := rows.Scan(&args); err != nil {
				t.Fatal(err)
			}
			var j NotifyJob
			if err := json.Unmarshal(args, &j); err != nil {
				t.Fatal(err)
			}
			if j.Event == governance.EventRequestCreated {
				created = j
			}
		}
		rows.Close()
		if created.EventID == "" {
			t.Fatal("no request.created notification was queued")
		}
		ref, err := s.q.Insert(ctx, created, nil)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "the retry to complete", func() bool {
			var state string
			err := s.db.Writer().QueryRowContext(ctx, `SELECT state FROM river_job WHERE id = $1`, ref.ID).Scan(&state)
			return err == nil && state == "completed"
		})
		time.Sleep(300 * time.Millisecond) // time for a send the retry might have queued
		for _, u := range everyApprover {
			if got := s.cardsIn(t, s.chat(t, u), http.MethodPost); len(got) != 1 {
				t.Errorf("%s has %d cards after the retry, want 1", u.DisplayName, len(got))
			}
		}
	})

	t.Run("a rolled-back change notifies nobody", func(t *testing.T) {
		before, calls := s.countJobs(t, "bot_notify"), len(s.b.sim.Bot.Calls())
		ghost := r
		ghost.ID = "req-ghost"
		err := s.tr.InTx(ctx, func(w governance.Work) error {
			if err := w.Emit(ctx, "contoso", governance.EventRequestCreated, ghost); err != nil {
				return err
			}
			return errors.New("the change fails after its event")
		})
		if err == nil {
			t.Fatal("the unit committed")
		}
		if n := s.countJobs(t, "bot_notify"); n != before {
			t.Fatalf("%d notifications queued by a rolled-back change", n-before)
		}
		time.Sleep(200 * time.Millisecond)
		if n := len(s.b.sim.Bot.Calls()); n != calls {
			t.Fatalf("%d connector calls after a rolled-back change", n-calls)
		}
	})

	decided, err := s.svc.Decide(ctx, notifyPrincipal(adele), r.ID, r.Version, true, "Looks good")
	if err != nil || decided.State != governance.StateApproved {
		t.Fatalf("decide: %+v, %v", decided, err)
	}
	t.Run("decision updates every card in place", func(t *testing.T) {
		var puts []botconnector.Recorded
		waitFor(t, 20*time.Second, "every approval card updated", func() bool {
			puts = puts[:0]
			for _, c := range s.b.sim.Bot.Calls() {
				if c.Method == http.MethodPut && c.Status == http.StatusOK {
					puts = append(puts, c)
				}
			}
			return len(puts) >= len(posted)
		})
		updated := map[string]bool{}
		for _, p := range puts {
			updated[p.ActivityID] = true
			c := sentCard(p)
			if c == nil || len(cardVerbs(c)) != 0 || !strings.Contains(sentCardText(t, c), "Looks good") || c["refresh"] != nil {
				t.Errorf("update of %s is not the decided card: %v", p.ActivityID, c)
			}
		}
		if len(puts) != len(posted) || len(updated) != len(posted) {
			t.Fatalf("%d updates of %d activities, want one per posted card (%d)", len(puts), len(updated), len(posted))
		}
		for id := range posted {
			if !updated[id] {
				t.Errorf("card %s was not updated", id)
			}
		}
	})
	t.Run("the requester gets the summary", func(t *testing.T) {
		var got []botconnector.Recorded
		waitFor(t, 20*time.Second, "the requester's summary", func() bool {
			got = s.cardsIn(t, s.chat(t, chen), http.MethodPost)
			return len(got) >= 1
		})
		if text := sentCardText(t, sentCard(got[0])); len(got) != 1 || !strings.Contains(text, "Apollo") || len(openURLs(sentCard(got[0]))) != 1 {
			t.Fatalf("%d cards; first %s", len(got), text)
		}
	})

	t.Run("provisioned: deep link and welcome message", func(t *testing.T) {
		// The bot was installed in the new team: Teams told it so.
		general, err := s.b.sim.Bot.ChannelConversation(s.b.tenant, s.b.appID, sales.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.refs.Remember(ctx, "contoso", simActivity(t, s.b.sim.Bot.ConversationUpdate(general, chen))); err != nil {
			t.Fatal(err)
		}
		done := decided
		done.State, done.TeamID = governance.StateCompleted, sales.ID
		if err := s.tr.InTx(ctx, func(w governance.Work) error {
			return w.Emit(ctx, "contoso", governance.EventTeamProvisioned, done)
		}); err != nil {
			t.Fatal(err)
		}
		var got []botconnector.Recorded
		waitFor(t, 20*time.Second, "the completion card", func() bool {
			got = s.cardsIn(t, s.chat(t, chen), http.MethodPost)
			return len(got) >= 2
		})
		want, err := cards.TeamLink(general.TeamID, sales.ID, s.b.tenant)
		if err != nil {
			t.Fatal(err)
		}
		c := sentCard(got[1])
		text := sentCardText(t, c)
		if !strings.Contains(text, "Apollo") || !strings.Contains(text, "Planning") || !slices.Equal(openURLs(c), []string{want}) {
			t.Fatalf("completion card %s; want the link %s", text, want)
		}
		waitFor(t, 20*time.Second, "the welcome message in General", func() bool {
			for _, c := range s.b.sim.Bot.Activities(general.ID) {
				if c.Method == http.MethodPost && c.Activity["text"] == "Welcome to your new team!" {
					return true
				}
			}
			return false
		})
	})
}

func TestNotifierDropsEventsItDoesNotNotify(t *testing.T) {
	s := newNotifyStack(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"))
	ctx := t.Context()
	err := s.tr.InTx(ctx, func(w governance.Work) error {
		return w.Emit(ctx, "contoso", governance.EventTemplateUpdated, map[string]string{"id": "project"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := s.countJobs(t, "bot_notify"); n != 0 {
		t.Fatalf("%d notifications queued for template.updated", n)
	}
	// A job for such an event (queued by an older version) is acknowledged.
	ref, err := s.q.Insert(ctx, NotifyJob{TenantID: "contoso", EventID: "ev_old", Event: governance.EventTemplateUpdated, Data: json.RawMessage(`{}`)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the job to complete", func() bool {
		var state string
		err := s.db.Writer().QueryRowContext(ctx, `SELECT state FROM river_job WHERE id = $1`, ref.ID).Scan(&state)
		return err == nil && state == "completed"
	})
	if n := len(s.b.sim.Bot.Calls()); n != 0 {
		t.Fatalf("%d connector calls", n)
	}
}

// Team owners hear of their team's expiry (the owners the event names) and
// of membership repairs (the owners Graph lists).
func TestNotifierTellsTeamOwners(t *testing.T) {
	s := newNotifyStack(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"))
	ctx := t.Context()
	chen, adele := s.user(t, "Chen Wei"), s.user(t, "Adele Vance")
	sales := s.group(t, "Sales") // owned by Chen
	team := governance.ManagedTeam{TenantID: "contoso", TeamID: sales.ID, RequestID: "req-unknown", TemplateID: "project", TemplateVersion: 1}
	expires := time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)
	err := s.tr.InTx(ctx, func(w governance.Work) error {
		if err := w.Emit(ctx, "contoso", governance.EventTeamExpiring, governance.ExpiryWarning{Team: team, DaysLeft: 7,
			ExpiresAt: expires, OnExpiry: "archive", Owners: []string{adele.ID}}); err != nil {
			return err
		}
		return w.Emit(ctx, "contoso", governance.EventMembershipRepaired, map[string]any{"team": team,
			"repair": governance.MembershipRepair{TeamID: sales.ID, Members: []string{"Lars Nilsen"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		who   directory.User
		verbs []string
		text  string
	}{
		{"expiry warning to the named owner", adele, []string{cards.VerbRenew}, "7"},
		{"repair to Graph's owners", chen, nil, "Lars Nilsen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []botconnector.Recorded
			waitFor(t, 20*time.Second, "the card", func() bool {
				got = s.cardsIn(t, s.chat(t, tc.who), http.MethodPost)
				return len(got) >= 1
			})
			c := sentCard(got[0])
			if len(got) != 1 || !slices.Equal(cardVerbs(c), tc.verbs) || !strings.Contains(sentCardText(t, c), tc.text) {
				t.Fatalf("%d cards; first %s", len(got), sentCardText(t, c))
			}
		})
	}
}
