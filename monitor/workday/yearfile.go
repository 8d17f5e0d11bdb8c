package workday

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// minYear and maxYear bound the years a year file may describe. The range is far wider
// than any notice will ever be loaded for; it exists so a typo such as 20226 is caught.
const (
	minYear = 1900
	maxYear = 2299
)

// YearFile is one year of the State Council General Office's holiday notice, as shipped in
// years/ and as loaded through PUT /calendar/{year}. Off and Work hold single days
// (ranges expanded), ascending.
type YearFile struct {
	Year   int    // the year the notice is for
	Off    []Date // days off, weekends inside the breaks included
	Work   []Date // weekend days declared working days (调休上班)
	Source string // optional: where the facts come from (the notice's title or address)
}

// ParseYear parses a year file: a YAML mapping with the keys year, off, work (lists of
// "YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD") and an optional source. It is strict, because
// a mistyped holiday would silently move deadlines: unknown or repeated keys are
// rejected, every date must lie in year, a range must be ordered, a day may be listed
// only once, and a work day must be a Saturday or Sunday. Errors name the key and entry,
// e.g. `off[3]: "2026-13-01" is not a date`.
func ParseYear(data []byte) (*YearFile, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty year file")
		}
		return nil, err
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, errors.New("a year file is one YAML document")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, errors.New("a year file is a mapping with the keys year, off, work and source")
	}
	y := &YearFile{}
	var lists [2][]string // off, work as written
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: a key must be a plain name", k.Line)
		}
		if seen[k.Value] {
			return nil, fmt.Errorf("%s: key repeated (line %d)", k.Value, k.Line)
		}
		seen[k.Value] = true
		var err error
		switch k.Value {
		case "year":
			y.Year, err = yearValue(v)
		case "off":
			lists[0], err = stringList("off", v)
		case "work":
			lists[1], err = stringList("work", v)
		case "source":
			switch {
			case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null":
			case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str":
				y.Source = v.Value
			default:
				err = errors.New("source: must be a string")
			}
		default:
			err = fmt.Errorf("%q: unknown key (the keys are year, off, work and source)", k.Value)
		}
		if err != nil {
			return nil, err
		}
	}
	if !seen["year"] {
		return nil, errors.New("year: missing")
	}
	var err error
	if y.Off, err = expand("off", lists[0], y.Year); err != nil {
		return nil, err
	}
	if y.Work, err = expand("work", lists[1], y.Year); err != nil {
		return nil, err
	}
	// The expanded lists name days, not the entries as written; say which entry a clash
	// came from, so the admin can find it in the file.
	if err := y.validate(); err != nil {
		return nil, entryError(err, lists)
	}
	return y, nil
}

// yearValue reads the year key: a plain integer in minYear..maxYear.
func yearValue(v *yaml.Node) (int, error) {
	n, err := strconv.Atoi(v.Value)
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" || err != nil {
		return 0, fmt.Errorf("year: %q is not a year", v.Value)
	}
	if n < minYear || n > maxYear {
		return 0, fmt.Errorf("year: %d is outside %d..%d", n, minYear, maxYear)
	}
	return n, nil
}

// stringList reads the entries of off or work; an empty value is an empty list.
func stringList(key string, v *yaml.Node) ([]string, error) {
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
		return nil, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s: must be a list of dates or date ranges", key)
	}
	out := make([]string, len(v.Content))
	for i, e := range v.Content {
		if e.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s[%d]: must be a date or a date range", key, i)
		}
		out[i] = e.Value
	}
	return out, nil
}

