package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/stewardhq/steward/blob"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
)

// Workflow records provisioning in the domain (*governance.RequestService).
type Workflow interface {
	BeginProvisioning(ctx context.Context, p governance.Principal, requestID string, attempt int) (governance.ProvisioningStart, error)
	Provisioned(ctx context.Context, p governance.Principal, requestID string, out governance.TeamOutcome) (governance.Request, error)
	ProvisioningFailed(ctx context.Context, p governance.Principal, requestID, reason string) (governance.Request, error)
}

// Options tune the engine; zero values take the defaults.
type Options struct {
	// PollFirst and PollMax bound the wait between polls of a Teams
	// operation (defaults 3 s and 15 s; it grows by a fifth each poll).
	// PollFirst is the first wait until the engine has learnt how long
	// the tenant's creations take (see run.pollWait).
	PollFirst, PollMax time.Duration
	// LookupWait is how long after losing the answer to a team's creation
	// the first look for the team is due (default 2 s); each further look
	// is due twice as long after the loss. Lookups is how many fruitless
	// looks prove the team was not created (default 3: at 2, 4 and 8 s
	// after the loss; directory listings catch up within seconds).
	LookupWait time.Duration
	Lookups    int
	// MaxRecreations bounds how often a team whose Teams operation failed
	// is deleted and created again (default 3).
	MaxRecreations int
	// Pictures holds template pictures (the blob store); nil: templates
	// with a picture get a note instead.
	Pictures Pictures
	Logger   *slog.Logger
	Now      func() time.Time
}

// Pictures reads template pictures (blob.Store).
type Pictures interface {
	Get(ctx context.Context, tenantID, key string) (io.ReadCloser, blob.Info, error)
}

// maxPicture is Graph's limit on a group photo.
const maxPicture = 4 << 20

// Engine runs provisioning steps.
type Engine struct {
	graph *graph.Client
	wf    Workflow
	cps   Checkpoints
	opts  Options
	log   *slog.Logger
	ops   *opTimes
}

