package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/stewardhq/steward/crm"
)

// Word lists with accents and apostrophes, so folding is exercised.
var (
	companyWords = strings.Fields("Contoso Fabrikam Northwind Adventure Alpine Tailspin Woodgrove Litware Proseware " +
		"Lucerne Wingtip Fourth Coffee Humongous Margie's Trey Blue Yonder Wide World Coho Datum Consolidated " +
		"Müller Société Générale Zürich Crédit Café Öko Ångström L'Étoile Nordic Pacific Atlantic Summit Horizon " +
		"Pinnacle Vertex Quantum Apex Sterling Meridian Cascade Evergreen Granite Harbor Ironwood Juniper Keystone")
	companySuffixes = strings.Fields("Ltd Inc GmbH SA AG Group Holdings Partners Labs Systems Traders Industries")
	firstNames      = strings.Fields("Jane John Megan Alex Zoë Renée José François Søren Łukasz Amélie Björn Chloé Dmitri " +
		"Elena Fatima Giulia Hiroshi Ingrid Jürgen Kateřina Liam Maëlle Noah Olivia Pablo Quentin Rosa Sinéad Tomás")
	lastNames = strings.Fields("Smith Doe Bowen Wilber Müller O'Brien García Nørgaard Kowalski Dubois Lindqvist " +
		"Moreau Novák Rossi Tanaka Schäfer Ó'Súilleabháin Petrović Jensen Martínez Fernández Weiß Lefèvre")
	industries = strings.Fields("Retail Health Manufacturing Finance Energy Education Logistics Media Telecom Agriculture")
	cities     = strings.Fields("Paris Zürich München Genève Kraków São-Paulo Montréal Reykjavík Málaga Göteborg Seattle Oslo")
	stages     = strings.Fields("Prospect Qualify Proposal Negotiation Won Lost")
	titles     = strings.Fields("CEO CFO CTO Buyer Director Manager Engineer Analyst Consultant")
)

type generator struct {
	rnd    *rand.Rand
	titles []string // every generated title, what queries are drawn from
}

func newGenerator(seed int64) *generator {
	return &generator{rnd: rand.New(rand.NewPCG(uint64(seed), 42))}
}

func (g *generator) pick(ws []string) string { return ws[g.rnd.IntN(len(ws))] }

func (g *generator) company() string {
	return g.pick(companyWords) + " " + g.pick(companyWords) + " " + g.pick(companySuffixes)
}

type file struct {
	kind crm.Kind
	data io.Reader
}

// files generates n records for one tenant as three CSV files: 40 %
// accounts, 30 % opportunities, 30 % contacts.
func (g *generator) files(n, tenant int) []file {
	counts := map[crm.Kind]int{crm.KindAccount: n * 4 / 10, crm.KindOpportunity: n * 3 / 10}
	counts[crm.KindContact] = n - counts[crm.KindAccount] - counts[crm.KindOpportunity]
	var out []file
	for _, kind := range crm.Kinds {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		switch kind {
		case crm.KindAccount:
			w.Write([]string{"id", "name", "industry", "city", "owner", "website", "url"})
		case crm.KindOpportunity:
			w.Write([]string{"id", "name", "account", "amount", "stage", "close_date", "url"})
		case crm.KindContact:
			w.Write([]string{"id", "name", "email", "phone", "account", "title", "url"})
		}
		for i := range counts[kind] {
			id := fmt.Sprintf("%s-%d-%07d", strings.ToUpper(string(kind[:3])), tenant, i)
			url := "https://crm.example.com/" + id
			var title string
			switch kind {
			case crm.KindAccount:
				title = g.company()
				w.Write([]string{id, title, g.pick(industries), g.pick(cities), g.pick(firstNames) + " " + g.pick(lastNames),
					"https://www.example.com/" + id, url})
			case crm.KindOpportunity:
				acct := g.company()
				title = acct + " " + g.pick(strings.Fields("renewal expansion pilot upgrade migration licences"))
				w.Write([]string{id, title, acct, fmt.Sprint(g.rnd.IntN(1_000_000)), g.pick(stages),
					fmt.Sprintf("2026-%02d-%02d", 1+g.rnd.IntN(12), 1+g.rnd.IntN(28)), url})
			case crm.KindContact:
				first, last := g.pick(firstNames), g.pick(lastNames)
				title = first + " " + last
				email := strings.ToLower(strings.Trim(asciiOnly(first+"."+last), ".")) + fmt.Sprintf("%d@example.com", i)
				w.Write([]string{id, title, email, fmt.Sprintf("+1 555 %07d", i), g.company(), g.pick(titles), url})
			}
			if tenant == 0 {
				g.titles = append(g.titles, title)
			}
		}
		w.Flush()
		out = append(out, file{kind: kind, data: &buf})
	}
	return out
}

func asciiOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && r != '\'' {
			return r
		}
		return -1
	}, s)
}

// queries draws n queries from the first tenant's titles: 1–3 of a
// title's words, each cut to a prefix of 2 letters or more, lowercase, and
// for 30 % of them a kind.
func (g *generator) queries(n int) []crm.Query {
	out := make([]crm.Query, n)
	for i := range out {
		words := strings.Fields(g.pick(g.titles))
		k := 1 + g.rnd.IntN(min(3, len(words)))
		start := g.rnd.IntN(len(words) - k + 1)
		var parts []string
		for _, w := range words[start : start+k] {
			r := []rune(strings.ToLower(w))
			parts = append(parts, string(r[:min(len(r), 2+g.rnd.IntN(len(r)))]))
		}
		q := crm.Query{Text: strings.Join(parts, " ")}
		if g.rnd.IntN(10) < 3 {
			q.Kind = crm.Kinds[g.rnd.IntN(len(crm.Kinds))]
		}
		out[i] = q
	}
	return out
}
