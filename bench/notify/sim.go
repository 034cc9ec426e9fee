package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stewardhq/steward/m365sim"
	"github.com/stewardhq/steward/m365sim/directory"
)

// tenantRPS is Microsoft's documented global limit per app per tenant
// ("Rate limiting for agents", Teams platform docs).
const tenantRPS = 50

// simulator is m365sim with the bench's users and, in front of its
// connector, the per-app-per-tenant limit the simulator does not model
// (it models the per-thread limits).
type simulator struct {
	sim       *m365sim.Sim
	srv       *http.Server
	tenant    string
	appID     string
	users     []string
	convs     []string // personal conversations, one per user
	tenant429 atomic.Int64
}

func startSim(users int) (*simulator, error) {
	fx := directory.DemoFixture()
	s := &simulator{}
	for i := range fx.Tenants {
		ft := &fx.Tenants[i]
		if ft.DisplayName != "Contoso" {
			continue
		}
		s.tenant = ft.ID
		for j := range ft.Apps {
			ft.Apps[j].BotEndpoint = "http://127.0.0.1:9/api/messages" // never delivered to
			s.appID = ft.Apps[j].AppID
		}
		for n := range users {
			id := directory.GUID(fmt.Sprintf("bench/notify/user/%d", n))
			upn := fmt.Sprintf("bench.user%05d@contoso.onmicrosoft.com", n)
			ft.Users = append(ft.Users, directory.FixtureUser{User: directory.User{ID: id, DisplayName: fmt.Sprintf("Bench User %d", n),
				UserPrincipalName: upn, Mail: upn, UserType: "Member", AccountEnabled: true}})
			s.users = append(s.users, id)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if s.sim, err = m365sim.New(m365sim.Options{BaseURL: "http://" + ln.Addr().String(), Fixture: &fx}); err != nil {
		ln.Close()
		return nil, err
	}
	for _, u := range s.users {
		cv, err := s.sim.Bot.PersonalConversation(s.tenant, s.appID, u)
		if err != nil {
			ln.Close()
			return nil, err
		}
		s.convs = append(s.convs, cv.ID)
	}
	s.srv = &http.Server{Handler: s.limitTenant(s.sim.Handler()), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("simulator:", err)
		}
	}()
	return s, nil
}

func (s *simulator) close() { _ = s.srv.Shutdown(context.Background()) }

// limitTenant refuses connector calls beyond tenantRPS in any sliding
// second with 429 and Retry-After, as Teams does; refused calls do not
// count. The bench has one tenant and one bot, so one window serves.
func (s *simulator) limitTenant(next http.Handler) http.Handler {
	var mu sync.Mutex
	var recent []time.Time
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/connector/") {
			next.ServeHTTP(w, r)
			return
		}
		now := time.Now()
		mu.Lock()
		i := 0
		for i < len(recent) && !recent[i].After(now.Add(-time.Second)) {
			i++
		}
		recent = recent[i:]
		ok := len(recent) < tenantRPS
		if ok {
			recent = append(recent, now)
		}
		mu.Unlock()
		if !ok {
			s.tenant429.Add(1)
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":{"code":"Throttled","message":"Too many requests for this app in this tenant."}}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// delivery counts, per message text, the sends the connector accepted, and
// the 429s the per-thread limits answered.
func (s *simulator) delivery() (posted map[string]int, thread429 int) {
	posted = map[string]int{}
	for _, r := range s.sim.Bot.Calls() {
		switch {
		case r.Status == http.StatusTooManyRequests:
			thread429++
		case r.Method == http.MethodPost && r.Status == http.StatusCreated && r.Activity != nil:
			if text, ok := r.Activity["text"].(string); ok {
				posted[text]++
			}
		}
	}
	return posted, thread429
}
