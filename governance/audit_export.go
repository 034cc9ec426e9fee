package governance

import (
	"encoding/hex"
	"encoding/json"
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

// AuditRecord is an audit event as every JSON export and the API present
// it: hashes in hex, before and after as JSON values.
type AuditRecord struct {
	TenantID    string          `json:"tenantId"`
	Seq         int64           `json:"seq"`
	ID          string          `json:"id"`
	At          time.Time       `json:"at"`
	Actor       AuditActor      `json:"actor"`
	Action      string          `json:"action"`
	SubjectType string          `json:"subjectType,omitempty"`
	SubjectID   string          `json:"subjectId,omitempty"`
	Before      json.RawMessage `json:"before,omitempty"`
	After       json.RawMessage `json:"after,omitempty"`
	RequestID   string          `json:"requestId,omitempty"`
	PrevHash    string          `json:"prevHash"`
	Hash        string          `json:"hash"`
}

// NewAuditRecord presents e for export.
func NewAuditRecord(e AuditEvent) AuditRecord {
	return AuditRecord{TenantID: e.TenantID, Seq: e.Seq, ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action,
		SubjectType: e.SubjectType, SubjectID: e.SubjectID, Before: e.Before, After: e.After, RequestID: e.RequestID,
		PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash)}
}
