// Package codec is the JSON codec of the apply path: the events, states, alert records and
// transitions that every fold reads and writes (rdb, engine). It keeps
// encoding/json's v1 semantics — the same documents byte for byte — on the engine of the
// encoding/json/v2 prototype (github.com/go-json-experiment/json), which decodes an alert
// record in half the time and encodes a state ~10–25% faster (measured: docs/benchmarks.md).
// When encoding/json/v2 leaves GOEXPERIMENT, this package is where the switch happens.
//
// Documents a person or another program writes (API bodies, config) still go through
// encoding/json and its error messages.
package codec

import jsonv1 "github.com/go-json-experiment/json/v1"

// Marshal encodes v exactly as encoding/json.Marshal does.
func Marshal(v any) ([]byte, error) { return jsonv1.Marshal(v) }

// Unmarshal decodes data into v as encoding/json.Unmarshal does.
func Unmarshal(data []byte, v any) error { return jsonv1.Unmarshal(data, v) }
