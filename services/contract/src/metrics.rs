//! The `metrics` rung's rule (contract F2): `GET /metrics` answers the Prometheus text format
//! (or OpenMetrics text) with a request counter and a latency histogram by route and status,
//! and the counts are the requests answered. Run by `metrics_suite!` against a rung
//! (`axum@metrics`, `go@metrics`, ...).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::Target;
use crate::checks::start;
use crate::client::{Response, fetch};

/// The counter, as exposed.
pub const REQUESTS_TOTAL: &str = "http_requests_total";

/// How long after the last answer every count must be in a scrape.
const SETTLE: Duration = Duration::from_secs(2);

/// The histogram's series' prefix.
pub const DURATION: &str = "http_request_duration_seconds";

/// The requests the check sends: path, status, route label, how many times.
const REQUESTS: [(&str, u16, &str, u64); 5] = [
    ("/accounts/10042", 200, "/accounts/{id}", 3),
    ("/accounts/10100", 404, "/accounts/{id}", 2),
    ("/accounts/abc", 400, "/accounts/{id}", 1),
    ("/health", 200, "/health", 4),
    ("/nothing", 404, "other", 1),
];

/// One sample of the exposition: its name, its labels and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The sample's name (`http_requests_total`, `..._bucket`, ...).
    pub name: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Its value.
    pub value: f64,
}

/// The samples of a text exposition (Prometheus 0.0.4 or OpenMetrics): comments and blank
/// lines skipped, a line that is not a sample an error naming it.
pub fn parse(text: &str) -> Result<Vec<Series>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| parse_line(line).ok_or_else(|| format!("not a sample: {line:?}")))
        .collect()
}

