package governance

// ProvisionRequest is the durable job that turns an approved request into a
// team. It satisfies River's JobArgs and jobs.TenantJob structurally, so the
// domain declares it without importing the job queue; the provision package
// registers its worker.
type ProvisionRequest struct {
	TenantID  string `json:"tenant_id"`
	RequestID string `json:"request_id"`
	// Attempt distinguishes an administrator's retry from the first run, so
	// the queue's uniqueness (which remembers finished jobs) never swallows it.
	Attempt int `json:"attempt"`
}

// Kind names the job in the queue.
func (ProvisionRequest) Kind() string { return "provision_request" }

// JobTenant is the tenant the job acts for.
func (p ProvisionRequest) JobTenant() string { return p.TenantID }
