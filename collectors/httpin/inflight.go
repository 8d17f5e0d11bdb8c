package httpin

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/duban-gov/duban/internal/web"
)

// DefaultInflightBytes is the default of Limits.InflightBytes: two bodies of the largest
// size at once. A full batch costs several times its body while it is decoded and stored
// (the body, the decoded events, the script's arguments, and the garbage collector's
// headroom over them), so the default keeps the process under 300 MiB however many
// clients send at once (docs/operations.md, "Capacity", gives the measurement).
const DefaultInflightBytes = 2 * DefaultBodyBytes

// inflightRetryAfter is the Retry-After, in seconds, of a request refused for the budget:
// a full batch is decoded and stored in well under a second.
const inflightRetryAfter = 1

// inflight is the budget of request body bytes held at once by the handler, from before
// the body is read until the answer is written. A request that does not fit is refused at
// once with 503 and Retry-After, before a byte of its body is read: the process does not
// grow with the number of clients sending, and a client that holds its connection open
// without finishing its body holds at most its own reservation, until the body timeout
// (Limits.BodyTimeout, enforced by the HTTP server's ReadTimeout) ends it.
type inflight struct {
	mu   sync.Mutex
	free int64
	max  int64
}

func newInflight(max int64) *inflight { return &inflight{free: max, max: max} }

// take reserves n bytes; false when they are not free now.
func (f *inflight) take(n int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n > f.free {
		return false
	}
	f.free -= n
	return true
}

// give returns n reserved bytes.
func (f *inflight) give(n int64) {
	f.mu.Lock()
	f.free += n
	f.mu.Unlock()
}

// inUse is the number of bytes reserved now.
func (f *inflight) inUse() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.max - f.free
}

// reservation is what a request must reserve before its body is read: its declared
// Content-Length, or the body limit when it declares none (chunked).
func reservation(r *http.Request, limit int64) int64 {
	if r.ContentLength > 0 && r.ContentLength <= limit {
		return r.ContentLength
	}
	return limit
}

// busy is the 503 of a request that does not fit in the budget.
func busy(max int64) *web.Error {
	return &web.Error{Code: web.Unavailable, RetryAfter: inflightRetryAfter,
		Message: fmt.Sprintf("the service is taking in %d bytes of other batches already (limits.inflight_bytes); nothing was read; retry after the time in Retry-After", max)}
}

// bodyTimedOut reports whether reading the body failed on the server's read deadline.
func bodyTimedOut(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
