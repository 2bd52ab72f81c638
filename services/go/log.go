//go:build log

// The log rung (go build -tags log): one JSON access-log line per request on stdout
// (contract F1), written by slog's JSON handler. Debian's Go is 1.19, before log/slog (1.21),
// so the package is golang.org/x/exp/slog, the one that became log/slog, from Debian's
// golang-golang-x-exp-dev; the rung builds in GOPATH mode against /usr/share/gocode.

package main

import (
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/exp/slog"
)

func init() {
	rungs = append(rungs, "log")
	logger := slog.New(slog.NewJSONHandler(os.Stdout))
	observers = append(observers, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			started := time.Now()
			recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(recorder, r)
			// The path as sent, without the query (r.URL.Path is decoded).
			path, _, _ := strings.Cut(r.RequestURI, "?")
			logger.LogAttrs(slog.InfoLevel, "request",
				slog.String("method", r.Method),
				slog.String("path", path),
				slog.Int("status", recorder.status),
				slog.Int64("duration_us", time.Since(started).Microseconds()),
			)
		})
	})
}
