//go:build metrics

// The metrics rung (go build -tags metrics): a request counter and a latency histogram by
// route and status, exposed on GET /metrics in the Prometheus text format (contract F2), with
// the Prometheus project's Go client from Debian's golang-github-prometheus-client-golang-dev
// (GOPATH mode against /usr/share/gocode, as the log rung). The registry holds these two
// metrics only, not the default registry's Go runtime and process collectors, so that every
// stack's rung exposes the same series and a scrape costs each the same work.

package main

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsPath is where the exposition is served.
const metricsPath = "/metrics"

func init() {
	rungs = append(rungs, "metrics")
	labels := []string{"route", "status"}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total",
		Help: "Requests answered",
	}, labels)
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "http_request_duration_seconds",
		Help: "Time from the request's head to its answer",
		// 100 µs to 0.82 s, as the Rust stacks' rung.
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 14),
	}, labels)
	registry := prometheus.NewRegistry()
	registry.MustRegister(requests, duration)
	exposition := promhttp.HandlerFor(registry, promhttp.HandlerOpts{})
	observers = append(observers, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			started := time.Now()
			recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			path := rawPath(r)
			if r.Method == http.MethodGet && path == metricsPath {
				w.Header().Set("Server", stack)
				exposition.ServeHTTP(recorder, r)
			} else {
				next.ServeHTTP(recorder, r)
			}
			values := []string{route(path), strconv.Itoa(recorder.status)}
			requests.WithLabelValues(values...).Inc()
			duration.WithLabelValues(values...).Observe(time.Since(started).Seconds())
		})
	})
}

// route is the label of a request's path: the template it matched, or "other", so the set of
// series stays small whatever ids are asked.
func route(path string) string {
	switch {
	case path == healthPath || path == metricsPath:
		return path
	case strings.HasPrefix(path, accountsPrefix):
		segment := path[len(accountsPrefix):]
		if segment != "" && !strings.Contains(segment, "/") {
			return "/accounts/{id}"
		}
	}
	return "other"
}
