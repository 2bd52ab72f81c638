// Command footprint-go is the accountservice of the Go microservices blog series, on the
// standard library alone: net/http and encoding/json, routed by hand.
//
// It serves GET /accounts/{id} and GET /health on $BIND:$PORT (default 0.0.0.0:6767) with
// $WORKERS threads, prints one ready line once listening, and stops gracefully on SIGTERM
// or SIGINT.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

const (
	// headTimeout bounds how long a client may take to send a request head, and how long
	// an idle keep-alive connection stays open.
	headTimeout = 5 * time.Second
	// grace is how long in-flight requests may take after a stop signal; the contract
	// wants the process gone within 2 s.
	grace = 1500 * time.Millisecond
)

// variant names the build in its ready line: "go", or "go+quotes" with -tags quotes.
var variant = stack

// landscape, set by the landscape variant's init (landscape.go, -tags quotes), reads the
// quotes service's configuration and returns what turns an account into the answer with
// its quote; nil in the base service.
var landscape func(lookup func(string) (string, bool)) (func(Account) any, error)

// rungs names the feature ladder's rungs built in, each appended by its file's init (log.go
// with -tags log, metrics.go with -tags metrics); the build is then "go@log", "go@metrics".
var rungs []string

// observers, appended by the rungs' inits, wrap the handler: log.go logs each request as one
// JSON line on stdout (contract F1), metrics.go counts and times it and answers GET /metrics
// (contract F2). None in the base service.
var observers []func(http.Handler) http.Handler

func main() {
	boot := time.Now()
	if len(rungs) == 1 {
		variant = stack + "@" + rungs[0]
	}
	cfg, err := loadConfig(os.LookupEnv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", variant, err)
		os.Exit(2)
	}
	var withQuote func(Account) any
	if landscape != nil {
		if withQuote, err = landscape(os.LookupEnv); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", variant, err)
			os.Exit(2)
		}
	}
	if err := run(cfg, boot, withQuote); err != nil {
		fmt.Fprintf(os.Stderr, "%s: cannot serve on %s: %v\n", stack, cfg.Addr(), err)
		os.Exit(1)
	}
}

// run serves until SIGTERM or SIGINT, then lets in-flight requests finish within grace.
func run(cfg Config, boot time.Time, withQuote func(Account) any) error {
	runtime.GOMAXPROCS(cfg.Workers)
	hostname, err := os.Hostname()
	if err != nil {
		hostname = "unknown"
	}
	// Installed before listening, so a signal that follows the ready line is never missed.
	stopped, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	ln, err := net.Listen(cfg.Network(), cfg.Addr())
	if err != nil {
		return err
	}
	var handler http.Handler = Handler{store: NewStore(hostname), withQuote: withQuote}
	for _, observe := range observers {
		handler = observe(handler)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: headTimeout,
		IdleTimeout:       headTimeout,
		MaxHeaderBytes:    http.DefaultMaxHeaderBytes,
	}
	// os.Stdout is unbuffered: the line is out when Printf returns.
	fmt.Printf("ready stack=%s addr=%s boot_us=%d\n", variant, ln.Addr(), time.Since(boot).Microseconds())

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-stopped.Done():
	}
	stop() // A second signal now kills the process at once.

	// Shutdown closes the listener and idle connections, then waits for active ones.
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		// The grace is over: drop what is still open and exit as promised.
		_ = srv.Close()
	}
	return nil
}
