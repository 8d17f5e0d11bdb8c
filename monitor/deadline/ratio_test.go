package deadline

import "testing"

func TestTimeRatio(t *testing.T) {
	for _, tc := range []struct {
		name           string
		used, promised int
		want           float64
	}{
		{"0-day matter decided on the start day", 0, 0, 0},
		{"0-day matter decided the next working day", 1, 0, 1},
		{"0-day matter decided three working days on", 3, 0, 3},
		{"decided on the start day", 0, 10, 0},
		{"half the promise", 5, 10, 0.5},
		{"the whole promise", 10, 10, 1},
		{"beyond the promise (an extension does not enlarge it)", 15, 10, 1.5},
		{"negative used days", -1, 5, 0},
		{"negative promised days", 2, -1, 2},
	} {
		if got := TimeRatio(tc.used, tc.promised); got != tc.want {
			t.Errorf("%s: TimeRatio(%d, %d) = %v, want %v", tc.name, tc.used, tc.promised, got, tc.want)
		}
	}
}
