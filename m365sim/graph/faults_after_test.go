package graph

import "testing"

// TestLostAfter: with LostAfterRate 1 an injected 504 comes after the
// request was carried out, so the group exists although its creator got
// 504; with 0 it comes before, and nothing was made.
func TestLostAfter(t *testing.T) {
	for _, tc := range []struct {
		name    string
		after   float64
		created bool
	}{{"after", 1, true}, {"before", 0, false}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *Options) { o.Faults = FaultConfig{Rate504: 1, LostAfterRate: tc.after} })
			e.do("POST", "/v1.0/groups", "app-a", map[string]any{"displayName": "Lost", "mailNickname": "lost", "mailEnabled": true,
				"securityEnabled": false, "groupTypes": []string{"Unified"}, "owners@odata.bind": []string{userBind(alice.ID)}}).want(t, 504, "gatewayTimeout")
			e.g.SetFaults(FaultConfig{})
			n := len(e.do("GET", "/v1.0/groups?$filter=displayName%20eq%20'Lost'", "app-a", nil).want(t, 200).values())
			if (n == 1) != tc.created || n > 1 {
				t.Fatalf("%d groups named Lost after a 504 injected %s", n, tc.name)
			}
		})
	}
}
