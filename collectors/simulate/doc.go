// Package simulate is the traffic of `duban demo`: the departments of a sample district
// reporting their cases to the real push API (POST /api/v1/events), as their approval
// systems would.
//
// Each case's life is written in advance by a seeded planner — submission, acceptance (with a
// supplement round now and then), suspensions, extensions, hand-overs, fees, the decision
// and delivery — and each event is posted once the business clock reaches its `at`. Most
// cases keep their promise; some break it, a few break the law, so alerts of every colour
// appear. At start the simulator posts a backlog — every case since the first day of the
// month two months back (BackfillStart), newest first — and stages, in every department,
// cases whose promised deadline has just passed, ends today or ends tomorrow, so that the
// wall screen fills at once, red alerts arrive live at the next midnight, and the months
// before this one are whole months that can be ranked (Options.Backfilled tells when they
// are all posted).
//
// The simulator is a client like any department system: it knows only the URL, a token, the
// catalogue, the calendar and the business clock. Posts are retried until accepted (event
// ids make that safe); a 429 is honoured with its Retry-After.
package simulate
