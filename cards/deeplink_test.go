package cards

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestDeepLinks(t *testing.T) {
	const (
		group  = "72602e12-78ac-474c-99d6-f619710353a9"
		tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
		app    = "fe4a8eba-2a31-4737-8e33-e5fae6fee194"
	)
	steward := Steward{AppID: app, BaseURL: "https://steward.example.com/"}
	cases := []struct {
		name  string
		link  func() (string, error)
		want  string
		path  []string          // decoded path segments after /l/
		query map[string]string // decoded query values
	}{
		{
			name:  "team",
			link:  func() (string, error) { return TeamLink("19:TWLPKo8lD4v8zDxyw4FnDYY@thread.tacv2", group, tenant) },
			want:  "https://teams.microsoft.com/l/team/19%3ATWLPKo8lD4v8zDxyw4FnDYY%40thread.tacv2/conversations?groupId=" + group + "&tenantId=" + tenant,
			path:  []string{"team", "19:TWLPKo8lD4v8zDxyw4FnDYY@thread.tacv2", "conversations"},
			query: map[string]string{"groupId": group, "tenantId": tenant},
		},
		{
			name: "channel with a slash and accents in its name",
			link: func() (string, error) {
				return ChannelLink("19:9be3de4e70874c71a608dee9ba803ed3@thread.tacv2", "Sales / Ventes & co", group, tenant)
			},
			want:  "https://teams.microsoft.com/l/channel/19%3A9be3de4e70874c71a608dee9ba803ed3%40thread.tacv2/Sales%20%2F%20Ventes%20%26%20co?groupId=" + group + "&tenantId=" + tenant,
			path:  []string{"channel", "19:9be3de4e70874c71a608dee9ba803ed3@thread.tacv2", "Sales / Ventes & co"},
			query: map[string]string{"groupId": group, "tenantId": tenant},
		},
		{
			name: "chat",
			link: func() (string, error) {
				return ChatLink([]string{"joe@contoso.com", "bob@contoso.com"}, "Prep For Meeting Tomorrow", "Hi folks, kicking off a chat")
			},
			want:  "https://teams.microsoft.com/l/chat/0/0?users=joe%40contoso.com,bob%40contoso.com&topicName=Prep%20For%20Meeting%20Tomorrow&message=Hi%20folks%2C%20kicking%20off%20a%20chat",
			path:  []string{"chat", "0", "0"},
			query: map[string]string{"users": "joe@contoso.com,bob@contoso.com", "topicName": "Prep For Meeting Tomorrow", "message": "Hi folks, kicking off a chat"},
		},
		{
			name:  "chat without topic or message",
			link:  func() (string, error) { return ChatLink([]string{"joe@contoso.com"}, "", "") },
			want:  "https://teams.microsoft.com/l/chat/0/0?users=joe%40contoso.com",
			path:  []string{"chat", "0", "0"},
			query: map[string]string{"users": "joe@contoso.com"},
		},
		{
			name: "configurable tab in a channel",
			link: func() (string, error) {
				return TabLink(app, "tasklist123", TabOptions{WebURL: "https://tasklist.example.com/123/456&label=x", Label: "Task 456",
					SubEntityID: "task456", ChannelID: "19:cbe3683f25094106b826c9cada3afbe0@thread.skype"})
			},
			want: "https://teams.microsoft.com/l/entity/" + app + "/tasklist123?webUrl=https%3A%2F%2Ftasklist.example.com%2F123%2F456%26label%3Dx&label=Task%20456" +
				"&context=%7B%22subEntityId%22%3A%22task456%22%2C%22channelId%22%3A%2219%3Acbe3683f25094106b826c9cada3afbe0%40thread.skype%22%7D",
			path: []string{"entity", app, "tasklist123"},
			query: map[string]string{"webUrl": "https://tasklist.example.com/123/456&label=x", "label": "Task 456",
				"context": `{"subEntityId":"task456","channelId":"19:cbe3683f25094106b826c9cada3afbe0@thread.skype"}`},
		},
		{
			name:  "bare tab",
			link:  func() (string, error) { return TabLink(app, "home", TabOptions{}) },
			want:  "https://teams.microsoft.com/l/entity/" + app + "/home",
			path:  []string{"entity", app, "home"},
			query: map[string]string{},
		},
		{
			name: "Steward request",
			link: func() (string, error) { return steward.Request("req 42/\"x\"", "Request 42") },
			want: "https://teams.microsoft.com/l/entity/" + app + "/requests?webUrl=https%3A%2F%2Fsteward.example.com%2Ftabs%2Frequests%3Fid%3Dreq%252042%252F%2522x%2522" +
				"&label=Request%2042&context=%7B%22subEntityId%22%3A%22req%2042%2F%5C%22x%5C%22%22%7D",
			path: []string{"entity", app, "requests"},
			query: map[string]string{"webUrl": "https://steward.example.com/tabs/requests?id=req%2042%2F%22x%22", "label": "Request 42",
				"context": `{"subEntityId":"req 42/\"x\""}`},
		},
		{
			name:  "Steward catalog with tenant",
			link:  func() (string, error) { return Steward{AppID: app, TenantID: tenant}.Tab(TabCatalog, "", "") },
			want:  "https://teams.microsoft.com/l/entity/" + app + "/catalog?tenantId=" + tenant,
			path:  []string{"entity", app, "catalog"},
			query: map[string]string{"tenantId": tenant},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.link()
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("link\n got %s\nwant %s", got, c.want)
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			if u.Scheme != "https" || u.Host != "teams.microsoft.com" {
				t.Fatalf("link goes to %s://%s", u.Scheme, u.Host)
			}
			// Split the escaped path: a decoded "/" in a channel name must
			// not make a segment of its own.
			segs := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/l/"), "/")
			if len(segs) != len(c.path) {
				t.Fatalf("path segments %q, want %q", segs, c.path)
			}
			for i, s := range segs {
				if d, err := url.PathUnescape(s); err != nil || d != c.path[i] {
					t.Errorf("segment %d = %q (%v), want %q", i, d, err, c.path[i])
				}
			}
			q := u.Query()
			if len(q) != len(c.query) {
				t.Errorf("query %v, want keys of %v", q, c.query)
			}
			for k, want := range c.query {
				if got := q.Get(k); got != want {
					t.Errorf("query %s = %q, want %q", k, got, want)
				}
			}
			if ctx := q.Get("context"); ctx != "" && !json.Valid([]byte(ctx)) {
				t.Errorf("context %q is not JSON", ctx)
			}
		})
	}
}

func TestDeepLinkErrors(t *testing.T) {
	cases := []struct {
		name string
		link func() (string, error)
	}{
		{"team without tenant", func() (string, error) { return TeamLink("19:a@thread.tacv2", "g", "") }},
		{"channel without name", func() (string, error) { return ChannelLink("19:a@thread.tacv2", "", "g", "t") }},
		{"chat without users", func() (string, error) { return ChatLink(nil, "topic", "") }},
		{"chat with a comma in a user", func() (string, error) { return ChatLink([]string{"a,b@contoso.com"}, "", "") }},
		{"tab without app", func() (string, error) { return TabLink("", "home", TabOptions{}) }},
		{"unknown Steward tab", func() (string, error) { return Steward{AppID: "a"}.Tab("settings", "", "") }},
		{"request without id", func() (string, error) { return Steward{AppID: "a"}.Request("", "") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			link, err := c.link()
			if !errors.Is(err, ErrInvalid) || link != "" {
				t.Fatalf("got %q, %v; want ErrInvalid", link, err)
			}
		})
	}
}
