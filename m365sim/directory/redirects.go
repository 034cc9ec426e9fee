package directory

import (
	"fmt"
	"slices"
)

// AddRedirectURI adds uri to the redirect URIs of appID in every tenant
// that registers it (as an administrator would in the app registration),
// and says in how many. Adding one already there changes nothing.
func (d *Directory) AddRedirectURI(appID, uri string) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, ts := range d.tenants {
		if a, ok := ts.apps[appID]; ok {
			if !slices.Contains(a.RedirectURIs, uri) {
				a.RedirectURIs = append(a.RedirectURIs, uri)
			}
			n++
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("%w: app %s is not registered in any tenant", ErrNotFound, appID)
	}
	return n, nil
}
