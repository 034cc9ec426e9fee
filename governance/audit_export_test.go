package governance

import "testing"

func TestCSVSafe(t *testing.T) {
	tests := map[string]string{
		"=HYPERLINK(\"http://evil.example\",\"x\")": "'=HYPERLINK(\"http://evil.example\",\"x\")",
		"+1+1": "'+1+1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"Adele Vance": "Adele Vance", "": "", "request.created": "request.created",
	}
	for in, want := range tests {
		if got := CSVSafe(in); got != want {
			t.Errorf("CSVSafe(%q) = %q, want %q", in, got, want)
		}
	}
	row := AuditCSVRow(AuditEvent{TenantID: "contoso", Seq: 7, Actor: AuditActor{Type: "user", Name: "=cmd()"}, Action: "request.created"})
	if len(row) != len(AuditCSVHeader) || row[1] != "7" || row[6] != "'=cmd()" {
		t.Fatalf("row %q", row)
	}
}
