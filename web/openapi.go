package web

import (
	_ "embed"
	"net/http"

	"github.com/stewardhq/steward/governance"
)

// openAPIDocument describes /api/v1. It is generated from the route table
// (go test ./web -run TestOpenAPIDocumentIsCurrent -update), linted by
// Redocly in CI, and served as is.
//
//go:embed openapi.json
var openAPIDocument []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDocument)
	return nil
}

// stateSchema is the JSON schema of a request state.
func stateSchema() map[string]any {
	return map[string]any{"type": "string", "enum": []governance.RequestState{
		governance.StateDraft, governance.StatePending, governance.StateApproved, governance.StateRejected,
		governance.StateProvisioning, governance.StateCompleted, governance.StateFailed, governance.StateCancelled,
	}}
}
