package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/dashboards/live"
	"github.com/duban-gov/duban/internal/testredis"
	"github.com/duban-gov/duban/internal/web"
	"github.com/duban-gov/duban/rdb"
	"github.com/duban-gov/duban/rdb/rdbtest"
)

// The tool against a hub in this process, alerts straight onto the stream: every client
// gets every alert once.
func TestLoadAgainstAHub(t *testing.T) {
	url, prefix := testredis.New(t)
	o, err := rdbtest.Options(url)
	if err != nil {
		t.Fatal(err)
	}
	o.Prefix = prefix
	store, err := rdb.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	auth := web.NewAuthenticator([]web.Token{{SHA256: sha256.Sum256([]byte("v")), Role: web.Viewer}}, false)
	hub, err := live.New(live.Options{Store: store, Auth: auth, FeedBlock: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = hub.Run(ctx) }()
	defer func() { cancel(); <-done }()
	mux := http.NewServeMux()
	mux.Handle("GET /ws", hub)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	cfg, err := parseFlags([]string{"-url", "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws", "-token", "v",
		"-clients", "50", "-alerts", "3", "-interval", "10ms", "-wait", "10s",
		"-trigger", "redis", "-redis", url, "-prefix", prefix})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), cfg, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "all: 3 alerts x 50 clients: n=150 ") ||
		!strings.Contains(out.String(), "lost=0 duplicates=0") {
		t.Fatalf("report:\n%s", out.String())
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-trigger", "push"},           // no push token
		{"-trigger", "carrier-pigeon"}, // unknown trigger
		{"-clients", "0"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
