package rdb

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"
)

var publishScript = script("publish")

// PublishRanking stores a month's ranking unless one is published already (then ok is
// false), or replaces it with force, keeping the previous version.
func (s *Store) PublishRanking(ctx context.Context, month string, doc []byte, force bool) (bool, error) {
	f := "0"
	if force {
		f = "1"
	}
	c, err := s.runOne(ctx, publishScript, []string{s.k.rankings(), s.k.rankingHistory(month)}, month, doc, f)
	if err != nil {
		return false, fmt.Errorf("rdb: publish ranking %s: %w", month, err)
	}
	n, _ := c.Int()
	return n == 1, nil
}

// Ranking reads a published month's ranking.
func (s *Store) Ranking(ctx context.Context, month string) ([]byte, bool, error) {
	v, err := s.c.HGet(ctx, s.k.rankings(), month).Result()
	if err == redis.Nil {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("rdb: read ranking %s: %w", month, err)
	}
	return []byte(v), true, nil
}

// RankingVersions counts the earlier versions kept of a month's ranking.
func (s *Store) RankingVersions(ctx context.Context, month string) (int64, error) {
	n, err := s.c.LLen(ctx, s.k.rankingHistory(month)).Result()
	if err != nil {
		return 0, fmt.Errorf("rdb: read ranking history %s: %w", month, err)
	}
	return n, nil
}

// RankingMonths lists the published months, oldest first.
func (s *Store) RankingMonths(ctx context.Context) ([]string, error) {
	ms, err := s.c.HKeys(ctx, s.k.rankings()).Result()
	if err != nil {
		return nil, fmt.Errorf("rdb: list rankings: %w", err)
	}
	sort.Strings(ms)
	return ms, nil
}

// JobDone reports whether a job already ran for a period, and when.
func (s *Store) JobDone(ctx context.Context, job, period string) (bool, error) {
	n, err := s.c.HExists(ctx, s.k.jobDone(), job+"|"+period).Result()
	if err != nil {
		return false, fmt.Errorf("rdb: read job %s: %w", job, err)
	}
	return n, nil
}

// MarkJobDone records that a job ran for a period.
func (s *Store) MarkJobDone(ctx context.Context, job, period string, at time.Time) error {
	if err := s.c.HSet(ctx, s.k.jobDone(), job+"|"+period, at.Format(time.RFC3339)).Err(); err != nil {
		return fmt.Errorf("rdb: mark job %s: %w", job, err)
	}
	return nil
}

// JobLease is the name of the lease a replica holds while it runs a scheduled job (taken
// with HoldLeases, given back with ReleaseLeases).
func JobLease(job string) string { return "job:" + job }
