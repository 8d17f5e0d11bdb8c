package monitor

import "strings"

// Cell is where an open case counts in the open-case figures and gauges: its department,
// stage and level. Stored, it is one hash field, "dept|stage|level" (Format); a counted
// transition carries the part without the department, "stage|level" (StageLevel). This
// file is the one place either form is written or read: department codes, stages and
// levels never contain '|'.
type Cell struct {
	Department string
	Stage      Stage
	Level      Level
}

const cellSep = "|"

// Format writes the cell as "dept|stage|level".
func (c Cell) Format() string {
	return c.Department + cellSep + string(c.Stage) + cellSep + string(c.Level)
}

// StageLevel writes the cell without its department, as "stage|level".
func (c Cell) StageLevel() string { return string(c.Stage) + cellSep + string(c.Level) }

// ParseCell reads Format's "dept|stage|level"; ok is false for any other shape.
func ParseCell(s string) (c Cell, ok bool) {
	dept, rest, ok := strings.Cut(s, cellSep)
	if !ok {
		return Cell{}, false
	}
	c, ok = ParseStageLevel(rest)
	c.Department = dept
	return c, ok
}

// ParseStageLevel reads StageLevel's "stage|level" into a cell without department; ok is
// false for any other shape.
func ParseStageLevel(s string) (c Cell, ok bool) {
	stage, level, ok := strings.Cut(s, cellSep)
	if !ok || strings.Contains(level, cellSep) {
		return Cell{}, false
	}
	return Cell{Stage: Stage(stage), Level: Level(level)}, true
}
