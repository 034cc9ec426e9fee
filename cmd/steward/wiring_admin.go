package main

import "github.com/stewardhq/steward/web"

// wireAdmin builds the admin center's services.
func (a *app) wireAdmin(s *services) (*web.AdminServices, error) {
	return &web.AdminServices{}, nil
}
