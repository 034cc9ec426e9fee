package governance

import (
	"strings"
	"testing"
)

func TestValidateWebhookURL(t *testing.T) {
	tests := []struct {
		url     string
		dev     bool
		ok      bool
		message string // fragment of the message when refused
	}{
		{"https://hooks.example.com/steward", false, true, ""},
		{"https://hooks.example.com:8443/a?b=c", false, true, ""},
		{"https://93.184.215.14/hook", false, true, ""},
		{"http://127.0.0.1:8080/hook", true, true, ""},
		{"http://localhost:8080/hook", true, true, ""},
		{"http://[::1]:8080/hook", true, true, ""},
		{"https://127.0.0.1/hook", true, true, ""},
		{"", false, false, "enter the https:// URL"},
		{"http://hooks.example.com/", false, false, "use https://"},
		{"http://hooks.example.com/", true, false, "use https://"},
		{"http://127.0.0.1:8080/hook", false, false, "use https://"},
		{"https://127.0.0.1/hook", false, false, "not a public address"},
		{"https://localhost/hook", false, false, "this machine"},
		{"https://10.1.2.3/hook", false, false, "not a public address"},
		{"https://169.254.169.254/latest/meta-data", false, false, "not a public address"},
		{"https://169.254.169.254/latest/meta-data", true, false, "not a public address"},
		{"https://[::ffff:192.168.1.1]/", false, false, "not a public address"},
		{"https://[fe80::1]/", false, false, "not a public address"},
		{"ftp://hooks.example.com/", false, false, "scheme"},
		{"/relative/path", false, false, "absolute URL"},
		{"hooks.example.com/path", false, false, "absolute URL"},
		{"https://user:pass@hooks.example.com/", false, false, "user name and password"},
		{"https://hooks.example.com/#frag", false, false, "fragment"},
		{"https://hooks.example.com/" + strings.Repeat("a", MaxWebhookURLLength), false, false, "limit is 2048"},
		{"https://:443/", false, false, "no host"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := ValidateWebhookURL(tt.url, tt.dev)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidateWebhookURL(%q, dev=%v) = %v, want ok=%v", tt.url, tt.dev, err, tt.ok)
			}
			if err != nil {
				if KindOf(err) != KindInvalid {
					t.Fatalf("kind = %v", KindOf(err))
				}
				if _, msg := Public(err); !strings.Contains(msg, tt.message) {
					t.Fatalf("message %q does not say %q", msg, tt.message)
				}
			}
		})
	}
}

func TestWebhookSubscriptionValidate(t *testing.T) {
	ok := WebhookSubscription{TenantID: "contoso", ID: "wh1", URL: "https://hooks.example.com", Events: []WebhookEvent{EventRequestCreated, EventTeamArchived}}
	if err := ok.Validate(false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(*WebhookSubscription)
		message string
	}{
		{"no events", func(s *WebhookSubscription) { s.Events = nil }, "at least one event"},
		{"unknown event", func(s *WebhookSubscription) { s.Events = []WebhookEvent{"team.exploded"} }, `unknown event "team.exploded"`},
		{"star with others", func(s *WebhookSubscription) { s.Events = []WebhookEvent{EventAll, EventTeamArchived} }, "every event"},
		{"duplicate", func(s *WebhookSubscription) { s.Events = []WebhookEvent{EventTeamArchived, EventTeamArchived} }, "twice"},
		{"no tenant", func(s *WebhookSubscription) { s.TenantID = "" }, "tenant"},
		{"bad url", func(s *WebhookSubscription) { s.URL = "http://hooks.example.com" }, "https"},
		{"long description", func(s *WebhookSubscription) { s.Description = strings.Repeat("d", 501) }, "limit is 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.edit(&s)
			err := s.Validate(false)
			if KindOf(err) != KindInvalid {
				t.Fatalf("Validate = %v, want KindInvalid", err)
			}
			if _, msg := Public(err); !strings.Contains(msg, tt.message) {
				t.Fatalf("message %q does not say %q", msg, tt.message)
			}
		})
	}
	all := ok
	all.Events = []WebhookEvent{EventAll}
	all.Enabled = true
	if !all.Matches(EventMembershipRepaired) || ok.Matches(EventTeamArchived) /* disabled */ {
		t.Fatal("Matches")
	}
	ok.Enabled = true
	if !ok.Matches(EventTeamArchived) || ok.Matches(EventRequestApproved) {
		t.Fatal("Matches explicit")
	}
	for _, e := range WebhookEvents {
		if !e.Valid() || strings.ToLower(string(e)) != string(e) {
			t.Fatalf("event %q", e)
		}
	}
	if EventAll.Valid() {
		t.Fatal(`"*" is not a concrete event`)
	}
}
