package benchmark

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// api talks to the service under test over its HTTP API.
type api struct {
	base   string // http://host:port
	token  string // writes: an admin's (or a collector's) token
	viewer string // reads and /ws
	hc     *http.Client
}

func newAPI(base, token, viewer string) *api {
	return &api{base: strings.TrimSuffix(base, "/"), token: token, viewer: viewer,
		hc: &http.Client{Timeout: 60 * time.Second}}
}

// ingestClient is one of the ingesting connections: a client with one connection of its own.
func ingestClient() *http.Client {
	return &http.Client{Timeout: 120 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}}
}

// postNDJSON posts one batch of NDJSON events and checks that every event was accepted.
func (a *api) postNDJSON(ctx context.Context, hc *http.Client, body []byte, events int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+"/api/v1/events", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var ans struct{ Accepted, Duplicates int }
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(b, &ans) != nil || ans.Accepted+ans.Duplicates != events {
		return fmt.Errorf("POST /api/v1/events (%d events): %d %.300s", events, resp.StatusCode, b)
	}
	return nil
}

// getJSON GETs path with the viewer's token into v.
func (a *api) getJSON(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.viewer)
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %.300s", path, resp.StatusCode, b)
	}
	return json.Unmarshal(b, v)
}

// alert is what the bench reads of an alert.
type alert struct {
	Kind    string    `json:"kind"`
	CaseID  string    `json:"case_id"`
	Due     *struct{} `json:"due"`
	Instant time.Time `json:"instant"`
	FiredAt time.Time `json:"fired_at"`
}

// caseAlerts lists the alerts of one case.
func (a *api) caseAlerts(ctx context.Context, caseID string) ([]alert, error) {
	var ans struct{ Alerts []alert }
	err := a.getJSON(ctx, "/api/v1/alerts?case_id="+url.QueryEscape(caseID), &ans)
	return ans.Alerts, err
}

// clock reads the business clock of the bench's own service.
func (a *api) clock(ctx context.Context) (time.Time, error) {
	return a.steer(ctx, clockState{})
}

// steer moves the business clock of the bench's own service (see controlPath) and returns
// business time just after.
func (a *api) steer(ctx context.Context, s clockState) (time.Time, error) {
	method, body := http.MethodGet, []byte(nil)
	if s.Set != "" || s.Rate > 0 {
		method, body = http.MethodPost, must(json.Marshal(s))
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+controlPath, bytes.NewReader(body))
	if err != nil {
		return time.Time{}, err
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return time.Time{}, err
	}
	defer resp.Body.Close()
	var ans clockState
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || resp.StatusCode != http.StatusOK {
		return time.Time{}, fmt.Errorf("%s %s: %d %v", method, controlPath, resp.StatusCode, err)
	}
	return time.Parse(time.RFC3339Nano, ans.Now)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// metrics is one scrape of /metrics: each series (name with its labels, as written) and
// its value.
type metrics map[string]float64

func (a *api) metrics(ctx context.Context) (metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %d", resp.StatusCode)
	}
	m := metrics{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			m[line[:i]] = v
		}
	}
	return m, sc.Err()
}

// sum adds the series of name whose labels contain every one of labels (`kind="x"`).
func (m metrics) sum(name string, labels ...string) float64 {
	var s float64
	for k, v := range m {
		rest, ok := strings.CutPrefix(k, name)
		if !ok || (rest != "" && rest[0] != '{') {
			continue
		}
		all := true
		for _, l := range labels {
			all = all && strings.Contains(rest, l)
		}
		if all {
			s += v
		}
	}
	return s
}

// bucket is one cumulative bucket of a histogram.
type bucket struct{ le, count float64 }

// buckets returns the histogram name's cumulative buckets, in order of their bounds.
func (m metrics) buckets(name string) []bucket {
	var bs []bucket
	for k, v := range m {
		rest, ok := strings.CutPrefix(k, name+"_bucket{")
		if !ok {
			continue
		}
		_, le, _ := strings.Cut(rest, `le="`)
		le, _, _ = strings.Cut(le, `"`)
		f, err := strconv.ParseFloat(le, 64)
		if err != nil {
			continue
		}
		bs = append(bs, bucket{f, v})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].le < bs[j].le })
	return bs
}

// histQuantile is the q-quantile of the observations between two scrapes, interpolated
// linearly within its bucket as Prometheus' histogram_quantile does; NaN without any.
func histQuantile(q float64, before, after []bucket) float64 {
	prev := map[float64]float64{}
	for _, b := range before {
		prev[b.le] = b.count
	}
	d := make([]bucket, len(after))
	for i, b := range after {
		d[i] = bucket{b.le, b.count - prev[b.le]}
	}
	if len(d) == 0 || d[len(d)-1].count <= 0 {
		return math.NaN()
	}
	rank := q * d[len(d)-1].count
	lo, below := 0.0, 0.0
	for _, b := range d {
		if b.count >= rank {
			if math.IsInf(b.le, 1) {
				return lo // beyond the last bound: the bound is all we know
			}
			if b.count == below {
				return b.le
			}
			return lo + (b.le-lo)*(rank-below)/(b.count-below)
		}
		lo, below = b.le, b.count
	}
	return lo
}
