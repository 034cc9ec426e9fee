package m365sim

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/stewardhq/steward/m365sim/directory"
)

// The app admin API registers credentials on app registrations, as an
// administrator does under "Certificates & secrets", so a standalone
// simulator can be set up for certificate authentication over HTTP:
//
//	POST /admin/apps/{appId}/certificates  {"tenantId": "...", "certificate": "<PEM or base64 DER>"}
//
// tenantId is the tenant id or its domain. The answer (201) carries the
// thumbprints a client puts in its assertions' x5t#S256 and x5t headers.
func (s *Sim) appAdminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /admin/apps/{appId}/certificates", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			TenantID    string `json:"tenantId"`
			Certificate string `json:"certificate"`
		}
		if err := decode(r, &body); err != nil {
			adminError(w, http.StatusBadRequest, "BadArgument", err.Error())
			return
		}
		if body.TenantID == "" || body.Certificate == "" {
			adminError(w, http.StatusBadRequest, "BadArgument", `send {"tenantId": "<tenant id or domain>", "certificate": "<PEM or base64 DER>"}`)
			return
		}
		t, ok := s.Dir.ResolveTenant(body.TenantID)
		if !ok {
			adminError(w, http.StatusNotFound, "NotFound", "tenant "+body.TenantID+" not found")
			return
		}
		appID := r.PathValue("appId")
		c, err := s.Dir.AddCertificate(t.ID, appID, body.Certificate)
		switch {
		case errors.Is(err, directory.ErrNotFound):
			adminError(w, http.StatusNotFound, "NotFound", err.Error())
			return
		case errors.Is(err, directory.ErrInvalid):
			adminError(w, http.StatusBadRequest, "BadArgument", err.Error())
			return
		case errors.Is(err, directory.ErrConflict):
			adminError(w, http.StatusConflict, "Conflict", err.Error())
			return
		case err != nil:
			adminError(w, http.StatusInternalServerError, "InternalError", err.Error())
			return
		}
		s1, s256 := sha1.Sum(c.Raw), sha256.Sum256(c.Raw)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"appId": appID, "tenantId": t.ID,
			// The thumbprint as the Entra admin center shows it.
			"thumbprint": strings.ToUpper(hex.EncodeToString(s1[:])),
			"x5t":        base64.RawURLEncoding.EncodeToString(s1[:]),
			"x5t#S256":   base64.RawURLEncoding.EncodeToString(s256[:]),
			"notBefore":  c.NotBefore.UTC(),
			"notAfter":   c.NotAfter.UTC(),
		})
	})
}