// New builds an Engine.
func New(g *graph.Client, wf Workflow, cps Checkpoints, o Options) *Engine {
	if o.PollFirst <= 0 {
		o.PollFirst = 3 * time.Second
	}
	if o.PollMax <= 0 {
		o.PollMax = 15 * time.Second
	}
	if o.LookupWait <= 0 {
		o.LookupWait = 2 * time.Second
	}
	if o.Lookups <= 0 {
		o.Lookups = 3
	}
	if o.MaxRecreations <= 0 {
		o.MaxRecreations = 3
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Engine{graph: g, wf: wf, cps: cps, opts: o, log: o.Logger, ops: newOpTimes()}
}

// permanent is a failure no rerun can fix: the request is marked failed.
type permanent struct{ reason string }

func (p *permanent) Error() string { return "provision: " + p.reason }

func failf(format string, args ...any) error { return &permanent{fmt.Sprintf(format, args...)} }

// Result is what one run achieved.
type Result struct {
	Done bool          // the request left provisioning (completed, failed, or not ours)
	Wait time.Duration // not done: run again after this long
	// Created: the team's creation has started, or may have (its answer
	// was lost and the team is being looked for): the rest is follow-up.
	Created bool
}

// run is the state of one run.
type run struct {
	e      *Engine
	tenant string
	req    governance.Request
	tpl    governance.Template
	cp     checkpoint
}

// Run advances a request's provisioning as far as it can without waiting.
// A transient error (Graph unavailable, the store busy) is returned for
// the job queue to retry with backoff; a permanent one marks the request
// failed and returns Done.
func (e *Engine) Run(ctx context.Context, tenantID, requestID string, attempt int) (Result, error) {
	p := governance.Provisioner
	p.TenantID = tenantID
	start, err := e.wf.BeginProvisioning(ctx, p, requestID, attempt)
	if err != nil {
		if governance.IsKind(err, governance.KindNotFound) {
			return Result{Done: true}, nil // the request (or its tenant) was deleted
		}
		return Result{}, err
	}
	if start.Done {
		return Result{Done: true}, nil
	}
	cp, err := load(ctx, e.cps, tenantID, requestID)
	if err != nil {
		return Result{}, err
	}
	r := &run{e: e, tenant: tenantID, req: start.Request, tpl: start.Template, cp: cp}
	if r.cp.Attempt != attempt {
		r.cp.Attempt = attempt
		r.cp.log(e.opts.Now(), "attempt", fmt.Sprintf("attempt %d", attempt))
		if err := r.save(ctx); err != nil {
			return Result{}, err
		}
	}
	wait, err := r.steps(ctx)
	var perm *permanent
	switch {
	case errors.As(err, &perm):
		return r.fail(ctx, perm.reason)
	case err != nil:
		return Result{}, err
	case wait > 0:
		return Result{Wait: wait, Created: r.cp.TeamID != "" || !r.cp.LostAt.IsZero()}, nil
	}
	return Result{Done: true}, nil
}

// Fail marks the request failed after the job queue gave up retrying a
// transient error.
func (e *Engine) Fail(ctx context.Context, tenantID, requestID, reason string) error {
	p := governance.Provisioner
	p.TenantID = tenantID
	_, err := e.wf.ProvisioningFailed(ctx, p, requestID, reason)
	if governance.IsKind(err, governance.KindConflict) || governance.IsKind(err, governance.KindNotFound) {
		return nil // no longer provisioning
	}
	return err
}

func (r *run) fail(ctx context.Context, reason string) (Result, error) {
	r.cp.log(r.e.opts.Now(), "failed", reason)
	if err := r.save(ctx); err != nil {
		return Result{}, err
	}
	if err := r.e.Fail(ctx, r.tenant, r.req.ID, reason); err != nil {
		return Result{}, err
	}
	r.e.log.WarnContext(ctx, "provisioning failed", "tenant_id", r.tenant, "request", r.req.ID, "reason", reason)
	return Result{Done: true}, nil
}

func (r *run) save(ctx context.Context) error { return save(ctx, r.e.cps, r.tenant, r.req.ID, r.cp) }

func (r *run) steps(ctx context.Context) (time.Duration, error) {
	for _, step := range []func(context.Context) (time.Duration, error){r.create, r.wait, r.nickname, r.picture, r.members, r.complete} {
		wait, err := step(ctx)
		if err != nil || wait > 0 {
			return wait, err
		}
	}
	return 0, nil
}

// create makes the team, unless a previous run did.
func (r *run) create(ctx context.Context) (time.Duration, error) {
	if r.cp.TeamID != "" {
		return 0, nil
	}
	now := r.e.opts.Now()
	retry := r.cp.Recreations > 0
	if !r.cp.CreateStartedAt.IsZero() {
		// A run started creating and did not learn the outcome: look
		// before creating again.
		if r.cp.LostAt.IsZero() {
			// The run ended during the call (a lost answer records when
			// it was lost): the looks count from now.
			r.cp.LostAt, r.cp.Lookups = now, 0
			r.cp.log(now, "create", "an earlier run did not learn whether the team was created; looking for it before creating it again")
			return r.nextLook(now), r.save(ctx)
		}
		if d := r.nextLook(now); d > 0 {
			return d, nil // woken early: the look is not due yet
		}
		id, err := r.lookup(ctx)
		if err != nil {
			return 0, err
		}
		if id != "" {
			r.cp.TeamID, r.cp.Lookups, r.cp.LostAt = id, 0, time.Time{}
			r.cp.log(now, "create", "adopted team "+id+" created by an earlier run")
			return 0, r.save(ctx)
		}
		// This look stands for every look due by now: a run that starts
		// late looks once, as late as the last look would have.
		for r.cp.Lookups < r.e.opts.Lookups && !r.lookAt(r.cp.Lookups).After(now) {
			r.cp.Lookups++
		}
		if r.cp.Lookups < r.e.opts.Lookups {
			return r.nextLook(now), r.save(ctx)
		}
		// Not created: this is its second try, which goes ahead of the
		// first tries waiting for the tenant's POST /teams budget.
		retry = true
	}
	r.cp.CreateStartedAt, r.cp.Lookups, r.cp.LostAt = now, 0, time.Time{}
	if err := r.save(ctx); err != nil {
		return 0, err
	}
	nt := newTeam(r.req, r.tpl)
	nt.Retry = retry
	team, op, err := r.e.graph.CreateTeam(ctx, r.tenant, nt)
	if errors.Is(err, graph.ErrUncertain) {
		// The looks are scheduled from the loss, not from when the job
		// runs again, so the first one is not late by a queue pick-up.
		lost := r.e.opts.Now()
		r.cp.LostAt = lost
		r.cp.log(lost, "create", "the answer was lost; looking for the team before creating it again")
		return r.nextLook(lost), r.save(ctx)
	}
	var refused *graph.Error
	if errors.As(err, &refused) {
		// Graph answered every try, and no answer was lost (that is
		// ErrUncertain): a refusal (429, 503, 400...) means the team was not
		// made, so a rerun creates it without looking for it first.
		r.cp.CreateStartedAt = time.Time{}
		if serr := r.save(ctx); serr != nil {
			return 0, errors.Join(graphFailure(err, "create the team"), serr)
		}
	}
	if err != nil {
		return 0, graphFailure(err, "create the team")
	}
	// The polls count from Graph's answer, not from when the run began:
	// the call may have waited seconds for the tenant's budget, and polls
	// counted from before that wait come too early to find the team ready.
	sent := r.e.opts.Now()
	r.cp.TeamID, r.cp.OperationID, r.cp.Polls = team, op, 0
	r.cp.log(sent, "create", "team "+team)
	return r.pollWait(sent), r.save(ctx)
}

// lookAt is when look n (from 0) for a team whose creation answer was lost
// is due: LookupWait after the loss, then twice and four times that.
func (r *run) lookAt(n int) time.Time { return r.cp.LostAt.Add(r.e.opts.LookupWait << n) }

// nextLook is the wait until the next look is due (0: due now).
func (r *run) nextLook(now time.Time) time.Duration {
	return max(0, r.lookAt(r.cp.Lookups).Sub(now))
}

// lookup finds a group with the request's display name created since the
// attempt to create it began (allowing five minutes of clock skew).
func (r *run) lookup(ctx context.Context) (string, error) {
	gs, err := r.e.graph.GroupsWhere(ctx, r.tenant, "displayName eq "+graph.Quote(r.req.DisplayName))
	if err != nil {
		return "", graphFailure(err, "look for the team")
	}
	since := r.cp.CreateStartedAt.Add(-5 * time.Minute)
	best := ""
	var bestAt time.Time
	for _, g := range gs {
		if g.DisplayName != r.req.DisplayName || g.CreatedDateTime.Before(since) {
			continue
		}
		if best == "" || g.CreatedDateTime.Before(bestAt) {
			best, bestAt = g.ID, g.CreatedDateTime
		}
	}
	return best, nil
}

// wait polls the creation until the team is ready.
func (r *run) wait(ctx context.Context) (time.Duration, error) {
	if r.cp.TeamReady {
		return 0, nil
	}
	now := r.e.opts.Now()
	if r.cp.NextPollAt.After(now) {
		// Woken early: Teams needs more time. Meanwhile the group exists,
		// so its mail alias can be set while Teams works.
		if err := r.nicknameEarly(ctx); err != nil {
			return 0, err
		}
		if now = r.e.opts.Now(); r.cp.NextPollAt.After(now) {
			return r.cp.NextPollAt.Sub(now), nil
		}
		// The try took until the poll was due: poll now.
	}
	if r.cp.OperationID == "" {
		// Adopted after a lost answer: the team itself says when it is ready.
		team, err := r.e.graph.Team(ctx, r.tenant, r.cp.TeamID)
		switch {
		case graph.IsNotFound(err):
			return r.pollWait(now), r.save(ctx)
		case err != nil:
			return 0, graphFailure(err, "read the team")
		}
		r.cp.TeamReady, r.cp.WebURL = true, team.WebURL
		r.cp.log(now, "wait", "team ready")
		return 0, r.save(ctx)
	}
	op, err := r.e.graph.Operation(ctx, r.tenant, r.cp.TeamID, r.cp.OperationID)
	if err != nil {
		return 0, graphFailure(err, "read the team's creation status")
	}
	switch op.Status {
	case "succeeded":
		r.e.ops.observe(r.tenant, op.CreatedDateTime, op.LastActionDateTime)
		// The team's webUrl is the link people open it with (the
		// completion card and the request carry it): one read, in the
		// class Teams allows three times more of than creations.
		team, err := r.e.graph.Team(ctx, r.tenant, r.cp.TeamID)
		switch {
		case graph.IsNotFound(err):
			return r.pollWait(now), r.save(ctx) // replication delay: not readable yet
		case err != nil:
			return 0, graphFailure(err, "read the new team")
		}
		r.cp.TeamReady, r.cp.WebURL = true, team.WebURL
		r.cp.log(now, "wait", "team ready")
		return 0, r.save(ctx)
	case "failed":
		reason := "Teams reported that creating the team failed"
		if op.Error != nil {
			reason += ": " + op.Error.Code + " " + op.Error.Message
		}
		if r.cp.Recreations >= r.e.opts.MaxRecreations {
			return 0, failf("%s (%d times)", reason, r.cp.Recreations+1)
		}
		// Remove the half-made team and start over.
		if err := r.e.graph.DeleteGroup(ctx, r.tenant, r.cp.TeamID); err != nil {
			return 0, graphFailure(err, "delete the team whose creation failed")
		}
		r.cp.log(now, "wait", reason+"; deleted group "+r.cp.TeamID+" and creating the team again")
		r.cp.Recreations++
		r.cp.TeamID, r.cp.OperationID, r.cp.CreateStartedAt, r.cp.Polls, r.cp.NextPollAt = "", "", time.Time{}, 0, time.Time{}
		return r.e.opts.PollFirst, r.save(ctx)
	}
	return r.pollWait(now), r.save(ctx)
}

// pollWait is the wait before the next poll, remembered, so a run that
// starts early waits instead of polling. Once the engine has seen how long
// the tenant's team creations take (opTimes), the first poll comes just
// after three in four of them were done, and later ones every fifth of that
// time (at most PollFirst), growing by a fifth each poll up to PollMax.
// Before that, the first poll is after PollFirst and the step is PollFirst.
func (r *run) pollWait(now time.Time) time.Duration {
	first, step := r.e.opts.PollFirst, r.e.opts.PollFirst
	if typ, ok := r.e.ops.typical(r.tenant); ok {
		first = min(typ+typ/50+min(pollSlack, typ/10), r.e.opts.PollMax)
		step = min(max(typ/5, minPollStep), r.e.opts.PollFirst)
	}
	d := first
	if r.cp.Polls > 0 {
		d = step
		for range r.cp.Polls - 1 {
			d += d / 5
			if d >= r.e.opts.PollMax {
				d = r.e.opts.PollMax
				break
			}
		}
	}
	r.cp.Polls++
	r.cp.NextPollAt = now.Add(d)
	return d
}

// pollSlack (at most; a tenth of the learnt time for quick operations) is
// added to the learnt first poll, for the operation's start on Graph's
// side to lie a little before its answer reached Steward;
// minPollStep bounds how often a team still being made is polled.
const (
	pollSlack   = 50 * time.Millisecond
	minPollStep = 500 * time.Millisecond
)

// nicknameEarly tries once, while Teams is still making the team, to give
// the group its mail alias, so that step is off the path to completion
// (and so are its retries when Graph throttles it). The group is Graph's
// from the moment POST /teams answered, but it may not have replicated
// yet: any refusal leaves the alias to the nickname step, which runs
// once the team is ready, as it always did.
func (r *run) nicknameEarly(ctx context.Context) error {
	if r.cp.NicknameSet || r.cp.NicknameTried || r.req.MailNickname == "" || r.cp.OperationID == "" {
		return nil
	}
	r.cp.NicknameTried = true
	err := r.setNickname(ctx)
	var perm *permanent
	switch {
	case err == nil:
		return nil // saved
	case errors.As(err, &perm), ctx.Err() == nil:
		r.cp.log(r.e.opts.Now(), "nickname", "not set while Teams works ("+err.Error()+"); set once the team is ready")
		return r.save(ctx)
	}
	return err
}

// nickname gives the group the mailNickname the naming policy chose.
func (r *run) nickname(ctx context.Context) (time.Duration, error) {
	if r.cp.NicknameSet || r.req.MailNickname == "" {
		return 0, nil
	}
	return 0, r.setNickname(ctx)
}

// setNickname sets the group's mail alias and records it, without saving.
func (r *run) setNickname(ctx context.Context) error {
	err := r.e.graph.UpdateGroup(ctx, r.tenant, r.cp.TeamID, map[string]any{"mailNickname": r.req.MailNickname})
	var ge *graph.Error
	switch {
	case errors.As(err, &ge) && ge.Status == http.StatusBadRequest && strings.Contains(ge.Message, "mailNickname"):
		// Taken since the request was checked: the team works with the
		// alias Teams chose; say so rather than fail.
		r.cp.Notes = append(r.cp.Notes, fmt.Sprintf("the mail alias %q was taken meanwhile; the team kept the one Teams chose", r.req.MailNickname))
	case err != nil:
		return graphFailure(err, "set the team's mail alias")
	}
	r.cp.NicknameSet = true
	r.cp.log(r.e.opts.Now(), "nickname", r.req.MailNickname)
	return r.save(ctx)
}

// picture uploads the template's picture as the team's photo. A picture
// that cannot be used (gone from the store, not JPEG or PNG, too big)
// is noted and skipped: the team works without it.
func (r *run) picture(ctx context.Context) (time.Duration, error) {
	if r.cp.PictureSet || r.tpl.Picture == "" {
		return 0, nil
	}
	note := func(format string, args ...any) (time.Duration, error) {
		r.cp.Notes = append(r.cp.Notes, fmt.Sprintf(format, args...))
		r.cp.PictureSet = true
		r.cp.log(r.e.opts.Now(), "picture", "skipped")
		return 0, r.save(ctx)
	}
	if r.e.opts.Pictures == nil {
		return note("the template's picture was not set: this Steward has no picture store")
	}
	rc, info, err := r.e.opts.Pictures.Get(ctx, r.tenant, r.tpl.Picture)
	switch {
	case governance.IsKind(err, governance.KindNotFound):
		return note("the template's picture %q is missing from the store; the team has Teams' default picture", r.tpl.Picture)
	case err != nil:
		return 0, fmt.Errorf("provision: read the template's picture: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxPicture+1))
	_ = rc.Close()
	if err != nil {
		return 0, fmt.Errorf("provision: read the template's picture: %w", err)
	}
	if (info.ContentType != "image/jpeg" && info.ContentType != "image/png") || len(data) > maxPicture {
		return note("the template's picture must be a JPEG or PNG of at most 4 MB (it is %s, %d bytes); the team has Teams' default picture", info.ContentType, len(data))
	}
	if err := r.e.graph.SetGroupPhoto(ctx, r.tenant, r.cp.TeamID, info.ContentType, data); err != nil {
		return 0, graphFailure(err, "set the team's picture")
	}
	r.cp.PictureSet = true
	r.cp.log(r.e.opts.Now(), "picture", r.tpl.Picture)
	return 0, r.save(ctx)
}

// members adds those who did not fit in the creation request.
func (r *run) members(ctx context.Context) (time.Duration, error) {
	if r.cp.MembersAdded {
		return 0, nil
	}
	_, rest := peopleOf(r.req, r.tpl).split()
	if len(rest) > 0 {
		failed, err := r.e.graph.AddMembers(ctx, r.tenant, r.cp.TeamID, rest)
		if err != nil {
			return 0, graphFailure(err, "add members")
		}
		for _, f := range failed {
			r.cp.Notes = append(r.cp.Notes, fmt.Sprintf("user %s could not be added (%s)", f.UserID, f.Code))
		}
	}
	r.cp.MembersAdded = true
	r.cp.log(r.e.opts.Now(), "members", fmt.Sprintf("%d added in bulk", len(rest)))
	return 0, r.save(ctx)
}

// complete records the team in the domain.
func (r *run) complete(ctx context.Context) (time.Duration, error) {
	_, err := r.e.wf.Provisioned(ctx, governance.Principal{Kind: governance.PrincipalSystem, TenantID: r.tenant,
		ID: governance.Provisioner.ID, Name: governance.Provisioner.Name}, r.req.ID,
		governance.TeamOutcome{TeamID: r.cp.TeamID, WebURL: r.cp.WebURL, Notes: r.notes()})
	if err != nil {
		return 0, err
	}
	r.e.log.InfoContext(ctx, "team provisioned", "tenant_id", r.tenant, "request", r.req.ID, "team", r.cp.TeamID)
	return 0, nil
}

// notes are the checkpoint's notes plus what provisioning never applies.
// Microsoft Graph assigns sensitivity labels to groups only with delegated
// permissions ("App-only token is not supported"), and provisioning runs
// app-only, so a template's label is left to an owner, and said so.
func (r *run) notes() []string {
	notes := slices.Clone(r.cp.Notes)
	if l := r.tpl.Policies.SensitivityLabel; l != "" {
		notes = append(notes, fmt.Sprintf("apply the sensitivity label %s in Teams or Outlook: Microsoft Graph lets only a signed-in owner assign labels to a team", l))
	}
	return notes
}

// graphFailure sorts a Graph error: transient ones are retried by the job
// queue; the rest fail the request with a reason an administrator can act
// on (Graph's own code and request id included for Microsoft support).
func graphFailure(err error, what string) error {
	if graph.IsNoCredential(err) {
		// Retrying cannot help: fail now with the reason, and let an
		// administrator retry once the credential is stored.
		return failf("Steward has no Microsoft Graph credential for this tenant, so it cannot %s (graph_not_configured): an administrator must add one (steward tenants credential), then retry", what)
	}
	var ge *graph.Error
	if !errors.As(err, &ge) {
		return fmt.Errorf("provision: %s: %w", what, err)
	}
	if ge.Transient() {
		return fmt.Errorf("provision: %s: %w", what, err)
	}
	reason := fmt.Sprintf("Microsoft Graph refused to %s: %s %s", what, ge.Code, ge.Message)
	switch ge.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		reason = fmt.Sprintf("Steward's app lacks a Microsoft Graph permission to %s (%s: %s); grant admin consent, then retry", what, ge.Code, ge.Message)
	}
	if ge.RequestID != "" {
		reason += " (request-id " + ge.RequestID + ")"
	}
	return &permanent{reason}
}
