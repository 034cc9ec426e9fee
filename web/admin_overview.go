package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/stewardhq/steward/governance"
)

// seatWindow is how far back a person's use of Steward takes a seat.
const seatWindow = 30 * 24 * time.Hour

type stateCount struct {
	State governance.RequestState
	Label string
	Count int
}

type adminHomeData struct {
	adminChrome
	System   SystemStatus
	Ready    bool
	Requests []stateCount
	Total    int
	Failed   int
}

// adminHome is the overview: system information and the tenant's requests
// by state. An integration manager who is not an administrator is sent to
// the part that is theirs.
func (x *ui) adminHome(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdminRole(r, governance.RoleAdministrator); err != nil {
		if requireAdminRole(r, governance.RoleIntegrationManager) == nil {
			http.Redirect(w, r, "/admin/integrations", http.StatusSeeOther)
			return nil
		}
		return err
	}
	if x.Admin == nil {
		return governance.Errorf(governance.KindUnavailable, "admin_center_unavailable", "the admin center is not set up on this server")
	}
	v := visitorFrom(r.Context())
	sys, err := x.Admin.System.SystemStatus(r.Context(), v.p)
	if err != nil {
		return err
	}
	counts, err := x.Admin.Usage.RequestCounts(r.Context(), v.p)
	if err != nil {
		return err
	}
	p, chrome := x.adminPage(r, "Admin center", "overview")
	d := adminHomeData{adminChrome: chrome, System: sys, Ready: true, Failed: counts[governance.StateFailed]}
	for _, c := range sys.Checks {
		d.Ready = d.Ready && c.OK
	}
	for _, st := range []governance.RequestState{governance.StatePending, governance.StateApproved, governance.StateProvisioning,
		governance.StateCompleted, governance.StateFailed, governance.StateRejected, governance.StateCancelled, governance.StateDraft} {
		d.Requests = append(d.Requests, stateCount{State: st, Label: p.T(stateLabel(st)), Count: counts[st]})
		d.Total += counts[st]
	}
	p.Data = d
	return x.render(w, "admin", p)
}

type adminSubscriptionData struct {
	adminChrome
	BillingEnabled bool
	SeatsUsed      int
	Since          time.Time
}

// adminSubscription shows the plan and the seats used. Steward has no
// billing provider yet: every installation is unlimited.
func (x *ui) adminSubscription(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	since := x.Now().Add(-seatWindow)
	used, err := x.Admin.Usage.ActivePeople(r.Context(), v.p, since)
	if err != nil {
		return err
	}
	p, chrome := x.adminPage(r, "Subscription", "subscription")
	p.Data = adminSubscriptionData{adminChrome: chrome, SeatsUsed: used, Since: since}
	return x.render(w, "adminsubscription", p)
}

// policyRow summarizes one template's policies.
type policyRow struct {
	Template  governance.Template
	Approval  string
	Naming    string
	Guests    string
	Lifecycle string
	Members   string
}

type adminPoliciesData struct {
	adminChrome
	Rows []policyRow
}

// adminPolicies lists each template's governance policies: Steward keeps
// them per template (there is no tenant-wide policy), so they are edited
// in the Catalog tab.
func (x *ui) adminPolicies(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	ts, err := x.api.Read.Catalog(r.Context(), v.p, true)
	if err != nil {
		return err
	}
	p, chrome := x.adminPage(r, "Policies", "policies")
	d := adminPoliciesData{adminChrome: chrome}
	for _, t := range ts {
		d.Rows = append(d.Rows, summarizePolicies(p, t))
	}
	p.Data = d
	return x.render(w, "adminpolicies", p)
}

func summarizePolicies(p Page, t governance.Template) policyRow {
	pol := t.Policies
	row := policyRow{Template: t}
	switch a := pol.Approval; {
	case !a.Required():
		row.Approval = p.T("No approval")
	default:
		row.Approval = p.T("%d stage(s)", len(a.Stages))
		if a.ReminderAfterHours > 0 {
			row.Approval += "; " + p.T("reminder after %d h", a.ReminderAfterHours)
		}
		if a.EscalateAfterHours > 0 {
			row.Approval += "; " + p.T("escalation after %d h", a.EscalateAfterHours)
		}
	}
	if len(pol.Approval.AutoApprove) > 0 {
		row.Approval += "; " + p.T("%d auto-approval rule(s)", len(pol.Approval.AutoApprove))
	}
	n := pol.Naming
	switch {
	case n.Prefix == "" && n.Suffix == "" && len(n.BlockedWords) == 0:
		row.Naming = p.T("None")
	default:
		row.Naming = n.Prefix + "…" + n.Suffix
		if len(n.BlockedWords) > 0 {
			row.Naming += "; " + p.T("%d blocked word(s)", len(n.BlockedWords))
		}
	}
	switch g := pol.Guests; {
	case !g.Allowed:
		row.Guests = p.T("Not allowed")
	case len(g.AllowedDomains) == 0:
		row.Guests = p.T("Allowed from any domain")
	default:
		row.Guests = p.T("Allowed from %d domain(s)", len(g.AllowedDomains))
	}
	l := pol.Lifecycle
	switch {
	case l.ExpireAfterDays == 0 && l.InactivityDays == 0:
		row.Lifecycle = p.T("Never expires")
	case l.ExpireAfterDays == 0:
		row.Lifecycle = p.T("Inactive after %d days", l.InactivityDays)
	default:
		row.Lifecycle = p.T("Expires after %d days", l.ExpireAfterDays)
		if l.InactivityDays > 0 {
			row.Lifecycle += "; " + p.T("inactive after %d days", l.InactivityDays)
		}
	}
	m := pol.Membership
	row.Members = p.T("At least %d owner(s), %d member(s)", m.MinOwners, m.MinMembers)
	if k := len(m.PermanentOwners) + len(m.PermanentMembers); k > 0 {
		row.Members += "; " + p.T("%d permanent", k)
	}
	return row
}

// maxUpload bounds an admin upload: a CRM import file (the connector's
// own limit is 20 MB) with the form around it.
const maxUpload = 21 << 20

// adminUpload is adminOnly for a multipart form with a file: the body may
// be larger than a plain form's, and the form is read before the CSRF
// check so that an oversized file is reported as such.
func (x *ui) adminUpload(role governance.Role, fn HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v, err := x.visitorOf(r)
		if err != nil {
			return err
		}
		if !v.ok {
			return governance.Errorf(governance.KindUnauthenticated, "session_required", "your session has ended; sign in again")
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
		if err := r.ParseMultipartForm(maxUpload); err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				return governance.Errorf(governance.KindInvalid, "upload_too_large", "the file is larger than %d MB: split it into several files", maxUpload>>20-1)
			}
			return governance.Errorf(governance.KindInvalid, "upload_invalid", "the form could not be read; choose the file again and send it")
		}
		defer func() { _ = r.MultipartForm.RemoveAll() }()
		if err := checkCSRF(r, v); err != nil {
			return err
		}
		r = r.WithContext(contextWithVisitor(r.Context(), v))
		if err := requireAdminRole(r, role); err != nil {
			return err
		}
		if x.Admin == nil {
			return governance.Errorf(governance.KindUnavailable, "admin_center_unavailable", "the admin center is not set up on this server")
		}
		return fn(w, r)
	}
}
