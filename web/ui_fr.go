package web

// uiFrench translates the pages' English strings (the keys) into French.
// Each area keeps its own table: uiFrenchPages (ui_fr_pages.go: sign-in,
// tabs, help), uiFrenchCatalog (ui_fr_catalog.go), uiFrenchAdmin
// (ui_fr_admin.go: admin center, subscription, trust center).
var uiFrench = mergeUIStrings(uiFrenchPages, uiFrenchCatalog, uiFrenchAdmin)

func mergeUIStrings(tables ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, t := range tables {
		for k, v := range t {
			out[k] = v
		}
	}
	return out
}
