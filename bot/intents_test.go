package bot

import "testing"

func TestParseIntent(t *testing.T) {
	tests := []struct {
		name string
		text string
		want intent
	}{
		// English.
		{"command new team", "new team", intent{Kind: intentNewTeam}},
		{"mention and capitals", "<at>Steward</at> New Team", intent{Kind: intentNewTeam}},
		{"create a team", "Can you create a team?", intent{Kind: intentNewTeam}},
		{"need a team for a purpose", "I need a team for the Q3 Launch", intent{Kind: intentNewTeam, Arg: "the Q3 Launch"}},
		{"command my requests", "my requests", intent{Kind: intentMyRequests}},
		{"where is my request", "Where is my request?", intent{Kind: intentMyRequests}},
		{"command approvals", "approvals", intent{Kind: intentApprovals}},
		{"what to approve", "what do I need to approve", intent{Kind: intentApprovals}},
		{"status with id", "status req-1a2b", intent{Kind: intentStatus, Arg: "req-1a2b"}},
		{"status of request", "status of request REQ-9F", intent{Kind: intentStatus, Arg: "REQ-9F"}},
		{"status of another id shape", "status 3f2a-77", intent{Kind: intentStatus, Arg: "3f2a-77"}},
		{"where is an id", "where is req-42?", intent{Kind: intentStatus, Arg: "req-42"}},
		{"bare id", "req-7", intent{Kind: intentStatus, Arg: "req-7"}},
		{"status without id", "status", intent{Kind: intentStatus}},
		{"help", "help", intent{Kind: intentHelp}},
		{"greeting", "Hi there", intent{Kind: intentHelp}},
		{"lone question mark", "?", intent{Kind: intentHelp}},
		{"empty after the mention", "<at>Steward</at>", intent{Kind: intentHelp}},
		{"nonsense", "the weather is nice", intent{Kind: intentUnknown}},
		// French.
		{"commande nouvelle équipe", "nouvelle équipe", intent{Kind: intentNewTeam}},
		{"sans accents", "NOUVELLE EQUIPE", intent{Kind: intentNewTeam}},
		{"créer une équipe", "Je voudrais créer une équipe", intent{Kind: intentNewTeam}},
		{"besoin d'une équipe pour", "J’ai besoin d’une équipe pour le salon de Lyon", intent{Kind: intentNewTeam, Arg: "le salon de Lyon"}},
		{"commande mes demandes", "mes demandes", intent{Kind: intentMyRequests}},
		{"où en est ma demande", "Où en est ma demande ?", intent{Kind: intentMyRequests}},
		{"commande approbations", "approbations", intent{Kind: intentApprovals}},
		{"à approuver", "qu'est-ce que j'ai à approuver", intent{Kind: intentApprovals}},
		{"statut avec numéro", "statut req-5", intent{Kind: intentStatus, Arg: "req-5"}},
		{"statut de la demande", "statut de la demande 77aa", intent{Kind: intentStatus, Arg: "77aa"}},
		{"état sans numéro", "état", intent{Kind: intentStatus}},
		{"aide", "aide", intent{Kind: intentHelp}},
		{"bonjour", "Bonjour !", intent{Kind: intentHelp}},
		{"charabia", "il fait beau aujourd'hui", intent{Kind: intentUnknown}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseIntent(tc.text); got != tc.want {
				t.Fatalf("parseIntent(%q) = %v %q, want %v %q", tc.text, got.Kind, got.Arg, tc.want.Kind, tc.want.Arg)
			}
		})
	}
}
