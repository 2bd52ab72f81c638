//go:build quotes

// The landscape variant (go build -tags quotes): each account answer carries a quote from
// the quotes service at $QUOTES_URL, called with net/http's client (kept-alive pool), a
// timeout over the whole call and a circuit breaker (contract L1-L6).

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func init() {
	variant = stack + "+quotes"
	landscape = newLandscape
}

// quotePath is what every variant calls, as the blog's account service does.
const quotePath = "/api/quote?strength=4"

// maxAnswer is the longest quotes answer read; a longer one is a bad answer.
const maxAnswer = 16 * 1024

// Quote is the quotes service's answer, keys in the contract's order.
type Quote struct {
	Quote     string `json:"quote"`
	IPAddress string `json:"ipAddress"`
	Language  string `json:"language"`
}

// accountWithQuote is the variant's account JSON.
type accountWithQuote struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	ServedBy string `json:"servedBy"`
	Quote    *Quote `json:"quote"`
	Warning  string `json:"warning,omitempty"`
}

// The warnings of an account without a quote.
const (
	warnTimedOut    = "quotes timed out"
	warnUnreachable = "quotes unreachable"
	warnBadAnswer   = "quotes answered badly"
	warnOpen        = "quotes circuit open"
)

type quotes struct {
	client  *http.Client
	url     string
	breaker *breaker
}

// newLandscape reads QUOTES_URL, QUOTES_TIMEOUT_MS and the breaker's settings.
func newLandscape(lookup func(string) (string, bool)) (func(Account) any, error) {
	raw, _ := lookup("QUOTES_URL")
	trimmed := strings.TrimSpace(raw)
	ok := strings.HasPrefix(trimmed, "http://")
	authority := strings.TrimSuffix(strings.TrimPrefix(trimmed, "http://"), "/")
	host, port, err := net.SplitHostPort(authority)
	if n, perr := strconv.Atoi(port); !ok || err != nil || host == "" || perr != nil || n < 1 || n > 65535 ||
		strings.ContainsAny(authority, "/?#@ ") {
		return nil, &ConfigError{"QUOTES_URL", raw, "http://host:port, the quotes service (no path, no https)"}
	}
	millis := func(name string, def time.Duration) (time.Duration, error) {
		v, ok := lookup(name)
		if !ok {
			return def, nil
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 63)
		if err != nil || n == 0 {
			return 0, &ConfigError{name, v, "a whole number of milliseconds, 1 or more"}
		}
		return time.Duration(n) * time.Millisecond, nil
	}
	timeout, err := millis("QUOTES_TIMEOUT_MS", 200*time.Millisecond)
	if err != nil {
		return nil, err
	}
	window, err := millis("BREAKER_WINDOW_MS", 10*time.Second)
	if err != nil {
		return nil, err
	}
	openFor, err := millis("BREAKER_OPEN_MS", 5*time.Second)
	if err != nil {
		return nil, err
	}
	failures := 5
	if v, ok := lookup("BREAKER_FAILURES"); ok {
		if failures, err = strconv.Atoi(strings.TrimSpace(v)); err != nil || failures < 1 {
			return nil, &ConfigError{"BREAKER_FAILURES", v, "a whole number of failures, 1 or more"}
		}
	}
	q := &quotes{
		client: &http.Client{
			Timeout: timeout,
			Transport: &http.Transport{
				DialContext:         (&net.Dialer{Timeout: timeout}).DialContext,
				MaxIdleConnsPerHost: 1024,
				IdleConnTimeout:     90 * time.Second,
			},
		},
		url:     "http://" + authority + quotePath,
		breaker: &breaker{failures: failures, window: window, openFor: openFor},
	}
	return q.withQuote, nil
}

// withQuote is the account with what quotes gave.
func (q *quotes) withQuote(a Account) any {
	answer := accountWithQuote{ID: a.ID, Name: a.Name, ServedBy: a.ServedBy}
	quote, warning := q.fetch()
	answer.Quote, answer.Warning = quote, warning
	return answer
}

// fetch calls quotes through the breaker: a quote, or the warning saying why there is none.
func (q *quotes) fetch() (*Quote, string) {
	admission := q.breaker.admit(time.Now())
	if admission == rejected {
		return nil, warnOpen
	}
	quote, warning := q.call()
	q.breaker.record(admission, warning == "", time.Now())
	return quote, warning
}

func (q *quotes) call() (*Quote, string) {
	resp, err := q.client.Get(q.url)
	if err != nil {
		return nil, failure(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, failure(err)
	}
	if resp.StatusCode != http.StatusOK || len(body) > maxAnswer {
		return nil, warnBadAnswer
	}
	var quote struct {
		Quote     *string `json:"quote"`
		IPAddress *string `json:"ipAddress"`
		Language  *string `json:"language"`
	}
	if json.Unmarshal(body, &quote) != nil || quote.Quote == nil || quote.IPAddress == nil || quote.Language == nil {
		return nil, warnBadAnswer
	}
	return &Quote{*quote.Quote, *quote.IPAddress, *quote.Language}, ""
}

// failure words a transport error: a timeout, no connection, or a broken answer.
func failure(err error) string {
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return warnTimedOut
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return warnUnreachable
	}
	return warnBadAnswer
}

// admission is what the breaker says to one call.
type admission int

const (
	call admission = iota
	probe
	rejected
)

type breakerState int

const (
	closed breakerState = iota
	open
	halfOpen
)

func (s breakerState) String() string {
	return [...]string{"closed", "open", "half-open"}[s]
}

// breaker is the circuit breaker of contract L4: failures within window open it for
// openFor; then one probe goes through, whose success closes it and whose failure opens it
// again. Each change of state is one line on stderr.
type breaker struct {
	failures int
	window   time.Duration
	openFor  time.Duration

	mu     sync.Mutex
	state  breakerState
	failed []time.Time // failures in the window, while closed
	until  time.Time   // end of the open period
	since  time.Time   // when the probe went out, while half-open
}

func (b *breaker) admit(now time.Time) admission {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case closed:
		return call
	case open:
		if now.Before(b.until) {
			return rejected
		}
		b.move(halfOpen)
		b.since = now
		return probe
	default:
		if now.Sub(b.since) < b.openFor {
			return rejected
		}
		// The probe never reported: send another.
		b.since = now
		return probe
	}
}

func (b *breaker) record(a admission, ok bool, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case a == probe && b.state == halfOpen:
		if ok {
			b.failed = b.failed[:0]
			b.move(closed)
		} else {
			b.until = now.Add(b.openFor)
			b.move(open)
		}
	case a == call && b.state == closed && !ok:
		kept := b.failed[:0]
		for _, t := range b.failed {
			if now.Sub(t) < b.window {
				kept = append(kept, t)
			}
		}
		b.failed = append(kept, now)
		if len(b.failed) >= b.failures {
			b.until = now.Add(b.openFor)
			b.move(open)
		}
	}
}

func (b *breaker) move(to breakerState) {
	if b.state != to {
		fmt.Fprintf(os.Stderr, "breaker stack=%s from=%s to=%s\n", stack, b.state, to)
		b.state = to
	}
}
