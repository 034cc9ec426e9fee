package store

import (
	"context"
	"time"

	"github.com/stewardhq/steward/governance"
)

// The usage figures of the admin center: the seats a tenant uses and how
// many of its requests are in each state.

// activePeopleQuery counts the distinct people of a tenant who used
// Steward since $2: who asked for a team, who decided as an approver (the
// audit trail keeps each decision with its actor) and who holds a web
// session begun or used since then. Entra object ids are compared
// lowercased, as role assignments store them.
const activePeopleQuery = `SELECT COUNT(DISTINCT person) FROM (
	SELECT LOWER(requester_id) AS person FROM requests WHERE tenant_id = $1 AND created_at >= $2
	UNION SELECT LOWER(actor_id) AS person FROM audit_events WHERE tenant_id = $1 AND at >= $2 AND actor_type = 'user'
		AND action IN ('request.decided', 'request.rejected', 'request.stage_approved')
	UNION SELECT LOWER(user_id) AS person FROM web_sessions WHERE tenant_id = $1 AND (created_at >= $2 OR idle_until >= $2)
) people`

// ActivePeople counts the distinct people of tenantID who used Steward at
// or after since: requesters, approvers who decided, and people signed in
// to the pages. Sessions are kept only while they last (the maintenance
// sweep deletes ended ones), so a person whose only trace is a session
// ended and swept counts no more.
func (db *DB) ActivePeople(ctx context.Context, tenantID string, since time.Time) (int, error) {
	var n int
	if err := db.reader.QueryRowContext(ctx, activePeopleQuery, tenantID, since.UTC()).Scan(&n); err != nil {
		return 0, classify("count active people", err)
	}
	return n, nil
}

// RequestCountsByState counts tenantID's requests in each state; a state
// without requests is absent.
func (db *DB) RequestCountsByState(ctx context.Context, tenantID string) (map[governance.RequestState]int, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT state, COUNT(*) FROM requests WHERE tenant_id = $1 GROUP BY state`, tenantID)
	if err != nil {
		return nil, classify("count requests by state", err)
	}
	defer rows.Close()
	out := map[governance.RequestState]int{}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, classify("count requests by state", err)
		}
		out[governance.RequestState(state)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, classify("count requests by state", err)
	}
	return out, nil
}
