package graph

import (
	"strings"
	"testing"
)

// TestGroupPhoto: PUT /groups/{id}/photo/$value stores a JPEG or PNG of up
// to 4 MB (200), GET returns it, and everything else is refused as Graph
// does: another content type, an empty or oversized body, another tenant's
// group, a missing permission; a group without a photo is ImageNotFound.
func TestGroupPhoto(t *testing.T) {
	e := newEnv(t, nil)
	gid := e.do("POST", "/v1.0/groups", "app-a", map[string]any{"displayName": "Pics", "mailNickname": "pics", "mailEnabled": true,
		"securityEnabled": false, "groupTypes": []string{"Unified"}, "owners@odata.bind": []string{userBind(alice.ID)}}).want(t, 201).str("id")
	photo := "/v1.0/groups/" + gid + "/photo/$value"
	e.do("GET", photo, "app-a", nil).want(t, 404, "ImageNotFound")
	tests := []struct {
		name, token, ctype, body string
		status                   int
		code                     string
	}{
		{"png", "app-a", "image/png", "\x89PNG fake", 200, ""},
		{"gif refused", "app-a", "image/gif", "GIF89a", 400, "ErrorInvalidImage"},
		{"empty", "app-a", "image/jpeg", "", 400, "ErrorInvalidImage"},
		{"too big", "app-a", "image/jpeg", strings.Repeat("x", 4<<20+1), 413, "ErrorRequestEntityTooLarge"},
		{"other tenant", "app-b", "image/png", "x", 404, "Request_ResourceNotFound"},
		{"without permission", "app-weak", "image/png", "x", 403, "Authorization_RequestDenied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.do("PUT", photo, tc.token, tc.body, "Content-Type", tc.ctype).want(t, tc.status, tc.code)
		})
	}
	r := e.do("GET", photo, "app-a", nil).want(t, 200)
	if string(r.raw) != "\x89PNG fake" {
		t.Fatalf("photo = %q", r.raw)
	}
	if ct, data, ok := e.g.GroupPhoto(tenantA, gid); !ok || ct != "image/png" || string(data) != "\x89PNG fake" {
		t.Fatalf("GroupPhoto = %q %q %v", ct, data, ok)
	}
}
