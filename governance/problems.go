package governance

import (
	"fmt"
	"strings"
)

// problems collects everything wrong with an input, so a user fixes it all
// in one round trip instead of one error at a time.
type problems []msg

// msg is one user-facing message before rendering: its English format (the
// message id in catalogues) and arguments.
type msg struct {
	format string
	args   []any
}

func (m msg) english() string { return fmt.Sprintf(m.format, m.args...) }

func (p *problems) add(format string, args ...any) { *p = append(*p, msg{format, args}) }

// err is nil without problems, else one KindInvalid error listing them.
func (p problems) err(code string) error {
	if len(p) == 0 {
		return nil
	}
	s := make([]string, len(p))
	for i, m := range p {
		s[i] = m.english()
	}
	return &Error{Kind: KindInvalid, Code: code, Message: strings.Join(s, "; "), parts: p}
}
