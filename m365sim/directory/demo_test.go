package directory

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "regenerate demo.json")

// StewardAppID is the demo app registration of Steward itself (also its bot).
var demoAppID = GUID("app/steward")

// buildDemo generates the demo fixture deterministically; demo.json is its
// output, committed so people can read and copy it.
func buildDemo() Fixture {
	created := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	contoso := FixtureTenant{Tenant: Tenant{ID: GUID("tenant/contoso"), DisplayName: "Contoso", Domain: "contoso.onmicrosoft.com"}}
	given := []string{"Adele", "Alex", "Allan", "Amara", "Ben", "Bianca", "Carlos", "Chen", "Chloe", "Dario", "Diego", "Elena", "Emeka", "Fatima", "Felix", "Grace", "Hana", "Hugo", "Ines", "Isaac", "Jade", "Jonas", "Kai", "Keiko", "Lars", "Leila", "Lucas", "Maya", "Mateo", "Nadia", "Noah", "Olga", "Omar", "Priya", "Quentin", "Rosa", "Sami", "Sofia", "Tariq", "Theo", "Uma", "Victor", "Wen", "Xavier", "Yara", "Yusuf", "Zane", "Zoe", "Aiko", "Bruno"}
	family := []string{"Vance", "Wilber", "Deyoung", "Okafor", "Martin", "Rossi", "Mendes", "Wei", "Dubois", "Conti", "Ramos", "Petrova", "Eze", "Haddad", "Weber", "Hopper", "Sato", "Laurent", "Moreau", "Newton", "Kim", "Berg", "Tanaka", "Mori", "Nilsen", "Farah", "Silva", "Patel", "Garcia", "Ivanova", "Brown", "Sokolova", "Nasser", "Sharma", "Lefevre", "Diaz", "Aziz", "Greco", "Khan", "Papas", "Reddy", "Hugo", "Li", "Perez", "Costa", "Demir", "Grey", "Fischer", "Ito", "Alves"}
	type dept struct {
		name, office, country, lang string
		titles                      []string
	}
	depts := []dept{
		{"Sales", "Seattle", "US", "en-US", []string{"Account Executive", "Sales Manager", "Sales Director"}},
		{"Marketing", "Paris", "FR", "fr-FR", []string{"Marketing Specialist", "Brand Manager", "Marketing Director"}},
		{"Engineering", "Redmond", "US", "en-US", []string{"Software Engineer", "Senior Software Engineer", "Engineering Manager"}},
		{"Finance", "London", "GB", "en-GB", []string{"Financial Analyst", "Controller", "Chief Financial Officer"}},
		{"Human Resources", "Lyon", "FR", "fr-FR", []string{"HR Generalist", "Recruiter", "HR Director"}},
		{"Legal", "London", "GB", "en-GB", []string{"Paralegal", "Counsel", "General Counsel"}},
		{"Operations", "Montreal", "CA", "fr-CA", []string{"Operations Analyst", "Project Manager", "Operations Director"}},
		{"IT", "Seattle", "US", "en-US", []string{"IT Administrator", "Systems Engineer", "IT Director"}},
	}
	var byDept = map[string][]string{}
	for i := range 50 {
		dp := depts[i%len(depts)]
		g, f := given[i], family[i]
		nick := strings.ToLower(g + "." + f)
		u := FixtureUser{User: User{
			ID: GUID("user/contoso/" + nick), DisplayName: g + " " + f, GivenName: g, Surname: f,
			UserPrincipalName: nick + "@contoso.onmicrosoft.com", Mail: nick + "@contoso.onmicrosoft.com",
			JobTitle: dp.titles[(i/len(depts))%len(dp.titles)], Department: dp.name, CompanyName: "Contoso",
			Country: dp.country, OfficeLocation: dp.office, PreferredLanguage: dp.lang, UsageLocation: dp.country,
			UserType: "Member", AccountEnabled: true,
		}}
		switch i {
		case 7: // the IT director of the first round
			u.Roles = []string{"Global Administrator"}
		case 15, 23:
			u.Roles = []string{"Teams Administrator"}
		}
		contoso.Users = append(contoso.Users, u)
		byDept[dp.name] = append(byDept[dp.name], u.UserPrincipalName)
	}
	contoso.Users = append(contoso.Users, FixtureUser{User: User{
		ID: GUID("user/contoso/guest.partner"), DisplayName: "Pat Partner (Guest)", GivenName: "Pat", Surname: "Partner",
		UserPrincipalName: "pat_partner.example#EXT#@contoso.onmicrosoft.com", Mail: "pat@partner.example",
		CompanyName: "Partner Ltd", Country: "US", UserType: "Guest", AccountEnabled: true,
	}})
	var all []string
	for _, u := range contoso.Users[:50] {
		all = append(all, u.UserPrincipalName)
	}
	group := func(nick, name, desc string, unified bool, owners, members []string) FixtureGroup {
		g := FixtureGroup{Group: Group{ID: GUID("group/contoso/" + nick), DisplayName: name, Description: desc, MailNickname: nick,
			CreatedDateTime: created}, Owners: owners, Members: members}
		if unified {
			g.GroupTypes, g.MailEnabled, g.Visibility = []string{"Unified"}, true, "Public"
		} else {
			g.SecurityEnabled = true
		}
		return g
	}
	admin := contoso.Users[7].UserPrincipalName
	contoso.Groups = []FixtureGroup{
		group("allcompany", "All Company", "Everyone at Contoso.", true, []string{admin}, all),
		group("steward-approvers", "Steward Approvers", "People who approve new teams.", false, []string{admin},
			[]string{byDept["Sales"][2], byDept["Engineering"][2], byDept["IT"][1]}),
		group("steward-catalog-managers", "Steward Catalog Managers", "People who manage team templates.", false, []string{admin},
			[]string{byDept["IT"][1], byDept["Marketing"][2]}),
	}
	for _, dp := range depts {
		nick := strings.ToLower(strings.ReplaceAll(dp.name, " ", "")) + "-all"
		contoso.Groups = append(contoso.Groups, group(nick, dp.name, "Everyone in "+dp.name+".", false, []string{admin}, byDept[dp.name]))
	}
	app := func(tenant string) App {
		return App{
			AppID: demoAppID, DisplayName: "Steward",
			Secrets: []string{"steward-dev-secret-" + tenant},
			AppRoles: []string{"Team.Create", "Group.ReadWrite.All", "User.Read.All", "TeamMember.ReadWrite.All", "Channel.Create",
				"ChannelSettings.ReadWrite.All", "TeamsTab.Create", "TeamsAppInstallation.ReadWriteForTeam.All", "TeamSettings.ReadWrite.All",
				"ChannelMessage.Send", "Directory.Read.All"},
			Scopes:       []string{"openid", "profile", "offline_access", "User.Read", "access_as_user"},
			RedirectURIs: []string{"http://127.0.0.1:8080/auth/callback", "http://localhost:8080/auth/callback"},
			// Steward's approver and catalog-manager groups reach it in tokens.
			GroupMembershipClaims: "SecurityGroup",
		}
	}
	contoso.Apps = []App{app("contoso")}

	fabrikam := FixtureTenant{Tenant: Tenant{ID: GUID("tenant/fabrikam"), DisplayName: "Fabrikam", Domain: "fabrikam.onmicrosoft.com"}}
	for i, n := range []string{"Ana Lima", "Bo Svensson", "Cleo Martin", "Dev Anand", "Eva Novak", "Finn Walsh"} {
		g, f, _ := strings.Cut(n, " ")
		nick := strings.ToLower(g + "." + f)
		u := FixtureUser{User: User{ID: GUID("user/fabrikam/" + nick), DisplayName: n, GivenName: g, Surname: f,
			UserPrincipalName: nick + "@fabrikam.onmicrosoft.com", Mail: nick + "@fabrikam.onmicrosoft.com",
			JobTitle: "Consultant", Department: "Consulting", CompanyName: "Fabrikam", Country: "DE", OfficeLocation: "Berlin",
			PreferredLanguage: "de-DE", UsageLocation: "DE", UserType: "Member", AccountEnabled: true}}
		if i == 0 {
			u.Roles, u.JobTitle = []string{"Global Administrator"}, "IT Lead"
		}
		fabrikam.Users = append(fabrikam.Users, u)
	}
	fabrikam.Apps = []App{app("fabrikam")}
	return Fixture{Tenants: []FixtureTenant{contoso, fabrikam}}
}

