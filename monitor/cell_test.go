package monitor

import "testing"

func TestCellRoundTrips(t *testing.T) {
	c := Cell{Department: "d-land", Stage: StageClosed, Level: Red}
	if got := c.Format(); got != "d-land|"+string(StageClosed)+"|red" {
		t.Errorf("Format %q", got)
	}
	if got, ok := ParseCell(c.Format()); !ok || got != c {
		t.Errorf("ParseCell(Format) = %+v %v", got, ok)
	}
	sl, ok := ParseStageLevel(c.StageLevel())
	if !ok || sl.Stage != c.Stage || sl.Level != c.Level || sl.Department != "" {
		t.Errorf("ParseStageLevel(StageLevel) = %+v %v", sl, ok)
	}
	for _, bad := range []string{"", "d", "d|s", "d|s|l|x"} {
		if _, ok := ParseCell(bad); ok {
			t.Errorf("ParseCell(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "s", "s|l|x"} {
		if _, ok := ParseStageLevel(bad); ok {
			t.Errorf("ParseStageLevel(%q) accepted", bad)
		}
	}
}
