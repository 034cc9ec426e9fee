package web

import (
	"net/http"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/trust"
)

// The trust center is public and generated from the running configuration
// (cmd builds the trust.Center from the same destinations the egress
// allowlist enforces). The downloads are the same model as JSON, text and
// a proxy auto-config file.

func (x *ui) trustRoutes() {
	x.page("GET /trust", x.trustPage)
	x.page("GET /trust/privacy", x.trustPrivacy)
	x.page("GET /trust/terms", x.trustTerms)
	x.page("GET /trust/steward-trust.json", x.trustJSON)
	x.page("GET /trust/steward-trust.txt", x.trustText)
	x.page("GET /trust/steward.pac", x.trustPAC)
}

func (x *ui) trustCenter() (*trust.Center, error) {
	if x.Trust == nil {
		return nil, governance.Errorf(governance.KindNotFound, "trust_center_unavailable", "this server publishes no trust center")
	}
	return x.Trust, nil
}

type trustData struct {
	C      *trust.Center
	Groups []trust.Group
}

func (x *ui) trustPage(w http.ResponseWriter, r *http.Request) error {
	c, err := x.trustCenter()
	if err != nil {
		return err
	}
	r = x.withVisitor(r)
	p := x.newPage(r, "", "trust")
	p.Title = p.T("Trust center")
	p.Data = trustData{C: c, Groups: c.Groups()}
	return x.render(w, "trust", p)
}

func (x *ui) trustPrivacy(w http.ResponseWriter, r *http.Request) error {
	c, err := x.trustCenter()
	if err != nil {
		return err
	}
	r = x.withVisitor(r)
	p := x.newPage(r, "", "trust")
	p.Title = p.T("Privacy")
	p.Data = trustData{C: c}
	return x.render(w, "trustprivacy", p)
}

func (x *ui) trustTerms(w http.ResponseWriter, r *http.Request) error {
	r = x.withVisitor(r)
	p := x.newPage(r, "", "trust")
	p.Title = p.T("Terms of use")
	return x.render(w, "trustterms", p)
}

func download(w http.ResponseWriter, ctype, name string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(body)
}

func (x *ui) trustJSON(w http.ResponseWriter, r *http.Request) error {
	c, err := x.trustCenter()
	if err != nil {
		return err
	}
	b, err := c.JSON()
	if err != nil {
		return err
	}
	download(w, "application/json; charset=utf-8", "steward-trust.json", b)
	return nil
}

func (x *ui) trustText(w http.ResponseWriter, r *http.Request) error {
	c, err := x.trustCenter()
	if err != nil {
		return err
	}
	download(w, "text/plain; charset=utf-8", "steward-trust.txt", []byte(c.Text()))
	return nil
}

// trustPAC serves the proxy auto-config file with the media type browsers
// and proxies expect for PAC files.
func (x *ui) trustPAC(w http.ResponseWriter, r *http.Request) error {
	c, err := x.trustCenter()
	if err != nil {
		return err
	}
	download(w, "application/x-ns-proxy-autoconfig", "steward.pac", []byte(c.PAC()))
	return nil
}