func TestDemoFixtureIsUpToDate(t *testing.T) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(buildDemo()); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("demo.json", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(buf.Bytes(), demoJSON) {
		t.Fatal("demo.json differs from buildDemo(): run go test ./m365sim/directory -run Demo -update")
	}
}

func TestDemoLoads(t *testing.T) {
	d := New(nil)
	if err := d.Load(DemoFixture()); err != nil {
		t.Fatal(err)
	}
	ts := d.Tenants()
	if len(ts) != 2 || ts[0].Domain != "contoso.onmicrosoft.com" {
		t.Fatalf("tenants = %+v", ts)
	}
	users, _ := d.Users(ts[0].ID)
	depts, admins := map[string]int{}, 0
	for _, u := range users {
		depts[u.Department]++
		for _, r := range u.Roles {
			if r == "Global Administrator" || r == "Teams Administrator" {
				admins++
			}
		}
	}
	if len(users) != 51 || len(depts) != 9 || admins != 3 {
		t.Fatalf("%d users, departments %v, %d admins", len(users), depts, admins)
	}
	approvers, err := d.Group(ts[0].ID, GUID("group/contoso/steward-approvers"))
	if err != nil || len(approvers.Members) != 3 || approvers.SecurityEnabled != true {
		t.Fatalf("approvers = %+v %v", approvers, err)
	}
	if _, err := d.App(ts[1].ID, demoAppID); err != nil {
		t.Fatalf("the Steward app is not consented in the second tenant: %v", err)
	}
}
