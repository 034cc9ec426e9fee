package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/stewardhq/steward/governance"
)

// Checkpoints stores provisioning checkpoints (*store.DB).
type Checkpoints interface {
	Checkpoint(ctx context.Context, tenantID, requestID string) ([]byte, error)
	SaveCheckpoint(ctx context.Context, tenantID, requestID string, doc []byte) error
}

// checkpoint is what a request's provisioning has done in Graph. It is
// saved before a call whose outcome could be lost (so the rerun knows to
// look) and after each call (so the rerun does not repeat it).
type checkpoint struct {
	Attempt int `json:"attempt"`
	// CreateStartedAt is set just before POST /teams: if TeamID is still
	// empty on a rerun, the team may exist and is looked for first.
	CreateStartedAt time.Time `json:"createStartedAt,omitzero"`
	// LostAt is when that call's answer was lost; the looks for the team
	// are scheduled from it.
	LostAt      time.Time `json:"lostAt,omitzero"`
	Lookups     int       `json:"lookups,omitempty"` // fruitless look-ups since
	TeamID      string    `json:"teamId,omitempty"`
	OperationID string    `json:"operationId,omitempty"`
	Polls       int       `json:"polls,omitempty"`
	NextPollAt  time.Time `json:"nextPollAt,omitzero"` // no poll before (a follow-up may start early)
	TeamReady   bool      `json:"teamReady,omitempty"`
	Recreations int       `json:"recreations,omitempty"` // failed operations cleaned up
	NicknameSet bool      `json:"nicknameSet,omitempty"`
	// NicknameTried: the alias was tried once while Teams made the team.
	NicknameTried bool      `json:"nicknameTried,omitempty"`
	MembersAdded  bool      `json:"membersAdded,omitempty"`
	PictureSet    bool      `json:"pictureSet,omitempty"`
	WebURL        string    `json:"webUrl,omitempty"`
	Notes         []string  `json:"notes,omitempty"`
	Steps         []stepLog `json:"steps,omitempty"`
}

type stepLog struct {
	Step string    `json:"step"`
	At   time.Time `json:"at"`
	Note string    `json:"note,omitempty"`
}

const maxStepLog = 50

func (c *checkpoint) log(now time.Time, step, note string) {
	c.Steps = append(c.Steps, stepLog{Step: step, At: now, Note: note})
	if len(c.Steps) > maxStepLog {
		c.Steps = c.Steps[len(c.Steps)-maxStepLog:]
	}
}

func load(ctx context.Context, s Checkpoints, tenantID, requestID string) (checkpoint, error) {
	var c checkpoint
	doc, err := s.Checkpoint(ctx, tenantID, requestID)
	if governance.IsKind(err, governance.KindNotFound) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(doc, &c); err != nil {
		return c, fmt.Errorf("provision: checkpoint of %s: %w", requestID, err)
	}
	return c, nil
}

func save(ctx context.Context, s Checkpoints, tenantID, requestID string, c checkpoint) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	// A checkpoint must land even if the job's context was just cancelled
	// (shutdown): it records a call Graph already carried out.
	return s.SaveCheckpoint(context.WithoutCancel(ctx), tenantID, requestID, doc)
}
