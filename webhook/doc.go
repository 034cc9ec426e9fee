// Package webhook sends Steward's outgoing webhooks: events a tenant
// subscribed to, signed per the Standard Webhooks specification
// (webhook-id, webhook-timestamp, webhook-signature), delivered by durable
// jobs that retry with exponential backoff, each attempt recorded in a
// delivery log.
//
// Signing secrets live only in the vault (name "webhooks/<subscription id>");
// the database holds subscriptions and deliveries, never a secret. Deliveries
// go out through edge.Guard, so an endpoint cannot point Steward at a
// private, loopback or link-local address, whatever its DNS says.
package webhook
