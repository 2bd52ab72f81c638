//go:build log || metrics

// What the feature ladder's rungs share (log.go, metrics.go).

package main

import "net/http"

// statusRecorder keeps the status the handler sent.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
