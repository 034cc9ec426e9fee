package web

// catalogRoutes registers the Catalog tab's pages.
func (x *ui) catalogRoutes() {}
