package clock

// NewTimer makes a Timer of a Clock implemented outside this package (the steerable clock of
// `duban bench`): c is closed when the timer fires, stop cancels it and reports whether it did
// so before it fired.
func NewTimer(c <-chan struct{}, stop func() bool) *Timer { return &Timer{C: c, stop: stop} }
