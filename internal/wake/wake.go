// Package wake is duban's one wake-up signal: a loop that sleeps between rounds (the
// applier, the timer engine, the relay, the webhook dispatcher, the live overview) is told
// that there is work, without the teller ever blocking.
package wake

import "sync"

// Signal wakes one waiter. Wake-ups that come while nobody waits are kept as one, so a
// burst of them costs one extra round, and a wake-up that came just before the waiter
// looked is never lost. The zero value is ready to use; a Signal must not be copied.
type Signal struct {
	once sync.Once
	ch   chan struct{}
}

func (s *Signal) init() { s.once.Do(func() { s.ch = make(chan struct{}, 1) }) }

// Wake signals the waiter; it never blocks.
func (s *Signal) Wake() {
	s.init()
	select {
	case s.ch <- struct{}{}:
	default:
	}
}

// C is the channel to wait on; a receive takes the pending wake-up.
func (s *Signal) C() <-chan struct{} {
	s.init()
	return s.ch
}
