package governance

import (
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// AuditCSVHeader is the column order of every CSV export of the audit trail
// (`steward audit export` and the API), so one tool reads both. Hashes are
// hex; before and after are JSON text, empty when absent.
var AuditCSVHeader = []string{"tenant_id", "seq", "id", "at", "actor_type", "actor_id", "actor_name", "action",
	"subject_type", "subject_id", "before", "after", "request_id", "prev_hash", "hash"}

// AuditCSVRow renders one event as the cells of AuditCSVHeader, each
// defused with CSVSafe.
func AuditCSVRow(e AuditEvent) []string {
	row := []string{e.TenantID, strconv.FormatInt(e.Seq, 10), e.ID, e.At.Format(time.RFC3339Nano), e.Actor.Type, e.Actor.ID,
		e.Actor.Name, e.Action, e.SubjectType, e.SubjectID, string(e.Before), string(e.After), e.RequestID,
		hex.EncodeToString(e.PrevHash), hex.EncodeToString(e.Hash)}
	for i := range row {
		row[i] = CSVSafe(row[i])
	}
	return row
}

// CSVSafe defuses spreadsheet formula injection (OWASP "CSV injection"):
// names in the trail come from users, and an administrator opens the export
// in a spreadsheet. A cell starting with = + - @ or a tab or carriage return
// gets a leading apostrophe, which spreadsheets show as text. JSON exports
// stay byte-exact.
func CSVSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
