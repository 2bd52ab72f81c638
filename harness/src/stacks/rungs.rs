//! The feature ladder's rungs: each a stack with one concern added (`axum@log`,
//! `go@metrics`, ...), with the Debian packages and jars their builds need.

use super::{Build, GoLib, SPRING_JARS, SPRING_PACKAGES, Stack, TUNED_JVM};

/// slog, the structured logger of the Go `log` rung (`golang.org/x/exp/slog`: Debian's Go
/// is 1.19, older than `log/slog`).
pub(super) const SLOG: GoLib = GoLib {
    import: "golang.org/x/exp/slog",
    package: "golang-golang-x-exp-dev",
};

/// The Prometheus project's Go client, for the Go `metrics` rung (Debian's 1.14; it brings
/// its own dependencies, `client_model`, `common`, `procfs`, protobuf, into the same tree).
pub(super) const PROMETHEUS_CLIENT: GoLib = GoLib {
    import: "github.com/prometheus/client_golang/prometheus",
    package: "golang-github-prometheus-client-golang-dev",
};

/// Debian's packages of the Spring service's `log` rung: Logback, SLF4J and the Logstash JSON
/// encoder, beside the base service's.
const SPRING_LOG_PACKAGES: &[&str] = &[
    "libspring-web-servlet-java",
    "libspring-context-java",
    "libtomcat9-java",
    "libjackson2-databind-java",
    "liblogback-java",
    "libslf4j-java",
    "liblogstash-logback-encoder-java",
];
const SPRING_LOG_JARS: &[&str] = &[
    "spring3-web.servlet.jar",
    "spring3-context.jar",
    "tomcat9-catalina.jar",
    "jackson-databind.jar",
    "logback-classic.jar",
    "slf4j-api.jar",
    "logstash-logback-encoder.jar",
];
/// The Spring service built with its `log` rung (`build.sh OUT --log`).
const SPRING_LOG: Build = Build::Java {
    dir: "services/jvm-spring",
    jar: "footprint-jvm-spring-log.jar",
    packages: SPRING_LOG_PACKAGES,
    jars: SPRING_LOG_JARS,
    flags: &["--log"],
};

/// The Spring service built with its `metrics` rung (`build.sh OUT --metrics`): the base
/// service's packages, no other.
const SPRING_METRICS: Build = Build::Java {
    dir: "services/jvm-spring",
    jar: "footprint-jvm-spring-metrics.jar",
    packages: SPRING_PACKAGES,
    jars: SPRING_JARS,
    flags: &["--metrics"],
};

