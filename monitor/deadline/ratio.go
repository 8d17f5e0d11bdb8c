package deadline

// TimeRatio is one decided case's term of the ranking's avg_time_ratio: the decision stage's used working
// days over the matter's promised days, the promised days without any extension.
//
// usedDays is the decision facts' UsedDays: the counted working days up to and including
// the decision day. The clock rule never counts the start day, so a case decided on its start
// day has used 0 days. For a 0-day matter (即办件, promisedDays 0) the rule is "0 if decided
// on the start day, else 1 per day used": the ratio is then usedDays itself — 0 on the start
// day (or on a day off right after it, which counts for nothing), 1 on the next working day,
// 2 on the one after. The ratio is not capped: a case that took twice its promise adds 2
// (the score caps the average, not the cases). Negative arguments count as 0.
func TimeRatio(usedDays, promisedDays int) float64 {
	if usedDays <= 0 {
		return 0
	}
	if promisedDays <= 0 {
		return float64(usedDays)
	}
	return float64(usedDays) / float64(promisedDays)
}
