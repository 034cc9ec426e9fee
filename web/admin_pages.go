package web

// AdminServices are the admin center's services.
type AdminServices struct{}

// adminRoutes registers the admin center's pages.
func (x *ui) adminRoutes() {}
