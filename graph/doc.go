// Package graph is Steward's Microsoft Graph client, hand-written on
// net/http (see DESIGN.md: the official SDK costs minutes of build time for
// the twenty calls Steward makes).
//
// One Client serves every tenant. It gets app-only tokens by the client
// credentials grant (secret or certificate) and delegated ones on behalf of
// a signed-in user, caches both, and spends each tenant's per-operation
// budget before it sends, so that Graph's 429 is the exception rather than
// the control loop. When Graph throttles or fails anyway it honours
// Retry-After, and retries only what is safe to send twice.
//
// The same code talks to Microsoft and to m365sim: only the base URLs
// differ.
package graph
