package main

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// defaultPort is the port used when PORT is unset.
const defaultPort = 6767

// Config is everything the environment configures: PORT, BIND and WORKERS.
type Config struct {
	Bind    net.IP // BIND, default 0.0.0.0
	Port    int    // PORT, default 6767; 0 lets the system choose
	Workers int    // WORKERS, threads running Go code (GOMAXPROCS); default: the CPUs we may use
}

// Addr is the address to listen on.
func (c Config) Addr() string {
	return net.JoinHostPort(c.Bind.String(), strconv.Itoa(c.Port))
}

// Network is "tcp4" or "tcp6" after the family of BIND. Plain "tcp" would turn 0.0.0.0 into
// a dual-stack socket, where the other stacks listen on IPv4 only.
func (c Config) Network() string {
	if c.Bind.To4() != nil {
		return "tcp4"
	}
	return "tcp6"
}

// ConfigError names an environment variable whose value cannot be used.
type ConfigError struct {
	Var, Value, Expected string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s=%q is not valid: expected %s", e.Var, e.Value, e.Expected)
}

// loadConfig reads the configuration through lookup (os.LookupEnv, or a map in tests).
// A variable that is set but empty or malformed is an error, never a silent default.
func loadConfig(lookup func(string) (string, bool)) (Config, error) {
	cfg := Config{Bind: net.IPv4zero, Port: defaultPort, Workers: availableCPUs()}
	if v, ok := lookup("PORT"); ok {
		port, err := strconv.ParseUint(strings.TrimSpace(v), 10, 16)
		if err != nil {
			return cfg, &ConfigError{"PORT", v, "a port number from 0 to 65535"}
		}
		cfg.Port = int(port)
	}
	if v, ok := lookup("BIND"); ok {
		ip := net.ParseIP(strings.TrimSpace(v))
		if ip == nil {
			return cfg, &ConfigError{"BIND", v, "an IPv4 or IPv6 address such as 0.0.0.0"}
		}
		cfg.Bind = ip
	}
	if v, ok := lookup("WORKERS"); ok {
		workers, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || workers < 1 {
			return cfg, &ConfigError{"WORKERS", v, "a whole number of threads, 1 or more"}
		}
		cfg.Workers = workers
	}
	return cfg, nil
}

// availableCPUs is the number of CPUs this process may use: those of its affinity mask,
// or fewer when a cgroup v2 CPU quota (a container run with --cpus) allows less. Go 1.19
// sizes GOMAXPROCS by the affinity mask alone; the other stacks honour the quota too.
func availableCPUs() int {
	cpus := runtime.NumCPU()
	data, err := os.ReadFile("/sys/fs/cgroup/cpu.max")
	if err != nil {
		return cpus
	}
	// "<quota> <period>" in microseconds, or "max <period>" without a quota.
	var quota, period int
	if _, err := fmt.Sscanf(string(data), "%d %d", &quota, &period); err != nil || period <= 0 {
		return cpus
	}
	if limit := quota / period; limit < cpus {
		cpus = limit
	}
	if cpus < 1 {
		cpus = 1
	}
	return cpus
}
