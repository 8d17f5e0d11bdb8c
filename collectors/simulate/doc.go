// Package simulate is the traffic of `duban demo`: the departments of a sample district
// reporting their cases to the real push API (POST /api/v1/events), as their approval
// systems would.
//
// Each case's life is written in advance by a seeded planner — submission, acceptance (with a
// supplement round now and then), suspensions, extensions, hand-overs, fees, the decision
// and delivery — and each event is posted once the business clock reaches its `at`. Most
// cases keep their promise; some break it, a few break the law, so alerts of every colour
// appear. At start the simulator posts a backlog of recent weeks and stages, in every
// department, cases whose promised deadline has just passed, ends today or ends tomorrow,
// so that the wall screen fills at once and red alerts arrive live at the next midnight.
//
// The simulator is a client like any department system: it knows only the URL, a token, the
// catalogue, the calendar and the business clock. Posts are retried until accepted (event
// ids make that safe); a 429 is honoured with its Retry-After.
package simulate