fn parse_line(line: &str) -> Option<Series> {
    let (name, rest) = match line.find(['{', ' ']) {
        Some(i) => line.split_at(i),
        None => return None,
    };
    let mut labels = BTreeMap::new();
    let rest = match rest.strip_prefix('{') {
        Some(mut inner) => loop {
            inner = inner.trim_start_matches(',');
            if let Some(after) = inner.strip_prefix('}') {
                break after;
            }
            let (key, after) = inner.split_once("=\"")?;
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next()? {
                    (i, '"') => break i,
                    (_, '\\') => value.push(match chars.next()?.1 {
                        'n' => '\n',
                        other => other,
                    }),
                    (_, c) => value.push(c),
                }
            };
            labels.insert(key.to_owned(), value);
            inner = &after[end + 1..];
        },
        None => rest,
    };
    // A value, then maybe a timestamp.
    let value = rest.split_whitespace().next()?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    Some(Series {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// The value of the sample `name` whose labels include every `(key, value)` of `with`.
pub fn value(series: &[Series], name: &str, with: &[(&str, &str)]) -> Option<f64> {
    series
        .iter()
        .find(|s| {
            s.name == name
                && with
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}

/// A histogram bucket: its upper bound and its cumulative count.
type Bucket = (f64, f64);

fn scrape(response: &Response) -> Vec<Series> {
    parse(&response.text()).unwrap_or_else(|e| panic!("GET /metrics: {e}"))
}

/// F2: after known requests, the counter holds each by route and status, the histogram's count
/// is the counter's, its buckets are cumulative to `+Inf`, and no label carries an id.
pub fn counts_every_request(target: &Target) {
    let service = start(target);
    for (path, status, _, times) in REQUESTS {
        for _ in 0..times {
            let r = fetch(service.addr(), "GET", path)
                .unwrap_or_else(|e| panic!("GET {path}: {e}; stderr: {}", service.stderr()));
            assert_eq!(r.status, status, "GET {path}");
        }
    }
    // A stack may count a request just after its answer is sent (Spring's valve counts when
    // the servlet returns, after Spring has flushed the body), so the last request's count can
    // miss a scrape made at once: scrape again until every count is there, for up to
    // `SETTLE`, then check the last scrape.
    let deadline = Instant::now() + SETTLE;
    let series = loop {
        let r = fetch(service.addr(), "GET", "/metrics").expect("GET /metrics");
        assert_eq!(r.status, 200, "GET /metrics: {}", r.text());
        let kind = r.header("content-type").unwrap_or_default();
        assert!(
            kind.starts_with("text/plain") || kind.starts_with("application/openmetrics-text"),
            "GET /metrics: Content-Type {kind:?}"
        );
        let series = scrape(&r);
        let counted = REQUESTS.iter().all(|(_, status, route, times)| {
            let status = status.to_string();
            let with = [("route", *route), ("status", status.as_str())];
            value(&series, REQUESTS_TOTAL, &with) >= Some(*times as f64)
        });
        if counted || Instant::now() >= deadline {
            break series;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    for (path, status, route, times) in REQUESTS {
        let status = status.to_string();
        let with = [("route", route), ("status", status.as_str())];
        let expected = times as f64;
        assert_eq!(
            value(&series, REQUESTS_TOTAL, &with),
            Some(expected),
            "{REQUESTS_TOTAL}{{route={route:?},status={status:?}}} after {times} GET {path}"
        );
        let count = value(&series, &format!("{DURATION}_count"), &with);
        assert_eq!(count, Some(expected), "{DURATION}_count {with:?}");
        let inf = value(
            &series,
            &format!("{DURATION}_bucket"),
            &[with[0], with[1], ("le", "+Inf")],
        );
        assert_eq!(inf, Some(expected), "{DURATION}_bucket le=+Inf {with:?}");
        let sum = value(&series, &format!("{DURATION}_sum"), &with).unwrap_or(0.0);
        assert!(sum > 0.0, "{DURATION}_sum {with:?} is {sum}");
    }
    // Buckets are cumulative: each no smaller than the one below it.
    let mut buckets: BTreeMap<Vec<(String, String)>, Vec<Bucket>> = BTreeMap::new();
    for s in series
        .iter()
        .filter(|s| s.name == format!("{DURATION}_bucket"))
    {
        let le = s
            .labels
            .get("le")
            .and_then(|v| v.replace("+Inf", "inf").parse().ok());
        let key: Vec<(String, String)> = s
            .labels
            .iter()
            .filter(|(k, _)| *k != "le")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        buckets
            .entry(key)
            .or_default()
            .push((le.expect("every bucket has an `le`"), s.value));
    }
    assert!(!buckets.is_empty(), "no {DURATION}_bucket series");
    for (labels, mut bounds) in buckets {
        bounds.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(
            bounds.windows(2).all(|w| w[0].1 <= w[1].1),
            "{DURATION} {labels:?}: buckets not cumulative: {bounds:?}"
        );
    }
    for s in &series {
        for (key, value) in &s.labels {
            assert!(
                !value.contains("10042") && !value.contains("abc"),
                "{}: label {key}={value:?} carries an id: labels must stay few",
                s.name
            );
        }
    }
}

/// F2: scraping is itself counted, under the route `/metrics`, once its answer is sent: a
/// second scrape sees the first.
pub fn scrapes_are_counted(target: &Target) {
    let service = start(target);
    let first = fetch(service.addr(), "GET", "/metrics").expect("GET /metrics");
    assert_eq!(first.status, 200);
    let second = fetch(service.addr(), "GET", "/metrics").expect("GET /metrics");
    let got = value(
        &scrape(&second),
        REQUESTS_TOTAL,
        &[("route", "/metrics"), ("status", "200")],
    );
    assert!(
        got.is_some_and(|n| n >= 1.0),
        "the first scrape is not counted under route=\"/metrics\": {got:?}"
    );
}

/// Expands to one `#[test]` per rule of the `metrics` rung against the target the expression
/// builds.
#[macro_export]
macro_rules! metrics_suite {
    ($target:expr) => {
        fn metrics_target() -> $crate::Target {
            $target
        }
        #[test]
        fn counts_every_request() {
            $crate::metrics::counts_every_request(&metrics_target());
        }
        #[test]
        fn scrapes_are_counted() {
            $crate::metrics::scrapes_are_counted(&metrics_target());
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_formats() {
        let text = "# HELP x y\n# TYPE http_requests counter\n\
            http_requests_total{route=\"/accounts/{id}\",status=\"200\"} 3\n\
            http_request_duration_seconds_bucket{le=\"+Inf\",route=\"/health\",status=\"200\"} 4 1700000000\n\
            up 1\n# EOF\n";
        let series = parse(text).unwrap();
        assert_eq!(series.len(), 3);
        assert_eq!(
            value(
                &series,
                "http_requests_total",
                &[("route", "/accounts/{id}")]
            ),
            Some(3.0)
        );
        assert_eq!(
            value(
                &series,
                "http_request_duration_seconds_bucket",
                &[("le", "+Inf")]
            ),
            Some(4.0)
        );
        assert_eq!(value(&series, "up", &[]), Some(1.0));
        assert!(parse("garbage").is_err());
    }
}
