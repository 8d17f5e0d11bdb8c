package engine

import (
	"fmt"
	"time"

	"github.com/duban-gov/duban/internal/codec"
	"github.com/duban-gov/duban/monitor/alerting"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/rdb"
)

// What the applier commits for a case: the stored snapshot decoded, folded by fold.Step,
// and encoded for commit.lua. applier.go is the loop around it.

// prepare folds one snapshot (fold.Step) and encodes its commit: the state, the alert
// records the fold implies, the fault counts and the transitions for the outbox.
func (a *Applier) prepare(rules fold.Rules, snap *rdb.Snapshot, now time.Time) (rdb.Commit, error) {
	a.folds.Add(1)
	in := fold.Input{CaseID: snap.CaseID, Department: snap.Department, Events: snap.Events}
	if snap.State != nil {
		// Only what the fold compares with: decoding into a small struct skips the rest of
		// the document (a third of the fold's cost when the whole state was decoded).
		in.Prev = &fold.Prev{}
		if err := codec.Unmarshal(snap.State, in.Prev); err != nil {
			return rdb.Commit{}, fmt.Errorf("engine: decode state of %s: %w", snap.CaseID, err)
		}
		if snap.Faults != nil {
			if err := codec.Unmarshal(snap.Faults, &in.Prev.Faults); err != nil {
				return rdb.Commit{}, fmt.Errorf("engine: decode faults of %s: %w", snap.CaseID, err)
			}
		}
	}
	records, err := DecodeRecords(snap.CaseID, snap.Alerts)
	if err != nil {
		return rdb.Commit{}, err
	}
	if records != nil {
		if in.Prev == nil {
			in.Prev = &fold.Prev{}
		}
		in.Prev.Records = records
	}
	st, err := rules.Step(in, now)
	if err != nil {
		return rdb.Commit{}, err
	}
	doc, err := codec.Marshal(&st.State)
	if err != nil {
		return rdb.Commit{}, fmt.Errorf("engine: encode state of %s: %w", snap.CaseID, err)
	}
	fdoc, err := codec.Marshal(st.Faults)
	if err != nil {
		return rdb.Commit{}, fmt.Errorf("engine: encode faults of %s: %w", snap.CaseID, err)
	}
	c := rdb.Commit{Snap: snap, State: doc, Stage: string(st.State.Stage), Level: string(st.State.Level),
		Faults: fdoc, NextTimer: st.NextTimer, DueDay: st.DueDay, Transitions: st.Transitions}
	var prevAt time.Time
	if in.Prev != nil {
		prevAt = in.Prev.At
	}
	for i := range snap.Events {
		if r := snap.Events[i].Receipt(); snap.State == nil || r.After(prevAt) {
			c.Received = append(c.Received, r)
		}
	}
	docs := make(map[string][]byte, len(st.Changed))
	for i := range st.Changed {
		r := &st.Changed[i]
		rdoc, err := codec.Marshal(r)
		if err != nil {
			return rdb.Commit{}, fmt.Errorf("engine: encode alert %s: %w", r.ID, err)
		}
		oldState := ""
		if o, ok := records[r.Key]; ok {
			oldState = string(o.State)
		}
		docs[r.Key] = rdoc
		c.Alerts = append(c.Alerts, rdb.AlertWrite{Key: r.Key, ID: r.ID, OldState: oldState, NewState: string(r.State), Doc: rdoc})
	}
	for i := range c.Transitions {
		if t := &c.Transitions[i]; t.Type == fold.TAlert {
			t.AlertDoc = docs[t.Key]
		}
	}
	return c, nil
}

// DecodeRecords decodes stored alert records (key → JSON) keyed by alert key.
func DecodeRecords(caseID string, docs map[string][]byte) (map[string]alerting.Record, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	out := make(map[string]alerting.Record, len(docs))
	for k, v := range docs {
		var r alerting.Record
		if err := codec.Unmarshal(v, &r); err != nil {
			return nil, fmt.Errorf("engine: decode alert %s of %s: %w", k, caseID, err)
		}
		out[k] = r
	}
	return out, nil
}

func eventIDs(s *rdb.Snapshot) []string {
	ids := make([]string, len(s.Events))
	for i := range s.Events {
		ids[i] = s.Events[i].EventID
	}
	return ids
}
