package sqlpoll_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collectors/sqlpoll"
	"github.com/duban-gov/duban/internal/eventually"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

// The database away at start and again later, through a proxy the test cuts and restores
// (the shared servers stay up): back-off, one log line per outage, the status and
// duban_collector_up say so, and the source resumes from its stored cursor. The password in
// the data source name appears nowhere.
func TestDatabaseAwayAndBack(t *testing.T) {
	t.Parallel()
	for _, driver := range []string{"postgres", "mysql"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			x := newExchange(t, driver)
			px := newProxy(t, x.host)
			px.setCut(true) // unreachable at start
			store := newStore(t)
			src := x.source("away-" + driver)
			const secret = "s3cret-Pa55word"
			switch driver {
			case "postgres": // trust authentication: the password is sent to no one, and kept out of sight
				src.DSN = "postgres://postgres:" + secret + "@" + px.addr() + "/test?sslmode=disable"
				src.Password = secret
			case "mysql":
				src.DSN = "root@tcp(" + px.addr() + ")/test"
			}
			x.insert(t, caseSteps("away", 1)...)
			r := start(t, store, "a", nil, src)
			status := func() string { return r.ps.Status()[src.Name] }
			up := func() float64 { return gauge(t, r.reg, "duban_collector_up", map[string]string{"source": src.Name}) }
			eventually.Describing(t, 30*time.Second, func() string { return "status " + status() }, func() bool {
				return strings.HasPrefix(status(), "unreachable: ") && up() == 0
			})
			px.setCut(false)
			eventually.Describing(t, 30*time.Second, func() string { return "status " + status() }, func() bool {
				return countStored(t, store, caseIDs("away", 1, 2)) == 2 && status() == sqlpoll.StatusOK && up() == 1
			})
			px.setCut(true) // away again, while rows keep coming
			eventually.Describing(t, 30*time.Second, func() string { return "status " + status() }, func() bool {
				return strings.HasPrefix(status(), "unreachable: ") && up() == 0
			})
			for n := 2; n < 6; n++ {
				x.insert(t, caseSteps("away", n)...)
			}
			px.setCut(false)
			eventually.Describing(t, 30*time.Second, func() string { return "status " + status() }, func() bool {
				// The recovery's log line is written just after the status turns OK.
				return countStored(t, store, caseIDs("away", 1, 6)) == 10 && status() == sqlpoll.StatusOK &&
					strings.Count(r.log.String(), "msg=source_up") >= 2
			})
			logs := r.log.String()
			if n := strings.Count(logs, "msg=source_down"); n != 2 {
				t.Errorf("%d source_down lines for two outages:\n%s", n, logs)
			}
			if n := strings.Count(logs, "msg=source_up"); n != 2 {
				t.Errorf("%d source_up lines for two recoveries", n)
			}
			if got := r.rows(t, src.Name, "accepted"); got != 10 {
				t.Errorf("rows accepted = %v, want 10", got)
			}
			for what, text := range map[string]string{"logs": logs, "metrics": r.metricsText(t), "status": fmt.Sprint(r.ps.Status())} {
				if strings.Contains(text, secret) {
					t.Errorf("the password appears in the %s", what)
				}
			}
		})
	}
}

// The status says unreachable with the reason but never the password, even when the
// driver's own message carries the data source name.
func TestPasswordNeverShown(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	const secret = "Zq9-very-secret"
	src := newExchangeSource("pw", "postgres", "postgres://u:"+secret+"@127.0.0.1:1/test?sslmode=disable&connect_timeout=1")
	src.Password = secret
	r := start(t, store, "a", nil, src)
	status := func() string { return r.ps.Status()[src.Name] }
	eventually.Describing(t, 30*time.Second, func() string { return "status " + status() }, func() bool { return strings.HasPrefix(status(), "unreachable: ") })
	for what, text := range map[string]string{"logs": r.log.String(), "metrics": r.metricsText(t), "status": status()} {
		if strings.Contains(text, secret) {
			t.Errorf("the password appears in the %s: %s", what, text)
		}
	}
}

// Two replicas: one polls a source at a time; when it is killed (its lease not given
// back) the other takes over within the lease's TTL, and after a clean stop at once.
func TestOneReplicaPollsAtATime(t *testing.T) {
	t.Parallel()
	x := newExchange(t, "postgres")
	u, prefix := testredis.New(t)
	open := func() *rdb.Store {
		o, err := rdbtest.Options(u)
		if err != nil {
			t.Fatal(err)
		}
		o.Prefix = prefix
		s, err := rdb.Open(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	src := x.source("two")
	storeA, storeB := open(), open()
	a := start(t, storeA, "replica-a", nil, src)
	eventually.Describing(t, 30*time.Second, func() string { return "a never took the source" }, func() bool { return a.ps.Status()["two"] == sqlpoll.StatusOK })
	b := start(t, storeB, "replica-b", nil, src)
	x.insert(t, caseSteps("two", 1)...)
	eventually.Describing(t, 30*time.Second, func() string { return "not stored" }, func() bool { return countStored(t, storeA, caseIDs("two", 1, 2)) == 2 })
	for range 20 { // b stays on standby while a holds the lease
		if got := b.ps.Status()["two"]; got != sqlpoll.StatusStandby {
			t.Fatalf("b's status = %q while a polls, want standby", got)
		}
		eventually.Describing(t, 30*time.Second, func() string { return "" }, func() bool { return true })
	}
	// a dies: its Redis connection goes and its lease is not given back.
	storeA.Close()
	a.stop()
	x.insert(t, caseSteps("two", 2)...)
	eventually.Describing(t, 30*time.Second, func() string { return "b never took over; b: " + b.ps.Status()["two"] }, func() bool {
		return b.ps.Status()["two"] == sqlpoll.StatusOK && countStored(t, storeB, caseIDs("two", 2, 3)) == 2
	})
	// b stops cleanly: a third replica takes over at once, not after the TTL.
	c := start(t, open(), "replica-c", nil, src)
	if got := c.ps.Status()["two"]; got == sqlpoll.StatusOK {
		t.Fatal("c polls while b holds the lease")
	}
	b.stop()
	x.insert(t, caseSteps("two", 3)...)
	eventually.Describing(t, 30*time.Second, func() string { return "c never took over" }, func() bool {
		return c.ps.Status()["two"] == sqlpoll.StatusOK && countStored(t, storeB, caseIDs("two", 3, 4)) == 2
	})
	for i, evs := range storedEvents(t, storeB, caseIDs("two", 1, 4)) {
		if len(evs) != 2 {
			t.Errorf("case %d: %d events, want 2", i+1, len(evs))
		}
	}
}
