package main

import (
	"context"
	"net/http"
)

type handlerHookKey struct{}

// withHandlerHook makes the service wrap its HTTP handler with wrap. The end-to-end tests
// use it to check every answer of the API against docs/openapi.yaml.
func withHandlerHook(ctx context.Context, wrap func(http.Handler) http.Handler) context.Context {
	return context.WithValue(ctx, handlerHookKey{}, wrap)
}

// hookHandler returns h wrapped by the hook of ctx, if any.
func hookHandler(ctx context.Context, h http.Handler) http.Handler {
	if wrap, ok := ctx.Value(handlerHookKey{}).(func(http.Handler) http.Handler); ok && wrap != nil {
		return wrap(h)
	}
	return h
}
