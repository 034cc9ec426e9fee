package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSimCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"steward", "sim", "--listen", "127.0.0.1:0", "--seed", "7"}, envFrom(nil), &stdout, &stderr)
	}()
	inspect := regexp.MustCompile(`Inspect:\s+(http://\S+)`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && url == ""; time.Sleep(10 * time.Millisecond) {
		if m := inspect.FindStringSubmatch(stdout.String()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatalf("steward sim announced no URL:\n%s\n%s", stdout.String(), stderr.String())
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("inspect page: %d", resp.StatusCode)
	}
	for _, want := range []string{"Entra (login_url):", "Graph (graph_url):", "Bot OpenID metadata", "Tenant Contoso", "Tenant Fabrikam"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sim returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sim did not stop")
	}
}

func TestSimRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "fixture.json")
	_ = os.WriteFile(bad, []byte(`{"tenants":[{"id":"x","domian":"typo"}]}`), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"off loopback", []string{"--listen", "0.0.0.0:0"}, "loopback only"},
		{"fixture typo", []string{"--listen", "127.0.0.1:0", "--fixture", bad}, "unknown field"},
		{"faults not JSON", []string{"--listen", "127.0.0.1:0", "--faults", "rate429=1"}, "--faults"},
		{"fault rate out of range", []string{"--listen", "127.0.0.1:0", "--faults", `{"rate429": 2}`}, "rate429"},
		{"missing fixture", []string{"--listen", "127.0.0.1:0", "--fixture", filepath.Join(dir, "none.json")}, "--fixture"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			err := run(context.Background(), append([]string{"steward", "sim"}, tt.args...), envFrom(nil), &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
