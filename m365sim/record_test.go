package m365sim

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestRecorderSeesCallsAndBatchParts(t *testing.T) {
	rec := &Recorder{}
	srv, err := Listen("127.0.0.1:0", Options{Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	tenant := srv.Dir.Tenants()[0]
	apps, _ := srv.Dir.Apps(tenant.ID)
	users, _ := srv.Dir.Users(tenant.ID)
	tok, err := srv.Entra.IssueAppToken(tenant.ID, apps[0].AppID, "https://graph.microsoft.com/.default")
	if err != nil {
		t.Fatal(err)
	}
	send := func(method, path, body string, auth bool) int {
		t.Helper()
		req, _ := http.NewRequest(method, srv.GraphURL()+path, strings.NewReader(body))
		if auth {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	send("GET", "/v1.0/users/"+users[0].ID+"?$select=id", "", true)
	send("GET", "/v1.0/users/"+users[0].ID, "", false)
	send("POST", "/v1.0/$batch", `{"requests":[{"id":"1","method":"GET","url":"/users/`+users[0].ID+`"},{"id":"2","method":"get","url":"groups/nope?$select=id"}]}`, true)

	got := rec.Calls()
	want := []Call{
		{Service: "graph", Method: "GET", Path: "/users/" + users[0].ID, Status: 200},
		{Service: "graph", Method: "GET", Path: "/users/" + users[0].ID, Status: 401},
		{Service: "graph", Method: "POST", Path: "/$batch", Status: 200},
		{Service: "graph", Method: "GET", Path: "/users/" + users[0].ID, Status: 200, Batched: true},
		{Service: "graph", Method: "GET", Path: "/groups/nope", Status: 404, Batched: true},
	}
	if len(got) != len(want) {
		t.Fatalf("calls %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("call %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestClassify(t *testing.T) {
	for in, want := range map[string][2]string{
		"/graph/v1.0/teams":                 {"graph", "/teams"},
		"/login/t/oauth2/v2.0/token":        {"login", "/t/oauth2/v2.0/token"},
		"/botframework/v1/.well-known/keys": {"botframework", "/v1/.well-known/keys"},
		"/connector/teams/v3/conversations": {"connector", "/teams/v3/conversations"},
		"/inspect":                          {"other", "/inspect"},
	} {
		if s, p := classify(in); s != want[0] || p != want[1] {
			t.Errorf("classify(%s) = %s %s", in, s, p)
		}
	}
}
