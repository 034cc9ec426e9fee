package trust

import (
	"slices"
	"time"

	"github.com/stewardhq/steward/edge"
)

// The accessors the trust center web page renders from. They return
// copies: a Center never changes.

// Permissions are the Microsoft Graph permissions, application first.
func (c *Center) Permissions() []Permission { return slices.Clone(c.in.GraphPermissions) }

// Data is the data-management table.
func (c *Center) Data() []DataCategory { return slices.Clone(c.in.Data) }

// TLS is the TLS policy.
func (c *Center) TLS() edge.TLSPolicy { return c.in.TLS }

// Certificates says where the HTTPS certificate comes from; "" when the
// configuration did not say.
func (c *Center) Certificates() string { return c.in.Certificates }

// Measures are the security measures.
func (c *Center) Measures() []Measure { return slices.Clone(c.in.Measures) }

// GeneratedAt is when the center was built (the server's start).
func (c *Center) GeneratedAt() time.Time { return c.in.GeneratedAt }

// Version is the Steward version the center describes.
func (c *Center) Version() string { return c.in.Version }