// expand turns entries ("YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD") into single days of year,
// ascending. A range is bounded by the year, so expansion is at most 366 days each.
func expand(key string, entries []string, year int) ([]Date, error) {
	var days []Date
	for i, s := range entries {
		a, b, isRange := strings.Cut(s, "..")
		from, err := ParseDate(strings.TrimSpace(a))
		to := from
		if err == nil && isRange {
			to, err = ParseDate(strings.TrimSpace(b))
		}
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", key, i, err)
		}
		for _, d := range []Date{from, to} {
			if d.Year() != year {
				return nil, fmt.Errorf("%s[%d]: %s is not in %d", key, i, d, year)
			}
		}
		if to < from {
			return nil, fmt.Errorf("%s[%d]: range %q is not ordered", key, i, s)
		}
		for d := from; d <= to; d++ {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	return days, nil
}

// dayError is a validation failure about one day, kept structured so ParseYear can point
// at the entry as written rather than at the index in the expanded list.
type dayError struct {
	key  string // off or work
	i    int    // index in the expanded list
	day  Date
	what string
}

func (e *dayError) Error() string { return fmt.Sprintf("%s[%d]: %s %s", e.key, e.i, e.day, e.what) }

// entryError rewrites a dayError to name the last entry of lists (off, work) that covers
// its day: for a day listed twice, that is the second mention, the one to delete.
func entryError(err error, lists [2][]string) error {
	var de *dayError
	if !errors.As(err, &de) {
		return err
	}
	list := lists[0]
	if de.key == "work" {
		list = lists[1]
	}
	for i := len(list) - 1; i >= 0; i-- {
		a, b, isRange := strings.Cut(list[i], "..")
		from, _ := ParseDate(strings.TrimSpace(a))
		to := from
		if isRange {
			to, _ = ParseDate(strings.TrimSpace(b))
		}
		if from <= de.day && de.day <= to {
			return fmt.Errorf("%s[%d]: %s %s", de.key, i, de.day, de.what)
		}
	}
	return err
}

// validate checks what ParseYear guarantees, for YearFiles built in code and given to New:
// the year is in range, every day lies in it, no day is listed twice or in both lists,
// and every work day is a weekend day (a weekday there is a typo: it works anyway).
func (y *YearFile) validate() error {
	if y == nil {
		return errors.New("nil year file")
	}
	if y.Year < minYear || y.Year > maxYear {
		return fmt.Errorf("year: %d is outside %d..%d", y.Year, minYear, maxYear)
	}
	if !utf8.ValidString(y.Source) {
		return errors.New("source: not valid UTF-8")
	}
	start := yearStart(int64(y.Year))
	var mark [366]byte // 0 free, 1 off, 2 work
	for li, list := range [2][]Date{y.Off, y.Work} {
		key := [2]string{"off", "work"}[li]
		for i, d := range list {
			if d.Year() != y.Year {
				return fmt.Errorf("%s[%d]: %s is not in %d", key, i, d, y.Year)
			}
			switch doy := int64(d) - start; mark[doy] {
			case byte(li + 1):
				return &dayError{key, i, d, "is listed twice"}
			case 1:
				return &dayError{key, i, d, "is also in off"}
			default:
				mark[doy] = byte(li + 1)
			}
			if wd := d.Weekday(); li == 1 && wd != time.Saturday && wd != time.Sunday {
				return &dayError{key, i, d, "is a " + wd.String() + ", a working day anyway"}
			}
		}
	}
	return nil
}

// clone returns a deep copy with both lists sorted, so a Calendar never shares slices
// with its caller.
func (y *YearFile) clone() *YearFile {
	c := *y
	c.Off = slices.Sorted(slices.Values(y.Off))
	c.Work = slices.Sorted(slices.Values(y.Work))
	return &c
}

// Marshal returns y as a year file in the shape ParseYear reads (for GET /calendar/{year}),
// with runs of consecutive days written as ranges.
func (y *YearFile) Marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "year: %d\n", y.Year)
	if y.Source != "" {
		// Let the YAML library quote the free text; everything else is plain.
		out, err := yaml.Marshal(struct {
			Source string `yaml:"source"`
		}{y.Source})
		if err != nil {
			panic("workday: marshal source: " + err.Error())
		}
		b.Write(out)
	}
	writeRanges(&b, "off", y.Off)
	writeRanges(&b, "work", y.Work)
	return b.Bytes()
}

// writeRanges writes one list, compressing consecutive days into "from..to".
func writeRanges(b *bytes.Buffer, key string, days []Date) {
	days = slices.Sorted(slices.Values(days))
	if len(days) == 0 {
		fmt.Fprintf(b, "%s: []\n", key)
		return
	}
	fmt.Fprintf(b, "%s:\n", key)
	for i := 0; i < len(days); {
		j := i
		for j+1 < len(days) && days[j+1] == days[j]+1 {
			j++
		}
		if j == i {
			fmt.Fprintf(b, "  - %s\n", days[i])
		} else {
			fmt.Fprintf(b, "  - %s..%s\n", days[i], days[j])
		}
		i = j + 1
	}
}
