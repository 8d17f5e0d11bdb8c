package report

import "github.com/duban-gov/duban/supervision"

func stateName(s string) string { return supervision.State(s).Name() }
