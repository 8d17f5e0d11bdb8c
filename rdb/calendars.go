package rdb

import (
	"context"
	"fmt"
	"strconv"
)

// SaveCalendar keeps a year file loaded at run time, so every replica and every restart
// uses it.
func (s *Store) SaveCalendar(ctx context.Context, year int, doc []byte) error {
	if err := s.c.HSet(ctx, s.k.calendars(), strconv.Itoa(year), doc).Err(); err != nil {
		return fmt.Errorf("rdb: save calendar %d: %w", year, err)
	}
	return nil
}

// Calendars returns every year file loaded at run time, by year.
func (s *Store) Calendars(ctx context.Context) (map[int][]byte, error) {
	m, err := s.c.HGetAll(ctx, s.k.calendars()).Result()
	if err != nil {
		return nil, fmt.Errorf("rdb: read calendars: %w", err)
	}
	out := make(map[int][]byte, len(m))
	for y, doc := range m {
		n, err := strconv.Atoi(y)
		if err != nil {
			continue // not ours; ignore rather than fail start-up
		}
		out[n] = []byte(doc)
	}
	return out, nil
}
