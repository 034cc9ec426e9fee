package governance

import (
	"fmt"
	"strings"
)

// problems collects everything wrong with an input, so a user fixes it all
// in one round trip instead of one error at a time.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// err is nil without problems, else one KindInvalid error listing them.
func (p problems) err(code string) error {
	if len(p) == 0 {
		return nil
	}
	return Errorf(KindInvalid, code, "%s", strings.Join(p, "; "))
}
