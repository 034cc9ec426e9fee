package web

import (
	"fmt"

	"github.com/stewardhq/steward/governance"
)

// translateUI renders an English UI string (the message id) in lang,
// formatting args into it. A string without a French entry stays English;
// TestEveryUIStringHasAFrenchTranslation keeps the table complete.
func translateUI(lang, english string, args ...any) string {
	f := english
	if lang == governance.LangFrench {
		if fr, ok := uiFrench[english]; ok {
			f = fr
		}
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}
