package bot

import (
	"regexp"
	"strings"

	"github.com/stewardhq/steward/governance"
)

// intentKind is what a user asks the assistant for.
type intentKind int

const (
	intentUnknown intentKind = iota
	intentHelp
	intentNewTeam
	intentMyRequests
	intentApprovals
	intentStatus
)

func (k intentKind) String() string {
	return [...]string{"unknown", "help", "new_team", "my_requests", "approvals", "status"}[k]
}

// intent is a recognised message. Arg is the request id of a status
// question, or the purpose of a new team ("I need a team for the Q3
// launch" → "the Q3 launch"), as the user typed it.
type intent struct {
	Kind intentKind
	Arg  string
}

// The phrases below are matched on whole words of the folded text
// (lowercase, accents removed, apostrophes straightened), so "Créer une
// équipe" and "creer une equipe" are one phrase. The command titles of the
// app manifest (teamsapp) come first in each list: they are what Teams'
// command menu sends.
var (
	newTeamPhrases = []string{
		"new team", "nouvelle equipe",
		"create a team", "create a new team", "create team", "request a team", "request a new team",
		"need a team", "need a new team", "want a team", "want a new team", "set up a team", "start a team",
		"creer une equipe", "creer une nouvelle equipe", "demander une equipe", "demander une nouvelle equipe",
		"besoin d'une equipe", "besoin d'une nouvelle equipe", "veux une equipe", "voudrais une equipe",
		"nouvelle team",
	}
	myRequestsPhrases = []string{
		"my requests", "mes demandes",
		"my request", "ma demande", "my team requests", "what did i request", "requests i made",
		"mes requetes", "demandes que j'ai faites",
	}
	approvalsPhrases = []string{
		"approvals", "approbations",
		"approval", "approbation", "pending approvals", "to approve", "waiting for me", "waiting for my decision",
		"a approuver", "a valider", "validations", "en attente de ma decision",
	}
	helpPhrases = []string{
		"help", "aide",
		"?", "commands", "commandes", "what can you do", "que sais-tu faire", "que peux-tu faire",
		"hello", "hi", "hey", "bonjour", "salut", "menu",
	}
	// statusWords open a status question; statusFiller may sit between
	// them and the id ("status of request req-…", "statut de la demande …").
	statusWords  = map[string]bool{"status": true, "statut": true, "etat": true, "state": true}
	statusFiller = map[string]bool{
		"of": true, "for": true, "the": true, "my": true, "request": true, "team": true,
		"de": true, "du": true, "la": true, "ma": true, "demande": true, "pour": true, "l'equipe": true, "d'equipe": true,
	}
	// purposeWords introduce what a new team is for.
	purposeWords = map[string]bool{"for": true, "pour": true}
)

// requestIDPattern is the shape of Steward's request ids ("req-" and hex),
// recognised anywhere in a message: "where is req-3fa2…?" asks its status.
var requestIDPattern = regexp.MustCompile(`^req-[0-9a-z]+$`)

// mentionPattern is a Teams @mention, <at>Steward</at>.
var mentionPattern = regexp.MustCompile(`(?is)<at>.*?</at>`)

// punctuation trimmed from words before they are compared.
const punctuation = ".,;:!?\"'«»()[]{}#“”‘’"

// parseIntent recognises a message in English or French.
func parseIntent(text string) intent {
	orig, folded := words(text)
	if len(folded) == 0 {
		return intent{Kind: intentHelp}
	}
	for i, w := range folded {
		if requestIDPattern.MatchString(w) {
			return intent{Kind: intentStatus, Arg: orig[i]}
		}
	}
	if statusWords[folded[0]] || startsWith(folded, "where is") || startsWith(folded, "ou en est") {
		skip := 1
		if !statusWords[folded[0]] {
			skip = 2 + btoi(folded[0] == "ou")
		}
		for i := skip; i < len(folded); i++ {
			if !statusFiller[folded[i]] {
				return intent{Kind: intentStatus, Arg: orig[i]}
			}
		}
		if statusWords[folded[0]] {
			return intent{Kind: intentStatus}
		}
		// "Where is my request?" names none: it asks for the list.
	}
	if end := findAny(folded, newTeamPhrases); end >= 0 {
		return intent{Kind: intentNewTeam, Arg: purpose(orig, folded, end)}
	}
	if findAny(folded, approvalsPhrases) >= 0 {
		return intent{Kind: intentApprovals}
	}
	if findAny(folded, myRequestsPhrases) >= 0 {
		return intent{Kind: intentMyRequests}
	}
	if findAny(folded, helpPhrases) >= 0 {
		return intent{Kind: intentHelp}
	}
	return intent{Kind: intentUnknown}
}

// words splits text, without its mentions, into the words as typed
// (punctuation trimmed) and their folded forms, index for index.
func words(text string) (orig, folded []string) {
	text = mentionPattern.ReplaceAllString(text, " ")
	text = strings.NewReplacer("’", "'", "‘", "'", "\u00a0", " ").Replace(text)
	for _, w := range strings.Fields(text) {
		t := strings.Trim(w, punctuation)
		if t == "" {
			if strings.Contains(w, "?") && len(folded) == 0 {
				// A lone "?" is a question about what the bot can do.
				orig, folded = append(orig, "?"), append(folded, "?")
			}
			continue
		}
		// Apostrophes stay inside words ("d'une"); Fold keeps them.
		orig = append(orig, t)
		folded = append(folded, governance.FoldForMatch(t))
	}
	return orig, folded
}

// findAny returns the index after the first phrase of phrases found in
// ws, or -1.
func findAny(ws []string, phrases []string) int {
	for _, p := range phrases {
		if end := find(ws, strings.Fields(p)); end >= 0 {
			return end
		}
	}
	return -1
}

// find returns the index after the first occurrence of phrase in ws, or -1.
func find(ws, phrase []string) int {
	for i := 0; i+len(phrase) <= len(ws); i++ {
		match := true
		for j, p := range phrase {
			if ws[i+j] != p {
				match = false
				break
			}
		}
		if match {
			return i + len(phrase)
		}
	}
	return -1
}

func startsWith(ws []string, phrase string) bool {
	p := strings.Fields(phrase)
	return len(ws) > len(p) && find(ws[:len(p)], p) == len(p)
}

// purpose is what follows "for"/"pour" after a new-team phrase, as typed.
func purpose(orig, folded []string, from int) string {
	for i := from; i < len(folded); i++ {
		if purposeWords[folded[i]] && i+1 < len(orig) {
			return strings.Join(orig[i+1:], " ")
		}
	}
	return ""
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
