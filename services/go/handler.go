package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// stack names this service in the ready line and the Server header.
const stack = "go"

const (
	healthPath     = "/health"
	accountsPrefix = "/accounts/"
)

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Error string `json:"error"`
}

// healthBody is the answer to GET /health.
type healthBody struct {
	Status string `json:"status"`
}

// Handler answers every request. It routes by hand on the raw request target, because
// http.ServeMux cleans paths (redirecting "//x" and "/a/../b") and decodes "%2F" before
// matching, and the contract wants neither.
type Handler struct {
	store *Store
	// withQuote, in the landscape variant (built with -tags quotes), turns a found account
	// into the answer that carries its quote; nil in the base service.
	withQuote func(Account) any
}

// ServeHTTP implements http.Handler.
func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := rawPath(r)
	var segment string
	if strings.HasPrefix(path, accountsPrefix) {
		segment = path[len(accountsPrefix):]
	}
	isAccount := segment != "" && !strings.Contains(segment, "/")
	if path != healthPath && !isAccount {
		reply(w, r, http.StatusNotFound, errorBody{"no such path"})
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		reply(w, r, http.StatusMethodNotAllowed, errorBody{"method not allowed"})
		return
	}
	if !isAccount {
		reply(w, r, http.StatusOK, healthBody{"UP"})
		return
	}
	account, err := h.store.FindRaw(segment)
	switch {
	case errors.Is(err, errNotFound):
		reply(w, r, http.StatusNotFound, errorBody{err.Error()})
	case err != nil:
		reply(w, r, http.StatusBadRequest, errorBody{err.Error()})
	case h.withQuote != nil:
		reply(w, r, http.StatusOK, h.withQuote(account))
	default:
		reply(w, r, http.StatusOK, account)
	}
}

// rawPath returns the path of the request target exactly as the client sent it, still
// percent-encoded: r.URL.Path is already decoded, and r.URL.EscapedPath re-encodes it
// whenever the raw form holds a byte Go would have escaped, turning "%2F" back into "/".
func rawPath(r *http.Request) string {
	if !strings.HasPrefix(r.RequestURI, "/") {
		// Absolute form ("http://host/path") or "*": rare enough to take net/http's reading.
		return r.URL.EscapedPath()
	}
	path, _, _ := strings.Cut(r.RequestURI, "?")
	return path
}

// reply writes v as JSON with an explicit Content-Length, so no answer is ever chunked.
// A HEAD request gets the same status and headers and no body.
func reply(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// The values are plain structs of strings; this cannot happen.
		status, body = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	header := w.Header()
	header.Set("Server", stack)
	header.Set("Content-Type", "application/json")
	header.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		// An error here means the client went away; there is no one left to tell.
		_, _ = w.Write(body)
	}
}
