package directory

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestAddRedirectURI(t *testing.T) {
	d := New(time.Now)
	if err := d.AddTenant(Tenant{ID: "t1", DisplayName: "T1", Domain: "t1.example"}); err != nil {
		t.Fatal(err)
	}
	if err := d.AddApp("t1", App{AppID: "app", RedirectURIs: []string{"https://a/cb"}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		n, err := d.AddRedirectURI("app", "http://127.0.0.1:5000/auth/callback")
		if err != nil || n != 1 {
			t.Fatalf("AddRedirectURI = %d, %v", n, err)
		}
	}
	a, _ := d.App("t1", "app")
	if !slices.Equal(a.RedirectURIs, []string{"https://a/cb", "http://127.0.0.1:5000/auth/callback"}) {
		t.Errorf("redirect URIs %q", a.RedirectURIs)
	}
	if _, err := d.AddRedirectURI("nope", "https://x/cb"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown app: %v", err)
	}
}
