package directory

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Fixture is the JSON a directory is seeded from (`steward sim --fixture`).
// Group owners and members name users by userPrincipalName.
type Fixture struct {
	Tenants []FixtureTenant `json:"tenants"`
}

// FixtureTenant is one tenant of a fixture.
type FixtureTenant struct {
	Tenant
	Users  []FixtureUser  `json:"users"`
	Groups []FixtureGroup `json:"groups"`
	Apps   []App          `json:"apps"`
}

// FixtureUser is a user with the Entra directory roles it holds.
type FixtureUser struct {
	User
	Roles []string `json:"roles,omitempty"`
}

// FixtureGroup is a group whose owners and members are UPNs.
type FixtureGroup struct {
	Group
	Owners  []string `json:"owners,omitempty"`
	Members []string `json:"members,omitempty"`
}

//go:embed demo.json
var demoJSON []byte

// DemoFixture is the fixture that ships with Steward: Contoso, a demo tenant
// of 50 users across departments with admins and approvers, and Fabrikam, a
// second tenant for isolation tests.
func DemoFixture() Fixture {
	var f Fixture
	if err := json.Unmarshal(demoJSON, &f); err != nil {
		panic("directory: embedded demo.json is invalid: " + err.Error())
	}
	return f
}

// ReadFixture decodes a fixture, refusing unknown fields so a typo in a
// fixture file is reported instead of silently ignored.
func ReadFixture(r io.Reader) (Fixture, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f Fixture
	if err := dec.Decode(&f); err != nil {
		return Fixture{}, fmt.Errorf("directory: fixture: %w", err)
	}
	return f, nil
}

// Load adds every tenant, user, app and group of f. Groups' owners and
// members must name users of the same tenant.
func (d *Directory) Load(f Fixture) error {
	for _, ft := range f.Tenants {
		if err := d.AddTenant(ft.Tenant); err != nil {
			return err
		}
		upn := map[string]string{}
		for _, fu := range ft.Users {
			u := fu.User
			u.Roles = fu.Roles
			if err := d.AddUser(ft.ID, u); err != nil {
				return fmt.Errorf("tenant %s: %w", ft.Domain, err)
			}
			upn[strings.ToLower(u.UserPrincipalName)] = u.ID
		}
		for _, a := range ft.Apps {
			if err := d.AddApp(ft.ID, a); err != nil {
				return fmt.Errorf("tenant %s: %w", ft.Domain, err)
			}
		}
		for _, fg := range ft.Groups {
			g := fg.Group
			ids := func(upns []string) ([]string, error) {
				var out []string
				for _, n := range upns {
					id, ok := upn[strings.ToLower(n)]
					if !ok {
						return nil, fmt.Errorf("%w: group %s names unknown user %s", ErrNotFound, g.DisplayName, n)
					}
					out = append(out, id)
				}
				return out, nil
			}
			var err error
			if g.Owners, err = ids(fg.Owners); err != nil {
				return err
			}
			if g.Members, err = ids(fg.Members); err != nil {
				return err
			}
			if _, err := d.CreateGroup(ft.ID, g); err != nil {
				return fmt.Errorf("tenant %s: %w", ft.Domain, err)
			}
		}
	}
	return nil
}
