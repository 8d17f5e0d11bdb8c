package wake

import (
	"sync"
	"testing"
)

func TestWakeUpsCollapseAndNeverBlock(t *testing.T) {
	var s Signal
	for range 100 {
		s.Wake() // nobody waits: must not block
	}
	select {
	case <-s.C():
	default:
		t.Fatal("a wake-up before the waiter looked was lost")
	}
	select {
	case <-s.C():
		t.Fatal("a burst of wake-ups was kept as more than one")
	default:
	}
}

func TestWakeFromManyGoroutines(t *testing.T) {
	var s Signal
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(s.Wake)
	}
	<-s.C()
	wg.Wait()
}
