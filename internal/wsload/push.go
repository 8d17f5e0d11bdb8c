package wsload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// PushOverdue posts, through the push API at api (http://host:port) with token, a case key
// of department dept and matter that is overdue on arrival: submitted 40 days and accepted
// 39 days before now (the server's business time, or later), so its promised deadline has
// passed and promise_overdue fires as soon as it is applied.
func PushOverdue(ctx context.Context, client *http.Client, api, token, dept, matter, key string, now time.Time) error {
	at := func(days int) string { return now.AddDate(0, 0, -days).Format(time.RFC3339) }
	body, _ := json.Marshal([]map[string]any{
		{"event_id": key + "-1", "case_id": key, "department": dept, "matter": matter,
			"type": "submitted", "at": at(40), "handler": "wsload"},
		{"event_id": key + "-2", "case_id": key, "department": dept, "type": "accepted", "at": at(39)},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, api+"/api/v1/events", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var ans struct{ Accepted int }
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(b, &ans) != nil || ans.Accepted != 2 {
		return fmt.Errorf("POST /api/v1/events: %d %s", resp.StatusCode, b)
	}
	return nil
}
