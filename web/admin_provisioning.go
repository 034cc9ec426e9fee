package web

import (
	"net/http"

	"github.com/stewardhq/steward/governance"
)

type adminProvisioningData struct {
	adminChrome
	Items []governance.Request
	Next  string
}

// adminProvisioning lists the requests whose provisioning failed, with the
// reason, and a Retry for each.
func (x *ui) adminProvisioning(w http.ResponseWriter, r *http.Request) error {
	return x.renderProvisioning(w, r, "", http.StatusOK)
}

func (x *ui) renderProvisioning(w http.ResponseWriter, r *http.Request, errMsg string, status int) error {
	v := visitorFrom(r.Context())
	page, err := pageParam(r)
	if err != nil {
		return err
	}
	res, err := x.api.Read.AllRequests(r.Context(), v.p, []governance.RequestState{governance.StateFailed}, page)
	if err != nil {
		return err
	}
	p, chrome := x.adminPage(r, "Failed provisionings", "provisioning")
	chrome.Error = errMsg
	p.Data = adminProvisioningData{adminChrome: chrome, Items: res.Items, Next: nextQuery(res.Next, "")}
	p.Status = status
	return x.render(w, "adminprovisioning", p)
}

// adminRetry starts a failed provisioning again.
func (x *ui) adminRetry(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	ed, err := x.editor()
	if err != nil {
		return err
	}
	version, err := formVersion(r)
	if err == nil {
		_, err = ed.RetryProvisioning(r.Context(), v.p, r.PathValue("id"), version)
	}
	if err != nil {
		if msg, status, ok := x.formRefusal(r, err); ok {
			return x.renderProvisioning(w, r, msg, status)
		}
		return err
	}
	http.Redirect(w, r, "/admin/provisioning?done=retried", http.StatusSeeOther)
	return nil
}
