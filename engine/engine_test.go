package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/engine"
	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/monitor"
	"github.com/duban-gov/duban/monitor/clock"
	"github.com/duban-gov/duban/monitor/fold"
	"github.com/duban-gov/duban/monitor/workday"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

var catalog = monitor.NewCatalog(
	[]monitor.Department{{Code: "env", Name: "区生态环境局"}},
	[]monitor.Matter{{Code: "ENV-EIA-001", Name: "建设项目环境影响报告表审批", Department: "env",
		StatutoryDays: 20, PromisedDays: 10, WarnDays: 2, AcceptanceDays: 5, DeliveryDays: 10, MaxExtensionDays: 10}},
)

// harness is one replica's applying side on a real Redis under a fresh prefix.
type harness struct {
	t     *testing.T
	store *rdb.Store
	clock *clock.ManualClock
	cals  *engine.Calendars
	app   *engine.Applier
	wall  time.Time // plumbing time handed to claims; tests move it to make leases lapse
	mu    sync.Mutex
}

func newHarness(t *testing.T, store *rdb.Store, now time.Time) *harness {
	t.Helper()
	h := &harness{t: t, store: store, clock: clock.Manual(now), wall: time.Unix(1_800_000_000, 0)}
	cals, err := engine.NewCalendars(context.Background(), store, workday.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	h.cals = cals
	h.app = h.applier()
	return h
}

func (h *harness) rules() fold.Rules {
	return fold.Rules{Catalog: catalog, Calendar: h.cals.Current(), Loc: shanghai, ReportWithin: 24 * time.Hour}
}

func (h *harness) applier() *engine.Applier {
	a, err := engine.NewApplier(engine.ApplierOptions{Store: h.store, Rules: h.rules, Clock: h.clock,
		Wall: func() time.Time { h.mu.Lock(); defer h.mu.Unlock(); return h.wall }})
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

func (h *harness) ingest(evs ...monitor.Event) []rdb.IngestResult {
	h.t.Helper()
	for i := range evs {
		evs[i].ReceivedAt = h.clock.Now()
	}
	res, err := h.store.Ingest(context.Background(), evs, h.wall)
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

// drain applies until nothing is dirty.
func (h *harness) drain() {
	h.t.Helper()
	for range 100 {
		n, err := h.app.ApplyOnce(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	h.t.Fatal("applier does not settle")
}

func (h *harness) state(caseID string) fold.CaseState {
	h.t.Helper()
	rec, ok, err := h.store.Case(context.Background(), caseID)
	if err != nil || !ok || rec.State == nil {
		h.t.Fatalf("case %s: ok=%v err=%v state=%s", caseID, ok, err, rec.State)
	}
	var st fold.CaseState
	if err := json.Unmarshal(rec.State, &st); err != nil {
		h.t.Fatal(err)
	}
	return st
}

func (h *harness) transitions(caseID string) []fold.Transition {
	h.t.Helper()
	msgs, err := h.store.Outbox(context.Background(), rdb.Partition(caseID), "", 10_000)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []fold.Transition
	for _, m := range msgs {
		trs, err := engine.DecodeOutboxEntry(m)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, tr := range trs {
			if tr.CaseID == caseID {
				out = append(out, tr)
			}
		}
	}
	return out
}

// life is a typical case: submitted, accepted, suspended for expert review, resumed,
// extended and decided.
func life(caseID string) []monitor.Event {
	e := func(id string, typ monitor.EventType, when string) monitor.Event {
		return monitor.Event{EventID: caseID + "-" + id, CaseID: caseID, Department: "env", Type: typ, At: at(when), Handler: "zhang.san"}
	}
	evs := []monitor.Event{
		e("01", monitor.Submitted, "2026-03-02 09:00"),
		e("02", monitor.Accepted, "2026-03-03 10:00"),
		e("03", monitor.Suspended, "2026-03-05 15:00"),
		e("04", monitor.Resumed, "2026-03-10 11:00"),
		e("05", monitor.Extended, "2026-03-12 09:00"),
		e("06", monitor.Decided, "2026-03-25 16:00"),
	}
	evs[0].Matter = "ENV-EIA-001"
	evs[2].Reason = monitor.ReasonExpertReview
	evs[4].Days, evs[4].Approver = 5, "li.si"
	evs[5].Result = monitor.ResultApproved
	return evs
}

// comparable strips what legitimately differs between two cases with the same life.
func comparable(st fold.CaseState) string {
	id := st.CaseID
	st.CaseID, st.At = "", time.Time{}
	b, _ := json.Marshal(st)
	// Alert ids (and the event ids of life) carry the case id.
	return strings.ReplaceAll(string(b), id, "CASE")
}

func TestDuplicatesChangeNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, rdbtest.Store(t), at("2026-03-26 09:00"))
	h.ingest(life("dup")...)
	h.drain()
	before, trBefore := comparable(h.state("dup")), len(h.transitions("dup"))
	for _, r := range h.ingest(life("dup")...) {
		if r.Status != rdb.Duplicate {
			t.Fatalf("re-sent event: %+v, want duplicate", r)
		}
	}
	h.drain()
	if after := comparable(h.state("dup")); after != before {
		t.Errorf("state changed by duplicates:\n%s\n%s", before, after)
	}
	if n := len(h.transitions("dup")); n != trBefore {
		t.Errorf("duplicates emitted transitions: %d → %d", trBefore, n)
	}
}

func TestArrivalOrderGivesTheSameState(t *testing.T) {
	t.Parallel()
	h := newHarness(t, rdbtest.Store(t), at("2026-03-26 09:00"))
	h.ingest(life("ord-ref")...)
	h.drain()
	want := comparable(h.state("ord-ref"))
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 6 {
		id := fmt.Sprintf("ord-%d", round)
		evs := life(id)
		rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		for _, e := range evs { // one by one, applying in between, as late reports would come
			h.ingest(e)
			h.drain()
		}
		if got := comparable(h.state(id)); got != want {
			t.Errorf("order %d gives\n%s\nwant\n%s", round, got, want)
		}
	}
}

func TestCrashBetweenStoringAndApplying(t *testing.T) {
	t.Parallel()
	store := rdbtest.Store(t)
	h := newHarness(t, store, at("2026-03-26 09:00"))
	h.ingest(life("crash")...)
	// A replica claims the case and dies before committing.
	ids, _, err := store.ClaimDirty(context.Background(), h.wall, 30*time.Second, 100)
	if err != nil || len(ids) != 1 {
		t.Fatalf("claim: %v %v", ids, err)
	}
	// Another replica finds nothing while the lease holds…
	if n, _ := h.app.ApplyOnce(context.Background()); n != 0 {
		t.Fatalf("applied a case still leased to another replica")
	}
	// …and applies it, once, when the lease lapses.
	h.mu.Lock()
	h.wall = h.wall.Add(31 * time.Second)
	h.mu.Unlock()
	h.drain()
	st := h.state("crash")
	if st.Stage != monitor.StageDelivery {
		t.Errorf("stage %s, want delivery", st.Stage)
	}
	opened := 0
	for _, tr := range h.transitions("crash") {
		if tr.Type == fold.TCaseOpened {
			opened++
		}
	}
	if opened != 1 {
		t.Errorf("case_opened emitted %d times, want 1", opened)
	}
}

func TestRacingAppliersLoseNothing(t *testing.T) {
	t.Parallel()
	store := rdbtest.Store(t)
	h := newHarness(t, store, at("2026-03-26 09:00"))
	a, b := h.applier(), h.applier()
	evs := life("race")
	var wg sync.WaitGroup
	for _, ap := range []*engine.Applier{a, b} {
		wg.Go(func() {
			for range 40 {
				if err := ap.Apply(context.Background(), []string{"race"}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for _, e := range evs {
		h.ingest(e)
	}
	wg.Wait()
	h.drain()
	st := h.state("race")
	if st.Stage != monitor.StageDelivery || st.ExtensionDays != 5 {
		t.Errorf("final state lost an update: stage %s, extension %d", st.Stage, st.ExtensionDays)
	}
	// Transitions chain without gaps or repeats: each stage change starts where the last ended.
	stage, opened := "", 0
	for _, tr := range h.transitions("race") {
		switch tr.Type {
		case fold.TCaseOpened:
			opened++
		case fold.TStageChanged:
			if tr.From != stage {
				t.Errorf("stage_changed from %q, but the stage was %q", tr.From, stage)
			}
			stage = tr.To
		}
	}
	if opened != 1 || stage != string(monitor.StageDelivery) {
		t.Errorf("opened %d times, last stage %q", opened, stage)
	}
}

func TestRetractionRestoresTheState(t *testing.T) {
	t.Parallel()
	// Inside the acceptance period (5 working days from Mon 03-02, to 03-09): without the
	// acceptance the case is back in acceptance, not yet deemed accepted.
	h := newHarness(t, rdbtest.Store(t), at("2026-03-04 11:00"))
	evs := life("ret")[:2] // submitted, accepted
	h.ingest(evs...)
	h.drain()
	if st := h.state("ret"); st.Stage != monitor.StageDecision {
		t.Fatalf("stage %s, want decision", st.Stage)
	}
	h.ingest(monitor.Event{EventID: "ret-99", CaseID: "ret", Department: "env", Type: monitor.Retracted,
		Ref: "ret-02", At: at("2026-03-04 09:00")})
	h.drain()
	st := h.state("ret")
	if st.Stage != monitor.StageAcceptance || st.AcceptedAt != nil || st.AcceptanceDue == nil ||
		st.AcceptanceDue.Date.String() != "2026-03-09" {
		t.Errorf("after retracting the acceptance: stage %s, accepted_at %v", st.Stage, st.AcceptedAt)
	}
}

func TestBurstOfOneCaseFoldsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, rdbtest.Store(t), at("2026-03-26 09:00"))
	evs := life("burst")
	for i := range 4 {
		evs = append(evs, monitor.Event{EventID: fmt.Sprintf("burst-s%d", i), CaseID: "burst", Department: "env",
			Type: monitor.Step, Handler: fmt.Sprintf("h%d", i), At: at("2026-03-20 09:00").Add(time.Duration(i) * time.Minute)})
	}
	h.ingest(evs...) // ten events in one batch
	h.drain()
	if n := h.app.Folds(); n != 1 {
		t.Errorf("ten events of one case cost %d folds, want 1", n)
	}
}

func TestCaseWithoutSubmissionWaitsAsDeadLetter(t *testing.T) {
	t.Parallel()
	store := rdbtest.Store(t)
	h := newHarness(t, store, at("2026-03-26 09:00"))
	evs := life("early")
	h.ingest(evs[1]) // accepted arrives before submitted
	h.drain()
	list, _, err := store.DeadLetters(context.Background(), "", 10)
	if err != nil || len(list) != 1 || list[0].CaseID != "early" {
		t.Fatalf("dead letters: %+v %v", list, err)
	}
	h.ingest(evs[0])
	h.drain()
	if list, _, _ := store.DeadLetters(context.Background(), "", 10); len(list) != 0 {
		t.Errorf("dead letter kept after the case became applicable: %+v", list)
	}
	if st := h.state("early"); st.Stage != monitor.StageDecision {
		t.Errorf("stage %s, want decision", st.Stage)
	}
}

func TestLoadingACalendarMovesAProvisionalDeadline(t *testing.T) {
	t.Parallel()
	store := rdbtest.Store(t)
	h := newHarness(t, store, at("2026-12-22 09:00"))
	evs := life("prov")[:2]
	evs[0].At, evs[1].At = at("2026-12-21 09:00"), at("2026-12-21 10:00") // accepted Mon 2026-12-21
	h.ingest(evs...)
	h.drain()
	st := h.state("prov")
	if !st.Provisional || st.DecisionDuePromised == nil {
		t.Fatalf("not provisional: %+v", st.Result)
	}
	// Fallback 2027: only 01-01 off. 10 working days after Mon 12-21: 12-22..12-31 are 8,
	// then 01-04, 01-05 → 2027-01-05.
	if got := st.DecisionDuePromised.Date.String(); got != "2027-01-05" {
		t.Fatalf("provisional promised deadline %s, want 2027-01-05", got)
	}
	// The real 2027 (made up here) takes 01-04..01-05 off as well.
	doc := []byte("year: 2027\noff:\n  - 2027-01-01\n  - 2027-01-04..2027-01-05\nwork: []\nsource: test\n")
	if _, err := h.cals.Load(context.Background(), 2027, doc); err != nil {
		t.Fatal(err)
	}
	n, err := engine.Affected(context.Background(), store, 2027, h.wall)
	if err != nil || n != 1 {
		t.Fatalf("affected: %d %v", n, err)
	}
	h.drain()
	st = h.state("prov")
	if st.Provisional {
		t.Error("still provisional after the year was loaded")
	}
	if got := st.DecisionDuePromised.Date.String(); got != "2027-01-07" {
		t.Errorf("promised deadline %s, want 2027-01-07", got)
	}
}

// An applier's workers share wake-ups: one wake makes one idle worker look, and the
// wake-up dies out when there is no work. (A worker that passed every wake-up on to the
// next kept all of them claiming in a loop, forever: 1.5k empty claims a second.)
func TestIdleApplierDoesNotSpin(t *testing.T) {
	t.Parallel()
	app, stop := runIdleApplier(t, time.Hour)
	defer stop()
	// Each worker looks once at start; then three wake-ups with nothing to do, each taken
	// by one idle worker.
	eventually.True(t, "each worker's first look", func() bool { return app.Rounds() >= 8 })
	for i := range int64(3) {
		app.Wake()
		eventually.True(t, "a look after the wake-up", func() bool { return app.Rounds() >= 8+i+1 })
	}
	// Real time passes only so a spinning applier would show (plumbing, not a business
	// deadline): nothing can signal that nothing happened.
	time.Sleep(200 * time.Millisecond)
	if n := app.Rounds(); n > 8+3 {
		t.Fatalf("an idle applier made %d claims for 8 workers and 3 wake-ups", n)
	}
}

// A commit reports when each newly applied event was taken in (for the receipt-to-applied
// latency): a backfilled event's StoredAt, not its ReceivedAt of months ago.
func TestCommitReportsReceiptOfBackfilledEvents(t *testing.T) {
	t.Parallel()
	h := newHarness(t, rdbtest.Store(t), at("2026-03-26 09:00"))
	var got []time.Time
	var mu sync.Mutex
	app, err := engine.NewApplier(engine.ApplierOptions{Store: h.store, Rules: h.rules, Clock: h.clock,
		Committed: func(cs []rdb.Commit) {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range cs {
				got = append(got, c.Received...)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	evs := opened("bf-1", "zhang.san")
	for i := range evs {
		evs[i].ReceivedAt, evs[i].StoredAt = evs[i].At, h.clock.Now()
	}
	if _, err := h.store.Ingest(context.Background(), evs, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n, err := app.ApplyOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("applied %d: %v", n, err)
	}
	if len(got) != 2 || !got[0].Equal(h.clock.Now()) || !got[1].Equal(h.clock.Now()) {
		t.Errorf("receipts %v, want the storing instant twice", got)
	}
}

// Only one worker wakes on the fallback poll: an idle replica with 8 workers makes one claim
// round per poll, not eight.
func TestIdleApplierPollsWithOneWorker(t *testing.T) {
	t.Parallel()
	app, stop := runIdleApplier(t, 20*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // plumbing: let about 15 polls pass
	stop()
	// 8 rounds at start, then one per poll (15, give or take a slow machine's timers).
	if n := app.Rounds(); n > 8+30 {
		t.Errorf("an idle applier made %d claims in 15 polls of 8 workers", n)
	}
}

// runIdleApplier runs an applier of 8 workers with nothing to do; stop ends it and waits.
func runIdleApplier(t *testing.T, poll time.Duration) (app *engine.Applier, stop func()) {
	t.Helper()
	app, err := engine.NewApplier(engine.ApplierOptions{Store: rdbtest.Store(t), Workers: 8, Poll: poll,
		Rules: func() fold.Rules {
			return fold.Rules{Catalog: catalog, Calendar: workday.Builtin(), Loc: shanghai}
		}, Clock: clock.Manual(at("2026-03-26 09:00"))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = app.Run(ctx); close(done) }()
	return app, func() { cancel(); <-done }
}
