package web

import (
	"net/http"
	"strings"

	"github.com/stewardhq/steward/governance"
)

// The help center is public: people read it before they can sign in.

type helpData struct {
	Pages []HelpPage
	Page  HelpPage
	Query string
	Hits  []HelpHit
}

func (x *ui) helpCenter() (*HelpCenter, error) {
	if x.Help == nil {
		return nil, governance.Errorf(governance.KindNotFound, "help_unavailable", "this server has no help center")
	}
	return x.Help, nil
}

func (x *ui) withVisitor(r *http.Request) *http.Request {
	v, err := x.visitorOf(r)
	if err != nil || !v.ok {
		return r
	}
	return r.WithContext(contextWithVisitor(r.Context(), v))
}

func (x *ui) helpIndex(w http.ResponseWriter, r *http.Request) error {
	hc, err := x.helpCenter()
	if err != nil {
		return err
	}
	r = x.withVisitor(r)
	p := x.newPage(r, "", "help")
	p.Title = p.T("Help center")
	p.Data = helpData{Pages: hc.Pages()}
	return x.render(w, "help", p)
}

func (x *ui) helpPage(w http.ResponseWriter, r *http.Request) error {
	hc, err := x.helpCenter()
	if err != nil {
		return err
	}
	r = x.withVisitor(r)
	pg, ok := hc.Page(r.PathValue("slug"))
	if !ok {
		return governance.Errorf(governance.KindNotFound, "help_page_not_found",
			"the help center has no guide %q; see the list of guides", r.PathValue("slug"))
	}
	p := x.newPage(r, pg.Title, "help")
	p.Data = helpData{Pages: hc.Pages(), Page: pg}
	return x.render(w, "helppage", p)
}

// helpSearchLimit is how many sections a search lists.
const helpSearchLimit = 20

func (x *ui) helpSearch(w http.ResponseWriter, r *http.Request) error {
	hc, err := x.helpCenter()
	if err != nil {
		return err
	}
	r = x.withVisitor(r)
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	p := x.newPage(r, "", "help")
	p.Title = p.T("Search the help center")
	p.Data = helpData{Pages: hc.Pages(), Query: q, Hits: hc.Search(q, helpSearchLimit)}
	return x.render(w, "helpsearch", p)
}
