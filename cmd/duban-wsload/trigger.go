package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/duban-gov/duban/internal/config"
	"github.com/duban-gov/duban/internal/wsload"
	"github.com/duban-gov/duban/rdb"
)

// trigger makes the server fire one alert whose case_id is key.
type trigger interface {
	fire(ctx context.Context, key string, now time.Time) error
	Close() error
}

func newTrigger(ctx context.Context, cfg options) (trigger, error) {
	if cfg.Trigger == "redis" {
		r, err := config.ParseRedisURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("-redis: %w", err)
		}
		store, err := rdb.Open(ctx, rdb.Options{Mode: rdb.Mode(r.Mode), Addrs: r.Addrs, MasterName: r.MasterName,
			DB: r.DB, Username: r.Username, Password: r.Password, TLS: r.TLS, Prefix: cfg.Prefix})
		if err != nil {
			return nil, err
		}
		return &streamTrigger{store: store, dept: cfg.Department}, nil
	}
	api := cfg.API
	if api == "" {
		api = "http" + strings.TrimSuffix(strings.TrimPrefix(cfg.URL, "ws"), "/ws")
	}
	return &pushTrigger{api: strings.TrimSuffix(api, "/"), token: cfg.PushToken, dept: cfg.Department,
		matter: cfg.Matter, client: &http.Client{Timeout: 30 * time.Second}}, nil
}

// pushTrigger posts a case that is overdue on arrival (wsload.PushOverdue), dated by this
// process's clock: the server's business clock must not be earlier.
type pushTrigger struct {
	api, token, dept, matter string
	client                   *http.Client
}

func (p *pushTrigger) fire(ctx context.Context, key string, now time.Time) error {
	return wsload.PushOverdue(ctx, p.client, p.api, p.token, p.dept, p.matter, key, now)
}

func (p *pushTrigger) Close() error { return nil }

// streamTrigger appends an alert record straight onto the alert stream, as the relay
// would: it measures the live feed alone.
type streamTrigger struct {
	store *rdb.Store
	dept  string
}

func (s *streamTrigger) fire(ctx context.Context, key string, now time.Time) error {
	doc, _ := json.Marshal(map[string]any{"id": key + "~promise_overdue", "kind": "promise_overdue",
		"level": "red", "state": "firing", "case_id": key, "department": s.dept,
		"fired_at": now.Format(time.RFC3339Nano), "message": "duban-wsload " + key})
	_, err := s.store.AppendAlerts(ctx, [][]byte{doc}, now)
	return err
}

func (s *streamTrigger) Close() error { return s.store.Close() }
