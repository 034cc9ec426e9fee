package governance

import (
	"slices"
	"time"
)

// Day is the unit of lifecycle policies: 24 hours, whatever the calendar.
const Day = 24 * time.Hour

// DefaultWarnDaysBefore are the expiry warnings of a policy that names none.
var DefaultWarnDaysBefore = []int{30, 7, 1}

// What happens to a team at expiry (LifecyclePolicy.OnExpiry).
const (
	ExpiryArchive = "archive"
	ExpiryDelete  = "delete"
)

// LifecycleState is where a managed team stands in its lifecycle policy.
// A zero time means "not yet" (or, for ExpiresAt, "never").
type LifecycleState struct {
	// ExpiresAt is when the team expires unless renewed; zero when its
	// template never expires teams.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// WarnedDays is the last expiry warning sent since the team was created
	// or renewed, in days before expiry (0: none yet). Warnings are sent
	// once each, in decreasing order.
	WarnedDays int `json:"warnedDays,omitempty"`
	// RenewedAt and RenewedBy are the last renewal and who made it;
	// Attested says whether they confirmed the membership.
	RenewedAt time.Time `json:"renewedAt,omitzero"`
	RenewedBy string    `json:"renewedBy,omitempty"`
	Attested  bool      `json:"attested,omitempty"`
	// ArchivedAt or DeletedAt is set when the team ended: archived or
	// deleted at expiry, or found deleted by someone else (DeletedAt).
	ArchivedAt time.Time `json:"archivedAt,omitzero"`
	DeletedAt  time.Time `json:"deletedAt,omitzero"`
	// LastActivityAt is the newest sign of life the inactivity check saw (a
	// channel message, the creation or a renewal); InactiveWarnedAt the last
	// inactivity warning.
	LastActivityAt   time.Time `json:"lastActivityAt,omitzero"`
	InactiveWarnedAt time.Time `json:"inactiveWarnedAt,omitzero"`
	// ExpiryDueAt is when the reconciler next has an expiry step to take (a
	// warning or the expiry itself), and ActivityDueAt when it next checks
	// the team's activity; zero: never. The store indexes both, so a cycle
	// reads only the teams that are due.
	ExpiryDueAt   time.Time `json:"-"`
	ActivityDueAt time.Time `json:"-"`
}

// Ended reports whether the team was archived or deleted.
func (s LifecycleState) Ended() bool { return !s.ArchivedAt.IsZero() || !s.DeletedAt.IsZero() }

// Warnings are the days before expiry at which owners are warned, the
// most distant first: the policy's WarnDaysBefore (DefaultWarnDaysBefore
// when it names none), keeping those shorter than the lifetime.
func (l LifecyclePolicy) Warnings() []int {
	src := l.WarnDaysBefore
	if len(src) == 0 {
		src = DefaultWarnDaysBefore
	}
	var out []int
	for _, d := range src {
		if d > 0 && (l.ExpireAfterDays == 0 || d < l.ExpireAfterDays) && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

// ExpiryAction is what happens at expiry: ExpiryArchive (the default) or
// ExpiryDelete.
func (l LifecyclePolicy) ExpiryAction() string {
	if l.OnExpiry == ExpiryDelete {
		return ExpiryDelete
	}
	return ExpiryArchive
}

// ExpiryStep is what a team's expiry needs at a given moment.
type ExpiryStep struct {
	// WarnDays > 0: the warning this many days before expiry is due.
	WarnDays int
	// Expire is ExpiryArchive or ExpiryDelete when the team is past its
	// expiry and has not ended yet.
	Expire string
}

// ExpiryStepAt is the expiry step due at now under pol, the policy of the
// team's template version. When the reconciler was away across several
// thresholds, only the nearest to expiry is due: owners get one warning
// that says how little time is left, not a burst of stale ones.
func (t ManagedTeam) ExpiryStepAt(pol LifecyclePolicy, now time.Time) ExpiryStep {
	s := t.Lifecycle
	if s.Ended() || s.ExpiresAt.IsZero() {
		return ExpiryStep{}
	}
	if !now.Before(s.ExpiresAt) {
		return ExpiryStep{Expire: pol.ExpiryAction()}
	}
	var step ExpiryStep
	for _, d := range pol.Warnings() {
		if (s.WarnedDays == 0 || d < s.WarnedDays) && !now.Before(s.ExpiresAt.Add(-time.Duration(d)*Day)) {
			step.WarnDays = d // a nearer threshold reached supersedes this one
		}
	}
	return step
}

// nextExpiryDue is when the next expiry step falls due: the first warning
// not sent yet, or the expiry; zero when there is none.
func (s LifecycleState) nextExpiryDue(pol LifecyclePolicy) time.Time {
	if s.Ended() || s.ExpiresAt.IsZero() {
		return time.Time{}
	}
	for _, d := range pol.Warnings() {
		if s.WarnedDays == 0 || d < s.WarnedDays {
			return s.ExpiresAt.Add(-time.Duration(d) * Day)
		}
	}
	return s.ExpiresAt
}

// startLifecycle sets a new team's expiry and first checks from pol.
func (t *ManagedTeam) startLifecycle(pol LifecyclePolicy) {
	if pol.ExpireAfterDays > 0 {
		t.Lifecycle.ExpiresAt = t.CreatedAt.Add(time.Duration(pol.ExpireAfterDays) * Day)
	}
	t.Lifecycle.ExpiryDueAt = t.Lifecycle.nextExpiryDue(pol)
	if pol.InactivityDays > 0 {
		t.Lifecycle.ActivityDueAt = t.CreatedAt.Add(time.Duration(pol.InactivityDays) * Day)
	}
}

// lastSignOfLife is the newest of a team's creation, last renewal, the
// activity seen before and seen (a channel message, zero if none).
func (t ManagedTeam) lastSignOfLife(seen time.Time) time.Time {
	last := t.CreatedAt
	for _, at := range []time.Time{t.Lifecycle.RenewedAt, t.Lifecycle.LastActivityAt, seen} {
		if at.After(last) {
			last = at
		}
	}
	return last
}
