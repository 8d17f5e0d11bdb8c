// Package live is the WebSocket live feed, GET /ws (docs/api.md, "GET /ws"): one Hub per
// replica reads the Redis alert stream — which every replica appends to, in one global
// order — and fans each alert out to the replica's clients whose subscription matches, so
// every client sees every alert whichever replica fired it.
//
// Protocol (docs/api.md has the full reference):
//
//   - The client sends {"op":"subscribe","departments":[],"levels":[],"kinds":[],
//     "since":"<cursor>"}; empty lists mean all; a new subscribe replaces the old one.
//   - With since, the server replays every matching alert after that cursor, in order
//     (from the oldest kept when since is older than the stream's retention), then answers
//     {"type":"subscribed","cursor":"…"} and goes on live, with no gap and no repeat.
//   - Alerts arrive as {"type":"alert","cursor":"…","alert":{…}}, a replayed one with the
//     cursor it had live; figures as {"type":"overview","overview":{…}}, at most once per
//     OverviewEvery (1 s), when they changed.
//   - A message the server cannot act on is answered {"type":"error","error":"…",
//     "field":"…"} and changes nothing; a department-bound token that asks for another
//     department gets such an error (field "departments"), never the alerts.
//   - Close codes: 4008 when the client's send buffer is full (it reconnects with since),
//     1001 when the replica shuts down, 1009 for a client message over 4 KiB.
//
// Goroutines: Run is the replica's single reader of the stream (plus one that sends
// overviews); each connection has a reader (the handler's goroutine) and a writer, and each
// subscribe a short-lived goroutine that replays and hands over to live.
package live