/// The rungs of the feature ladder built so far: a stack with one added concern, named
/// `<stack>@<rung>`, built from the same code with a cargo feature or a build tag. `log`: one
/// JSON access-log line per request on stdout (contract F1); `metrics`: a request counter and
/// a latency histogram by route and status on `GET /metrics` (contract F2), scraped during the
/// run by a Prometheus server the harness starts; `tracing` and `tracing-10`: a span per
/// request exported over OTLP/HTTP, every one or one trace in ten kept (contract F3), to a
/// receiver the harness runs; `all`: the three together.
pub const RUNGS: [Stack; 21] = [
    Stack {
        name: "hyper@log",
        about: "hyper, each request logged as one JSON line on stdout: tracing and tracing-subscriber's JSON formatter",
        workers: "tokio worker threads",
        build: Build::Cargo {
            package: "footprint-hyper",
            bin: "footprint-hyper-log",
            features: &["log"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "axum@log",
        about: "axum, each request logged as one JSON line on stdout: tracing and tracing-subscriber's JSON formatter",
        workers: "tokio worker threads",
        build: Build::Cargo {
            package: "footprint-axum",
            bin: "footprint-axum-log",
            features: &["log"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "actix@log",
        about: "actix-web, each request logged as one JSON line on stdout: tracing and tracing-subscriber's JSON formatter",
        workers: "actix workers (one single-threaded runtime each)",
        build: Build::Cargo {
            package: "footprint-actix",
            bin: "footprint-actix-log",
            features: &["log"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "go@log",
        about: "the Go service, each request logged as one JSON line on stdout: slog's JSON handler",
        workers: "GOMAXPROCS",
        build: Build::Go {
            dir: "services/go",
            bin: "footprint-go-log",
            tags: &["log"],
            libs: &[SLOG],
        },
        jvm_options: &[],
    },
    Stack {
        name: "hyper@metrics",
        about: "hyper, each request counted and timed by route and status on GET /metrics: prometheus-client",
        workers: "tokio worker threads",
        build: Build::Cargo {
            package: "footprint-hyper",
            bin: "footprint-hyper-metrics",
            features: &["metrics"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "axum@metrics",
        about: "axum, each request counted and timed by route and status on GET /metrics: prometheus-client",
        workers: "tokio worker threads",
        build: Build::Cargo {
            package: "footprint-axum",
            bin: "footprint-axum-metrics",
            features: &["metrics"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "actix@metrics",
        about: "actix-web, each request counted and timed by route and status on GET /metrics: prometheus-client",
        workers: "actix workers (one single-threaded runtime each)",
        build: Build::Cargo {
            package: "footprint-actix",
            bin: "footprint-actix-metrics",
            features: &["metrics"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "go@metrics",
        about: "the Go service, each request counted and timed by route and status on GET /metrics: client_golang",
        workers: "GOMAXPROCS",
        build: Build::Go {
            dir: "services/go",
            bin: "footprint-go-metrics",
            tags: &["metrics"],
            libs: &[PROMETHEUS_CLIENT],
        },
        jvm_options: &[],
    },
    Stack {
        name: "hyper@tracing",
        about: "hyper, a span per request (every one kept) exported over OTLP/HTTP: opentelemetry-otlp",
        workers: "tokio worker threads",
        build: Build::Cargo {
            package: "footprint-hyper",
            bin: "footprint-hyper-tracing",
            features: &["tracing"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "hyper@tracing-10",
        about: "hyper, a span per request (one trace in ten kept) exported over OTLP/HTTP: opentelemetry-otlp",
        workers: "tokio worker threads",
        build: Build::Cargo {
            package: "footprint-hyper",
            bin: "footprint-hyper-tracing-10",
            features: &["tracing"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "axum@tracing",
        about: "axum, a span per request (every one kept) exported over OTLP/HTTP: opentelemetry-otlp",
        workers: "tokio worker threads",
        build: Build::Cargo {
            package: "footprint-axum",
            bin: "footprint-axum-tracing",
            features: &["tracing"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "axum@tracing-10",
        about: "axum, a span per request (one trace in ten kept) exported over OTLP/HTTP: opentelemetry-otlp",
        workers: "tokio worker threads",
        build: Build::Cargo {
            package: "footprint-axum",
            bin: "footprint-axum-tracing-10",
            features: &["tracing"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "actix@tracing",
        about: "actix-web, a span per request (every one kept) exported over OTLP/HTTP: opentelemetry-otlp",
        workers: "actix workers (one single-threaded runtime each)",
        build: Build::Cargo {
            package: "footprint-actix",
            bin: "footprint-actix-tracing",
            features: &["tracing"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "actix@tracing-10",
        about: "actix-web, a span per request (one trace in ten kept) exported over OTLP/HTTP: opentelemetry-otlp",
        workers: "actix workers (one single-threaded runtime each)",
        build: Build::Cargo {
            package: "footprint-actix",
            bin: "footprint-actix-tracing-10",
            features: &["tracing"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "hyper@all",
        about: "hyper with the access log, the metrics and a span per request (every one kept) together",
        workers: "tokio worker threads",
        build: Build::Cargo {
            package: "footprint-hyper",
            bin: "footprint-hyper-all",
            features: &["log", "metrics", "tracing"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "axum@all",
        about: "axum with the access log, the metrics and a span per request (every one kept) together",
        workers: "tokio worker threads",
        build: Build::Cargo {
            package: "footprint-axum",
            bin: "footprint-axum-all",
            features: &["log", "metrics", "tracing"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "actix@all",
        about: "actix-web with the access log, the metrics and a span per request (every one kept) together",
        workers: "actix workers (one single-threaded runtime each)",
        build: Build::Cargo {
            package: "footprint-actix",
            bin: "footprint-actix-all",
            features: &["log", "metrics", "tracing"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "jvm-spring@log",
        about: "Spring, each request logged as one JSON line on stdout: a Tomcat valve, SLF4J, Logback and the Logstash encoder",
        workers: "Tomcat's request threads; -XX:ActiveProcessorCount",
        build: SPRING_LOG,
        jvm_options: &[],
    },
    Stack {
        name: "jvm-spring-tuned@log",
        about: "the tuned Spring service, each request logged as jvm-spring@log",
        workers: "Tomcat's request threads; -XX:ActiveProcessorCount",
        build: SPRING_LOG,
        jvm_options: TUNED_JVM,
    },
    Stack {
        name: "jvm-spring@metrics",
        about: "Spring, with a request counter and a latency histogram on GET /metrics: a Tomcat valve and the Prometheus text format written by hand (Debian has no Prometheus client for Java)",
        workers: "Tomcat's request threads; -XX:ActiveProcessorCount",
        build: SPRING_METRICS,
        jvm_options: &[],
    },
    Stack {
        name: "jvm-spring-tuned@metrics",
        about: "the tuned Spring service, with the metrics of jvm-spring@metrics",
        workers: "Tomcat's request threads; -XX:ActiveProcessorCount",
        build: SPRING_METRICS,
        jvm_options: TUNED_JVM,
    },
];
