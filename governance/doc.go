// Package governance is Steward's domain: tenants, templates, requests,
// approvals, policies, roles and the audit trail, with the error kinds every
// other package reports through. It imports only the standard library; the
// adapters (store, cache, vault, graph, ...) depend on it, never the reverse.
package governance
