// Package docs holds the help center's guides as markdown, embedded in the
// binary so that the help center serves the guides of the exact version
// that runs, with no file to deploy beside it. The web package renders and
// indexes them at start.
package docs

import "embed"

// Files is every guide (*.md at the root of this directory).
//
//go:embed *.md
var Files embed.FS
