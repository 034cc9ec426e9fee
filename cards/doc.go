// Package cards builds the Adaptive Cards Steward's bot sends, in version
// 1.5 because that is the newest version Teams renders, and the deep links
// those cards point to.
//
// Every builder takes a locale ("en", "fr", "fr-CA", ...) and plain values
// and returns a Card. A builder never fails on its own: when its input
// cannot make a sensible card, the Card carries the error and JSON returns
// it, so a caller handles one error in one place.
//
// The JSON of each card is pinned by golden files under testdata/, and a
// test parses every golden file with Microsoft's own adaptivecards package
// (Node) so a card Teams would reject fails here first.
package cards
