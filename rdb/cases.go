package rdb

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// CaseRecord is a case as stored: its owner department, index fields and last state.
type CaseRecord struct {
	CaseID     string
	Department string
	Stage      string
	Level      string
	State      []byte // nil when the case has events but was never applied
}

// Case reads one case's record. ok is false when no event of the case was ever stored.
func (s *Store) Case(ctx context.Context, caseID string) (rec CaseRecord, ok bool, err error) {
	v, err := s.c.HMGet(ctx, s.k.caseKey(caseID), "dept", "stage", "level", "state").Result()
	if err != nil {
		return rec, false, fmt.Errorf("rdb: read case %s: %w", caseID, err)
	}
	rec = recordOf(caseID, v)
	return rec, rec.Department != "", nil
}

func recordOf(id string, v []any) CaseRecord {
	str := func(j int) string {
		if j < len(v) {
			if s, ok := v[j].(string); ok {
				return s
			}
		}
		return ""
	}
	r := CaseRecord{CaseID: id, Department: str(0), Stage: str(1), Level: str(2)}
	if st := str(3); st != "" {
		r.State = []byte(st)
	}
	return r
}

// CaseQuery selects cases for a listing. Empty fields do not filter. Match, when set, is a
// further filter on the record (for fields no index carries, such as due dates).
type CaseQuery struct {
	Department string
	Stage      string
	Level      string
	After      string // return cases whose case_id sorts after this one (the page cursor)
	Limit      int
	Match      func(CaseRecord) bool
}

// maxScanRounds bounds the work of one listing: when filters reject most candidates, a page
// may come back short, with a cursor to continue from, rather than scanning for ever.
const maxScanRounds = 20

// ListCases lists applied cases in case_id order from the narrowest index the query allows,
// filtering the rest on the stored record. It returns the page and the case_id to continue
// after ("" when there is nothing more). Each round is two pipelined round trips.
func (s *Store) ListCases(ctx context.Context, q CaseQuery) ([]CaseRecord, string, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	index := s.k.idxAll
	switch {
	case q.Level != "":
		index = func(p int) string { return s.k.idxLevel(p, q.Level) }
	case q.Stage != "":
		index = func(p int) string { return s.k.idxStage(p, q.Stage) }
	case q.Department != "":
		index = func(p int) string { return s.k.idxDept(p, q.Department) }
	}
	return listPage(ctx, s, lister[CaseRecord]{what: "cases", limit: q.Limit, after: q.After, index: index,
		load: s.Records,
		id:   func(r CaseRecord) string { return r.CaseID },
		keep: func(r CaseRecord) bool {
			return r.State != nil && (q.Department == "" || r.Department == q.Department) &&
				(q.Stage == "" || r.Stage == q.Stage) && (q.Level == "" || r.Level == q.Level) &&
				(q.Match == nil || q.Match(r))
		}})
}

// nextIDs reads, in one pipelined round trip, up to want members sorting after `after` from
// each partition's lex index; the next want members overall are among them. more is true
// when some partition may hold further members.
func (s *Store) nextIDs(ctx context.Context, index func(p int) string, after string, want int64) (ids []string, more bool, err error) {
	min := "-"
	if after != "" {
		min = "(" + after
	}
	pipe := s.c.Pipeline()
	pages := make([]*redis.StringSliceCmd, Partitions)
	for p := range Partitions {
		pages[p] = pipe.ZRangeByLex(ctx, index(p), &redis.ZRangeBy{Min: min, Max: "+", Count: want})
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, false, err
	}
	for _, pg := range pages {
		v := pg.Val()
		if int64(len(v)) == want {
			more = true
		}
		ids = append(ids, v...)
	}
	return ids, more, nil
}

// Records reads the records of cases in one pipelined round trip, in the order given.
func (s *Store) Records(ctx context.Context, ids []string) ([]CaseRecord, error) {
	pipe := s.c.Pipeline()
	cmds := make([]*redis.SliceCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HMGet(ctx, s.k.caseKey(id), "dept", "stage", "level", "state")
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("rdb: read cases: %w", err)
	}
	out := make([]CaseRecord, len(ids))
	for i, id := range ids {
		out[i] = recordOf(id, cmds[i].Val())
	}
	return out, nil
}

// OpenCaseIDs lists every case not closed, partition by partition, calling fn with bounded
// batches (for recomputing after a calendar load). It reads the stage indexes, not the cases.
func (s *Store) OpenCaseIDs(ctx context.Context, fn func(ids []string) error) error {
	for p := range Partitions {
		for _, st := range []string{"acceptance", "decision", "delivery"} {
			min := "-"
			for {
				ids, err := s.c.ZRangeByLex(ctx, s.k.idxStage(p, st), &redis.ZRangeBy{Min: min, Max: "+", Count: 1000}).Result()
				if err != nil {
					return fmt.Errorf("rdb: open cases: %w", err)
				}
				if len(ids) == 0 {
					break
				}
				if err := fn(ids); err != nil {
					return err
				}
				if len(ids) < 1000 {
					break
				}
				min = "(" + ids[len(ids)-1]
			}
		}
	}
	return nil
}
