package cards

import (
	"fmt"
	"time"

	"github.com/stewardhq/steward/governance"
)

// Fixtures shared by the golden and property tests.

var created = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func fixtureLink(id string) string {
	link, err := Steward{AppID: "5b6f0a52-6c3c-4c55-9f0e-8a4f3c1d2e7a", BaseURL: "https://steward.example.com"}.Request(id, "Request "+id)
	if err != nil {
		panic(err)
	}
	return link
}

func fixtureRequest() governance.Request {
	return governance.Request{
		TenantID: "tenant-1", ID: "req-42", TemplateID: "tpl-project", TemplateVersion: 3,
		State: governance.StatePending, RequesterID: "11111111-1111-1111-1111-111111111111", RequesterName: "Adèle Vance",
		Requested: "Projet Étoile", DisplayName: "PRJ-Projet Étoile", Description: "Launch of the Étoile product line",
		Owners:        []string{"11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"},
		Members:       []string{"33333333-3333-3333-3333-333333333333", "44444444-4444-4444-4444-444444444444", "55555555-5555-5555-5555-555555555555"},
		Justification: "Cross-team work with <Marketing> & Sales",
		CreatedAt:     created, UpdatedAt: created, Version: 7,
	}
}

func fixtureApproval(state governance.RequestState) ApprovalView {
	r := fixtureRequest()
	r.State = state
	switch state {
	case governance.StateApproved:
		r.Decisions = []governance.Decision{{Approver: "66666666-6666-6666-6666-666666666666", Name: "Megan Bowen", Approve: true,
			Comment: "Go ahead", At: created.Add(26 * time.Hour)}}
	case governance.StateRejected:
		r.Decisions = []governance.Decision{{Approver: "66666666-6666-6666-6666-666666666666", Name: "Megan Bowen",
			Comment: "Use the existing Étoile team", At: created.Add(26 * time.Hour)}}
	case governance.StateCancelled:
		r.UpdatedAt = created.Add(2 * time.Hour)
	}
	return NewApprovalView(r, "Project", fixtureLink(r.ID), approvers(3))
}

func approvers(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("29:1approver%03d", i)
	}
	return ids
}

func fixtureView(i int, state governance.RequestState) RequestView {
	id := fmt.Sprintf("req-%d", i)
	return RequestView{ID: id, TeamName: fmt.Sprintf("Team %d", i), TemplateName: "Project", RequesterName: "Adèle Vance",
		State: state, Owners: 1, Members: i, CreatedAt: created.Add(-time.Duration(i) * 24 * time.Hour), Link: fixtureLink(id)}
}

func fixtureTeam() TeamView {
	link, err := TeamLink("19:a1b2c3d4e5f6@thread.tacv2", "72602e12-78ac-474c-99d6-f619710353a9", "72f988bf-86f1-41af-91ab-2d7cd011db47")
	if err != nil {
		panic(err)
	}
	return TeamView{ID: "72602e12-78ac-474c-99d6-f619710353a9", Name: "PRJ-Projet Étoile", Link: link}
}

func fixtureRecord(kind string) Record {
	return Record{Kind: kind, ID: "0015g00000XyZ", Title: "Contoso Pharmaceuticals", Subtitle: "Lyon, France",
		Fields: []Fact{{"Owner", "Adèle Vance"}, {"Annual revenue", "€12,000,000"}}, URL: "https://contoso.my.salesforce.com/0015g00000XyZ"}
}

var fixtureTemplates = []TemplateOption{
	{ID: "tpl-project", Name: "Project", Description: "A team for a project with a start and an end"},
	{ID: "tpl-community", Name: "Community"},
}
