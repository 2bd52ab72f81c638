package main

import (
	"net/http/httptest"
	"testing"
)

func serve(method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	Handler{store: NewStore("box")}.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

func TestRoutes(t *testing.T) {
	for _, tc := range []struct {
		method, target string
		status         int
		body           string
	}{
		{"GET", "/accounts/10042", 200, `{"id":"10042","name":"Person_42","servedBy":"box"}`},
		{"GET", "/accounts/1004%32?a=%ff", 200, `{"id":"10042","name":"Person_42","servedBy":"box"}`},
		{"GET", "/health", 200, `{"status":"UP"}`},
		{"GET", "/accounts/10100", 404, `{"error":"account not found"}`},
		{"GET", "/accounts/010000", 404, `{"error":"account not found"}`},
		{"GET", "/accounts/9999999999", 404, `{"error":"account not found"}`},
		{"GET", "/accounts/99999999999", 400, `{"error":"invalid account id"}`},
		{"GET", "/accounts/+10000", 400, `{"error":"invalid account id"}`},
		{"GET", "/accounts/10000.json", 400, `{"error":"invalid account id"}`},
		{"GET", "/accounts/10%2F00", 400, `{"error":"invalid account id"}`},
		{"GET", "/accounts/1%2F{", 400, `{"error":"invalid account id"}`},
		{"GET", "/accounts/%ff", 400, `{"error":"invalid account id"}`},
		{"GET", "/accounts/10042;x=1", 400, `{"error":"invalid account id"}`},
		{"GET", "/accounts/", 404, `{"error":"no such path"}`},
		{"GET", "/accounts//10000", 404, `{"error":"no such path"}`},
		{"GET", "/accounts/10000/", 404, `{"error":"no such path"}`},
		{"GET", "/accounts/10000/../10001", 404, `{"error":"no such path"}`},
		{"GET", "//accounts/10000", 404, `{"error":"no such path"}`},
		{"GET", "/HEALTH", 404, `{"error":"no such path"}`},
		{"POST", "/accounts/abc", 405, `{"error":"method not allowed"}`},
		{"DELETE", "/health", 405, `{"error":"method not allowed"}`},
		{"POST", "/nowhere", 404, `{"error":"no such path"}`},
	} {
		w := serve(tc.method, tc.target)
		if w.Code != tc.status || w.Body.String() != tc.body {
			t.Errorf("%s %s: got %d %s, want %d %s", tc.method, tc.target, w.Code, w.Body, tc.status, tc.body)
		}
		if got := w.Header().Get("Content-Type"); got != "application/json" {
			t.Errorf("%s %s: Content-Type %q", tc.method, tc.target, got)
		}
		if allow := w.Header().Get("Allow"); (tc.status == 405) != (allow == "GET, HEAD") {
			t.Errorf("%s %s: Allow %q", tc.method, tc.target, allow)
		}
	}
}

func TestHeadMirrorsGet(t *testing.T) {
	for _, target := range []string{"/accounts/10042", "/accounts/abc", "/nowhere"} {
		get, head := serve("GET", target), serve("HEAD", target)
		if head.Code != get.Code || head.Body.Len() != 0 {
			t.Errorf("HEAD %s: %d with %d body bytes, GET: %d", target, head.Code, head.Body.Len(), get.Code)
		}
		for _, name := range []string{"Content-Type", "Content-Length", "Server"} {
			if head.Header().Get(name) != get.Header().Get(name) {
				t.Errorf("HEAD %s: %s %q, GET: %q", target, name, head.Header().Get(name), get.Header().Get(name))
			}
		}
	}
}

func TestConfig(t *testing.T) {
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
	}
	cfg, err := loadConfig(env(nil))
	if err != nil || cfg.Addr() != "0.0.0.0:6767" || cfg.Network() != "tcp4" || cfg.Workers < 1 {
		t.Errorf("defaults: %+v, %v", cfg, err)
	}
	cfg, err = loadConfig(env(map[string]string{"PORT": "8080", "BIND": "::1", "WORKERS": "3"}))
	if err != nil || cfg.Addr() != "[::1]:8080" || cfg.Network() != "tcp6" || cfg.Workers != 3 {
		t.Errorf("set: %+v, %v", cfg, err)
	}
	for name, value := range map[string]string{"PORT": "70000", "BIND": "localhost", "WORKERS": "0"} {
		_, err := loadConfig(env(map[string]string{name: value}))
		if e, ok := err.(*ConfigError); !ok || e.Var != name {
			t.Errorf("%s=%s: %v", name, value, err)
		}
	}
	if _, err := loadConfig(env(map[string]string{"WORKERS": ""})); err == nil {
		t.Error("an empty WORKERS is accepted")
	}
}
