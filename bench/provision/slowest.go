package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// slowTeam is one of the last teams done, with what its provisioning did
// and when (from its checkpoint's step log), to show where the tail goes.
type slowTeam struct {
	id     string
	doneAt time.Duration
	steps  []string
}

// slowest reads the step logs of the n teams done last.
func (st *stack) slowest(ctx context.Context, start time.Time, done map[string]time.Duration, n int) ([]slowTeam, error) {
	ids := make([]string, 0, len(done))
	for id := range done {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Compare(done[b], done[a]) })
	var out []slowTeam
	for _, id := range ids[:min(n, len(ids))] {
		doc, err := st.db.Checkpoint(ctx, "contoso", id)
		if err != nil {
			return nil, err
		}
		var cp struct {
			Steps []struct {
				Step string    `json:"step"`
				At   time.Time `json:"at"`
				Note string    `json:"note"`
			} `json:"steps"`
		}
		if err := json.Unmarshal(doc, &cp); err != nil {
			return nil, fmt.Errorf("checkpoint of %s: %w", id, err)
		}
		t := slowTeam{id: id, doneAt: done[id]}
		for _, s := range cp.Steps {
			if s.Step == "attempt" {
				continue
			}
			note := s.Note
			if i := strings.Index(note, ";"); i > 0 {
				note = note[:i]
			}
			t.steps = append(t.steps, fmt.Sprintf("%.1f s %s: %s", s.At.Sub(start).Seconds(), s.Step, note))
		}
		out = append(out, t)
	}
	return out, nil
}
