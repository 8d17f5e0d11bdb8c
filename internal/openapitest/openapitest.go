// Package openapitest checks duban's HTTP answers against its published OpenAPI document
// (docs/openapi.yaml), with kin-openapi's validator: the document loads and is valid
// OpenAPI 3.1, and Middleware checks every request/response pair a test server handles.
// It is for tests; the service itself never imports it.
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"go.yaml.in/yaml/v3"

	"github.com/duban-gov/duban/docs"
)

func init() {
	// kin-openapi decodes YAML bodies with dates as time.Time, which its JSON Schema
	// validator cannot type; a calendar's `work: [2026-01-04]` is a string in the schema.
	openapi3filter.RegisterBodyDecoder("application/yaml", decodeYAML)
	// Pages and files are checked for their status and content type; their text is free.
	for _, ct := range []string{"text/html", "text/csv"} {
		openapi3filter.RegisterBodyDecoder(ct, decodeText)
	}
}

func decodeText(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	b, err := io.ReadAll(body)
	return string(b), err
}

// decodeYAML decodes a YAML body into JSON-like values, every scalar that is not a number,
// a boolean or null kept as the string it is.
func decodeYAML(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(body).Decode(&doc); err != nil {
		return nil, err
	}
	return plain(&doc)
}

func plain(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return plain(n.Content[0])
	case yaml.AliasNode:
		return plain(n.Alias)
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := plain(c)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := plain(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			out[n.Content[i].Value] = v
		}
		return out, nil
	}
	switch n.ShortTag() {
	case "!!int", "!!float", "!!bool", "!!null":
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		if i, ok := v.(int); ok {
			return float64(i), nil
		}
		return v, nil
	}
	return n.Value, nil
}

// Load parses docs/openapi.yaml and validates it as an OpenAPI document.
func Load() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(docs.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("load docs/openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("docs/openapi.yaml is not valid OpenAPI: %w", err)
	}
	return doc, nil
}

// Operation is one method and path template of the document.
type Operation struct {
	Method, Path string
}

// Operations lists every operation of the document.
func Operations(doc *openapi3.T) []Operation {
	var ops []Operation
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, Operation{Method: method, Path: path})
		}
	}
	return ops
}

// Validator checks request/response pairs against the document.
type Validator struct {
	router routers.Router
}

// NewValidator builds a validator over doc. The document's servers are left out, so that a
// request to any host and port matches its paths.
func NewValidator(doc *openapi3.T) (*Validator, error) {
	bare := *doc
	bare.Servers = nil
	r, err := gorillamux.NewRouter(&bare)
	if err != nil {
		return nil, err
	}
	return &Validator{router: r}, nil
}

// Check validates one exchange: the request (with its body) and the answer's status,
// header and body. The rules:
//   - A request the document has no operation for must have been refused (404 or 405): a
//     route the server answers must be documented.
//   - The answer must be one the operation documents: its status, its content type and a
//     body that fits the schema, its documented headers.
//   - A request the document calls invalid (a bad parameter, a body that does not fit)
//     must have been refused with a 4xx; tests send such requests on purpose, and the
//     server may refuse more than the document can say (an unknown department). Events are
//     the exception: a bad event is rejected inside a 202, one by one.
func (v *Validator) Check(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			return nil
		}
		return fmt.Errorf("%s %s answered %d but is not in docs/openapi.yaml (%v)", req.Method, req.URL.Path, status, err)
	}
	for k, p := range params {
		// The router hands a path parameter over as sent; its value is the unescaped one
		// (a case id "a/b" travels as a%2Fb, one segment).
		if u, err := url.PathUnescape(p); err == nil {
			params[k] = u
		}
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	ctx := context.Background()
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	// The server reads a body in the one format it takes whatever Content-Type says (curl
	// -d sends application/x-www-form-urlencoded; tests often send none), so a body without
	// a type is checked as the operation's only documented one.
	if rb := route.Operation.RequestBody; rb != nil && rb.Value != nil && len(rb.Value.Content) == 1 &&
		len(reqBody) > 0 && !documentedType(rb.Value.Content, req.Header.Get("Content-Type")) {
		for ct := range rb.Value.Content {
			req.Header.Set("Content-Type", ct)
		}
	}
	if reqErr := openapi3filter.ValidateRequest(ctx, in); reqErr != nil && status < 300 &&
		route.Operation.OperationID != "postEvents" {
		return fmt.Errorf("%s %s answered %d to a request docs/openapi.yaml calls invalid: %v",
			req.Method, req.URL.Path, status, reqErr)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			ExcludeResponseBody: anyContent(route.Operation, status)},
	}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("%s %s answered %d, which docs/openapi.yaml does not describe: %v\nbody: %s",
			req.Method, req.URL.Path, status, err, shorten(body))
	}
	return nil
}

// anyContent reports whether the operation documents the status's answer as any media type
// (*/*: the screen's assets), whose body there is nothing to check in.
func anyContent(op *openapi3.Operation, status int) bool {
	r := op.Responses.Status(status)
	if r == nil || r.Value == nil {
		return false
	}
	c := r.Value.Content
	return len(c) == 1 && c["*/*"] != nil
}

func documentedType(c openapi3.Content, ct string) bool {
	return ct != "" && c.Get(ct) != nil
}

func shorten(b []byte) string {
	const max = 2000
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// Middleware returns a wrapper for a test server's handler that checks every exchange with
// Check (WebSocket upgrades excepted: they leave HTTP), beside the answer rather than
// before it. Mismatches fail tb, reported when tb's cleanups run — so create the
// middleware before starting the server whose cleanup stops it, and the report comes after
// the server has stopped.
func Middleware(tb testing.TB) func(http.Handler) http.Handler {
	tb.Helper()
	doc, err := Load()
	if err != nil {
		tb.Fatal(err)
	}
	v, err := NewValidator(doc)
	if err != nil {
		tb.Fatal(err)
	}
	var (
		mu       sync.Mutex
		problems []string
		pending  sync.WaitGroup
	)
	tb.Cleanup(func() {
		pending.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			tb.Errorf("OpenAPI: %s", p)
		}
		problems = nil
	})
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
				next.ServeHTTP(w, r)
				return
			}
			// The handler reads the body itself, as it would unwrapped — so that a body
			// that comes slowly, or one refused before it is read (the in-flight budget),
			// is met as the service meets it — and the bytes it reads are kept for the check.
			var sent bytes.Buffer
			body := r.Body
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.TeeReader(body, &sent), body}
			check := r.Clone(r.Context())
			rec := &recorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			if rec.status < 300 {
				// A request taken is checked whole: what the handler left unread too.
				_, _ = io.Copy(&sent, body)
			}
			reqBody := sent.Bytes()
			// Checked aside, so that the check adds no latency to the answer (the
			// end-to-end tests time bursts); the cleanup waits for every check.
			status, header, answer := rec.status, rec.Header().Clone(), rec.body.Bytes()
			pending.Go(func() {
				if err := v.Check(check, reqBody, status, header, answer); err != nil {
					mu.Lock()
					problems = append(problems, err.Error())
					mu.Unlock()
				}
			})
		})
	}
}

// recorder passes an answer through while keeping a copy of its status and body.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer (flushes, deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush passes a flush on.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Record runs one request through h and checks the exchange, for unit tests of handlers.
func (v *Validator) Record(h http.Handler, req *http.Request) (*httptest.ResponseRecorder, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	check := req.Clone(req.Context())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec, v.Check(check, body, rec.Code, rec.Header(), rec.Body.Bytes())
}
