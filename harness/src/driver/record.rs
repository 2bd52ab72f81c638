//! What the in-process drivers record per request, and how it becomes a step's figures.
//!
//! Every latency goes into an HdrHistogram (the `hdrhistogram` crate, 3 significant digits,
//! 1 µs to one hour): a driver keeps one [`Recorder`] per connection or user, so recording is
//! a few additions with no lock, and merges them at the end of the step (histograms add
//! exactly). The step's figures ([`KindResult`]) are read from the merged histograms, and the
//! histograms themselves travel with them ([`KindHistograms`]) so the results folder can keep
//! them (`histograms.csv`) for exact merges across repeats and for percentile plots.
//!
//! One definition of latency for both drivers: from the request's first byte written to the
//! response's last byte read, on a connection already open. Opening a new one is timed apart
//! (`connect`), and a request that could not be sent or answered counts with status 0.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use crate::model::{KINDS, KindHistograms, KindResult, Lateness, Percentiles};

/// Largest latency a histogram holds, µs (one hour); larger values are recorded as this.
pub const HIGHEST_US: u64 = 3_600_000_000;

/// Significant decimal digits the histograms keep (0.1 % resolution).
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// An empty latency histogram of the harness's bounds and precision.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_US, SIGNIFICANT_DIGITS)
        .expect("constant bounds and precision are valid")
}

/// The percentiles the results report, read from a histogram (each value the highest that
/// its bucket holds, so within 0.1 % of the exact one); all 0 when it is empty.
pub fn percentiles(h: &Histogram<u64>) -> Percentiles {
    if h.is_empty() {
        return Percentiles::default();
    }
    Percentiles {
        p50_us: h.value_at_quantile(0.50),
        p90_us: h.value_at_quantile(0.90),
        p99_us: h.value_at_quantile(0.99),
        p999_us: h.value_at_quantile(0.999),
        max_us: h.max(),
    }
}

/// A lateness summary (median, 99th percentile, maximum) from a histogram of lateness.
pub fn lateness(h: &Histogram<u64>) -> Lateness {
    let p = percentiles(h);
    Lateness {
        p50_us: p.p50_us,
        p99_us: p.p99_us,
        max_us: p.max_us,
    }
}

/// A histogram as HdrHistogram's V2 serialisation with DEFLATE (what every HdrHistogram
/// library reads), in base64: how `histograms.csv` keeps them and load workers send them.
pub fn encode(h: &Histogram<u64>) -> String {
    use base64::Engine as _;
    use hdrhistogram::serialization::Serializer as _;
    let mut bytes = Vec::new();
    hdrhistogram::serialization::V2DeflateSerializer::new()
        .serialize(h, &mut bytes)
        .expect("serialising into memory does not fail");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// HdrHistogram's V2 cookie (`V2EncodingCookieBase | 0x10`), and its DEFLATE form's.
const V2_COOKIE: u32 = 0x1c84_9313;
const V2_DEFLATE_COOKIE: u32 = 0x1c84_9314;
/// A V2 header's bytes: cookie, payload length, normalising offset, significant digits,
/// lowest, highest, integer-to-double ratio.
const V2_HEADER: usize = 40;
/// The longest varint a V2 payload holds a count in.
const V2_VARINT_MAX: usize = 9;

/// The most bytes a V2 serialisation of one of the harness's histograms takes: its header and
/// every count at the longest varint (about 207 KiB for 1 µs to an hour at 3 digits).
fn max_serialised_len() -> usize {
    V2_HEADER + histogram().distinct_values() * V2_VARINT_MAX
}

/// The most base64 [`decode`] reads for one histogram: the DEFLATE stream of the most a V2
/// serialisation takes, given twice that room (DEFLATE grows data it cannot compress by a few
/// bytes per 64 KiB block), behind its 8-byte header. About 550 KiB.
pub fn max_encoded_len() -> usize {
    (8 + 2 * max_serialised_len()).div_ceil(3) * 4
}

/// A histogram from [`encode`]'s text; an error says what is wrong with it.
///
/// The text may come from a peer (a load worker's report), and HdrHistogram's decoder believes
/// what the serialisation says of itself: it sizes its buffer from the payload length the
/// header claims (a few dozen bytes can ask for 4 GiB) and makes a histogram of the bounds the
/// header claims. So the lengths are checked against the bytes present, the whole against the
/// most one of the harness's histograms takes, and the header against [`histogram`]'s bounds
/// and precision, before anything is decoded; what decodes then merges with the recorder's.
pub fn decode(text: &str) -> Result<Histogram<u64>, String> {
    use base64::Engine as _;
    use std::io::Read as _;
    if text.len() > max_encoded_len() {
        return Err(format!(
            "histogram is {} bytes of base64, more than one of the harness's takes ({})",
            text.len(),
            max_encoded_len()
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("histogram is not base64: {e}"))?;
    let cookie = be_u32(&bytes, 0);
    if cookie != Some(V2_DEFLATE_COOKIE) {
        return Err(format!(
            "histogram is not an HdrHistogram V2 DEFLATE serialisation (cookie {:#010x})",
            cookie.unwrap_or(0)
        ));
    }
    let claimed = be_u32(&bytes, 4).unwrap_or(0) as usize;
    let deflated = bytes.get(8..).unwrap_or_default();
    if claimed != deflated.len() {
        return Err(format!(
            "histogram claims {claimed} compressed bytes, {} are present",
            deflated.len()
        ));
    }
    // One byte past the most a histogram of the harness's takes tells a longer one.
    let most = max_serialised_len();
    let mut v2 = Vec::new();
    flate2::read::ZlibDecoder::new(deflated)
        .take(most as u64 + 1)
        .read_to_end(&mut v2)
        .map_err(|e| format!("histogram does not inflate: {e}"))?;
    if v2.len() > most {
        return Err(format!(
            "histogram inflates to more than one of the harness's takes ({most} bytes)"
        ));
    }
    check_v2_header(&v2)?;
    hdrhistogram::serialization::Deserializer::new()
        .deserialize(&mut v2.as_slice())
        .map_err(|e| format!("histogram is not an HdrHistogram V2 serialisation: {e:?}"))
}

/// Checks an inflated V2 serialisation's header: its cookie, its payload length against the
/// bytes present, its bounds and precision against [`histogram`]'s.
fn check_v2_header(v2: &[u8]) -> Result<(), String> {
    let (Some(cookie), Some(payload), Some(digits), Some(low), Some(high), true) = (
        be_u32(v2, 0),
        be_u32(v2, 4),
        be_u32(v2, 12),
        be_u64(v2, 16),
        be_u64(v2, 24),
        v2.len() >= V2_HEADER,
    ) else {
        return Err(format!(
            "histogram inflates to {} bytes, short of a V2 header ({V2_HEADER})",
            v2.len()
        ));
    };
    if cookie != V2_COOKIE {
        return Err(format!(
            "histogram is not an HdrHistogram V2 serialisation (inner cookie {cookie:#010x})"
        ));
    }
    let present = v2.len() - V2_HEADER;
    if payload as usize != present {
        return Err(format!(
            "histogram claims a payload of {payload} bytes, {present} are present"
        ));
    }
    same_bounds(low, high, digits)
}

/// The big-endian `u32` at `at`, if the bytes reach that far.
fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// The big-endian `u64` at `at`, if the bytes reach that far.
fn be_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// Whether `h` has [`histogram`]'s bounds and precision, so that it adds to the recorder's.
pub fn check_bounds(h: &Histogram<u64>) -> Result<(), String> {
    same_bounds(h.low(), h.high(), u32::from(h.sigfig()))
}

fn same_bounds(low: u64, high: u64, digits: u32) -> Result<(), String> {
    let ours = histogram();
    if (low, high, digits) == (ours.low(), ours.high(), u32::from(ours.sigfig())) {
        return Ok(());
    }
    Err(format!(
        "histogram's bounds are {low} to {high} µs at {digits} significant digits, not the \
         recorder's {} to {} µs at {}",
        ours.low(),
        ours.high(),
        ours.sigfig()
    ))
}

/// Why a merge cannot fail: every recorder's histograms are [`histogram`]'s, those made here
/// and those [`Recorder::from_results`] takes from a report alike.
const SAME_BOUNDS: &str = "a recorder's histograms all have the same bounds";

/// One kind of id's record.
#[derive(Debug, Clone)]
struct KindRecord {
    /// From the request's first byte to the response's last, µs, per request sent.
    raw: Histogram<u64>,
    /// From the request's slot in the schedule to the response's last byte (or, not sent, to
    /// the end of the step), µs; kept by drivers that have a schedule.
    intended: Option<Histogram<u64>>,
    /// Requests that opened a new connection before they could leave.
    connects: u64,
    /// Their time to connect, summed and longest, µs.
    connect_total_us: u64,
    connect_max_us: u64,
    /// Requests and unsent slots by status (0: no response, or not sent).
    statuses: BTreeMap<u16, u64>,
    /// Slots that fell due and were never sent.
    not_sent: u64,
    /// Sum of the raw latencies, µs (for the mean).
    raw_total_us: u64,
}

impl KindRecord {
    fn new(intended: bool) -> Self {
        Self {
            raw: histogram(),
            intended: intended.then(histogram),
            connects: 0,
            connect_total_us: 0,
            connect_max_us: 0,
            statuses: BTreeMap::new(),
            not_sent: 0,
            raw_total_us: 0,
        }
    }
}

/// What one connection (or one user) measured in a step, per kind of id ([`KINDS`]).
#[derive(Debug, Clone)]
pub struct Recorder {
    kinds: Vec<KindRecord>,
    /// The first failure that was the harness's own, not the service's (the harness out of
    /// file descriptors): the step is then the harness's error, not the service's figures.
    fault: Option<String>,
}

impl Recorder {
    /// An empty recorder; `intended` keeps latencies counted from each request's slot too.
    pub fn new(intended: bool) -> Self {
        Self {
            kinds: KINDS.iter().map(|_| KindRecord::new(intended)).collect(),
            fault: None,
        }
    }

    /// Records that a request failed on the harness's side (`why`); the first one is kept.
    pub fn client_fault(&mut self, why: &str) {
        self.fault.get_or_insert_with(|| why.to_owned());
    }

    /// The harness's own failure in this step, if there was one.
    pub fn fault(&self) -> Option<&str> {
        self.fault.as_deref()
    }

    /// A request of kind `kind` (an index into [`KINDS`]) that was sent: its status (0 without
    /// a response), its latency from when it left, from its slot when the driver has a
    /// schedule, and the time a new connection took to open first, when it needed one.
    pub fn sent(
        &mut self,
        kind: usize,
        status: u16,
        raw_us: u64,
        intended_us: Option<u64>,
        connect_us: Option<u64>,
    ) {
        let k = &mut self.kinds[kind];
        k.raw.saturating_record(raw_us.max(1));
        k.raw_total_us = k.raw_total_us.saturating_add(raw_us);
        if let (Some(h), Some(us)) = (k.intended.as_mut(), intended_us) {
            h.saturating_record(us.max(1));
        }
        if let Some(us) = connect_us {
            k.connects += 1;
            k.connect_total_us = k.connect_total_us.saturating_add(us);
            k.connect_max_us = k.connect_max_us.max(us);
        }
        *k.statuses.entry(status).or_insert(0) += 1;
    }

    /// A slot of kind `kind` that fell due and was never sent: a failure (status 0), in the
    /// intended latencies for `intended_us` (from its slot to the end of the step).
    pub fn not_sent(&mut self, kind: usize, intended_us: u64) {
        let k = &mut self.kinds[kind];
        k.not_sent += 1;
        if let Some(h) = k.intended.as_mut() {
            h.saturating_record(intended_us.max(1));
        }
        *k.statuses.entry(0).or_insert(0) += 1;
    }

    /// Adds another recorder's requests to this one's (exact: histograms add bucket by
    /// bucket).
    pub fn merge(&mut self, other: &Recorder) {
        if let Some(why) = &other.fault {
            self.client_fault(why);
        }
        for (mine, theirs) in self.kinds.iter_mut().zip(&other.kinds) {
            mine.raw.add(&theirs.raw).expect(SAME_BOUNDS);
            mine.connects += theirs.connects;
            mine.connect_total_us = mine
                .connect_total_us
                .saturating_add(theirs.connect_total_us);
            mine.connect_max_us = mine.connect_max_us.max(theirs.connect_max_us);
            match (mine.intended.as_mut(), theirs.intended.as_ref()) {
                (Some(a), Some(b)) => a.add(b).expect(SAME_BOUNDS),
                (None, Some(b)) => mine.intended = Some(b.clone()),
                _ => {}
            }
            for (&status, &n) in &theirs.statuses {
                *mine.statuses.entry(status).or_insert(0) += n;
            }
            mine.not_sent += theirs.not_sent;
            mine.raw_total_us = mine.raw_total_us.saturating_add(theirs.raw_total_us);
        }
    }

    /// A recorder holding what `kinds` say (a load worker's report, its histograms decoded),
    /// so that several merge as their recorders would have: counts, statuses, reconnects and
    /// histograms exactly; the sums behind the means rebuilt from each mean and its count
    /// (a mean is rounded down to the µs, so a merged mean is at most 1 µs low). An error
    /// names a kind it does not know, one that came without its histograms, or one whose
    /// histograms are not of [`histogram`]'s bounds (the merge adds only those).
    pub fn from_results(kinds: &[KindResult]) -> Result<Self, String> {
        let mut recorder = Self::new(false);
        for result in kinds {
            let index = KINDS
                .iter()
                .position(|&(kind, _)| kind == result.kind)
                .ok_or_else(|| format!("unknown kind of id {:?}", result.kind))?;
            let h = result
                .histograms
                .as_ref()
                .ok_or_else(|| format!("{} came without its histograms", result.kind))?;
            for h in std::iter::once(&h.raw).chain(&h.intended) {
                check_bounds(h).map_err(|e| format!("{}: {e}", result.kind))?;
            }
            let k = &mut recorder.kinds[index];
            k.raw = h.raw.clone();
            k.intended = h.intended.clone();
            k.statuses = result.statuses.clone();
            k.not_sent = result.not_sent;
            k.connects = result.reconnects;
            k.connect_total_us = result.connect_mean_us.saturating_mul(result.reconnects);
            k.connect_max_us = result.connect_max_us;
            k.raw_total_us = result.mean_us.saturating_mul(h.raw.len());
        }
        Ok(recorder)
    }

    /// Requests and unsent slots recorded, over every kind.
    pub fn count(&self) -> u64 {
        self.kinds.iter().flat_map(|k| k.statuses.values()).sum()
    }

    /// Per kind of id that was asked for: statuses, errors (a status other than the one the
    /// contract gives the kind, unsent slots included), raw percentiles over the requests
    /// sent, intended ones over every slot, reconnects, and the histograms behind them.
    pub fn results(&self) -> Vec<KindResult> {
        KINDS
            .iter()
            .zip(&self.kinds)
            .filter_map(|(&(kind, expected), k)| {
                let requests: u64 = k.statuses.values().sum();
                if requests == 0 {
                    return None;
                }
                let good = k.statuses.get(&expected).copied().unwrap_or(0);
                let raw = percentiles(&k.raw);
                let sent = k.raw.len();
                let reconnects = k.connects;
                Some(KindResult {
                    kind: kind.to_owned(),
                    requests,
                    statuses: k.statuses.clone(),
                    errors: requests - good,
                    p50_us: raw.p50_us,
                    p90_us: raw.p90_us,
                    p99_us: raw.p99_us,
                    p999_us: raw.p999_us,
                    max_us: raw.max_us,
                    mean_us: k.raw_total_us.checked_div(sent).unwrap_or(0),
                    intended: k.intended.as_ref().map(percentiles),
                    not_sent: k.not_sent,
                    reconnects,
                    connect_mean_us: k.connect_total_us.checked_div(reconnects).unwrap_or(0),
                    connect_max_us: k.connect_max_us,
                    histograms: Some(KindHistograms {
                        raw: k.raw.clone(),
                        intended: k.intended.clone(),
                    }),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `a` is within HdrHistogram's 0.1 % of `b`.
    fn close(a: u64, b: u64) -> bool {
        a.abs_diff(b) as f64 <= b as f64 * 0.001 + 1.0
    }

    #[test]
    fn percentiles_come_from_the_histogram_within_its_precision() {
        let mut r = Recorder::new(false);
        for us in 1..=1000 {
            r.sent(0, 200, us, None, None);
        }
        let k = &r.results()[0];
        assert!(close(k.p50_us, 500), "{k:?}");
        assert!(close(k.p99_us, 990), "{k:?}");
        assert_eq!(k.max_us, 1000);
        assert_eq!(k.mean_us, 500);
        assert_eq!((k.requests, k.errors), (1000, 0));
        assert_eq!(k.intended, None, "no schedule, no intended figures");
        let h = k.histograms.as_ref().unwrap();
        assert_eq!(h.raw.len(), 1000);
    }

    #[test]
    fn merging_recorders_is_exact() {
        let mut a = Recorder::new(true);
        let mut b = Recorder::new(true);
        for us in 0..500 {
            a.sent(0, 200, 100 + us, Some(200 + us), None);
            b.sent(0, 200, 10_000 + us, Some(20_000 + us), Some(300));
        }
        b.sent(1, 404, 50, Some(60), None);
        b.not_sent(0, 1_000_000);
        let mut merged = Recorder::new(true);
        merged.merge(&a);
        merged.merge(&b);
        assert_eq!(merged.count(), 1002);
        let kinds = merged.results();
        let seeded = &kinds[0];
        assert_eq!(seeded.requests, 1001);
        assert_eq!((seeded.errors, seeded.not_sent), (1, 1));
        assert_eq!(seeded.histograms.as_ref().unwrap().raw.len(), 1000);
        assert!(close(seeded.p50_us, 599), "half below 600 µs: {seeded:?}");
        let intended = seeded.intended.unwrap();
        assert!(close(intended.max_us, 1_000_000), "{intended:?}");
        assert_eq!(seeded.reconnects, 500);
        assert_eq!(seeded.connect_mean_us, 300);
        assert_eq!(kinds[1].kind, "unknown");
        assert_eq!(kinds[1].errors, 0, "404 is the contract's answer");
    }

    #[test]
    fn recorders_rebuilt_from_results_merge_as_the_recorders_do() {
        let mut a = Recorder::new(true);
        let mut b = Recorder::new(true);
        for us in 0..300 {
            a.sent(0, 200, 100 + us, Some(150 + us), (us == 0).then_some(40));
            b.sent(0, 200, 5_000 + 3 * us, Some(6_000 + us), None);
            b.sent(2, 400, 70, Some(80), Some(20));
        }
        b.not_sent(0, 9_000);
        let mut direct = Recorder::new(true);
        direct.merge(&a);
        direct.merge(&b);
        // Through the wire: results, histograms encoded and decoded, rebuilt, merged.
        let wire = |r: &Recorder| {
            let mut kinds = r.results();
            for k in &mut kinds {
                let h = k.histograms.take().unwrap();
                k.histograms = Some(KindHistograms {
                    raw: decode(&encode(&h.raw)).unwrap(),
                    intended: h.intended.map(|h| decode(&encode(&h)).unwrap()),
                });
            }
            Recorder::from_results(&kinds).unwrap()
        };
        let mut rebuilt = Recorder::new(true);
        rebuilt.merge(&wire(&a));
        rebuilt.merge(&wire(&b));
        let (direct, rebuilt) = (direct.results(), rebuilt.results());
        assert_eq!(direct.len(), rebuilt.len());
        for (d, r) in direct.iter().zip(&rebuilt) {
            assert_eq!(d.histograms, r.histograms, "{}", d.kind);
            assert_eq!(
                (d.requests, &d.statuses, d.errors, d.not_sent, d.reconnects),
                (r.requests, &r.statuses, r.errors, r.not_sent, r.reconnects)
            );
            assert_eq!(
                (d.p50_us, d.p99_us, d.max_us),
                (r.p50_us, r.p99_us, r.max_us)
            );
            assert!(
                d.mean_us.abs_diff(r.mean_us) <= 1,
                "{} vs {}",
                d.mean_us,
                r.mean_us
            );
        }
        let bad = KindResult {
            kind: "seeded".into(),
            ..KindResult::default()
        };
        assert!(
            Recorder::from_results(&[bad])
                .unwrap_err()
                .contains("histograms")
        );
        assert!(decode("not base64!").unwrap_err().contains("base64"));
    }

    /// `key` of `/proc/self/status` (`VmPeak`, `VmSize`), bytes.
    fn vm(key: &str) -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .unwrap();
        line.trim()
            .trim_end_matches("kB")
            .trim()
            .parse::<u64>()
            .unwrap()
            << 10
    }

    /// HdrHistogram's V2 DEFLATE serialisation of a header alone, `header` its fields after the
    /// cookie: what a peer could send in place of a histogram.
    fn forged(payload_len: u32, digits: u32, low: u64, high: u64) -> String {
        use base64::Engine as _;
        use std::io::Write as _;
        let mut inner = 0x1c84_9313u32.to_be_bytes().to_vec();
        inner.extend(payload_len.to_be_bytes());
        inner.extend(0u32.to_be_bytes());
        inner.extend(digits.to_be_bytes());
        inner.extend(low.to_be_bytes());
        inner.extend(high.to_be_bytes());
        inner.extend(1f64.to_be_bytes());
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&inner).unwrap();
        let deflated = z.finish().unwrap();
        let mut bytes = 0x1c84_9314u32.to_be_bytes().to_vec();
        bytes.extend((deflated.len() as u32).to_be_bytes());
        bytes.extend(deflated);
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn a_tiny_histogram_claiming_4_gib_is_refused_without_allocating() {
        let digits = u32::from(SIGNIFICANT_DIGITS);
        let text = forged(u32::MAX, digits, 1, HIGHEST_US);
        assert!(text.len() < 100, "{text}");
        let (peak, size) = (vm("VmPeak"), vm("VmSize"));
        let err = decode(&text).unwrap_err();
        assert!(
            vm("VmPeak") <= peak.max(size + (1 << 30)),
            "decoding {} bytes of base64 reserved a GiB or more",
            text.len()
        );
        assert!(
            err.contains("4294967295") && err.contains("0 are present"),
            "{err}"
        );
        let other = decode(&forged(0, 2, 1, 1 << 40)).unwrap_err();
        assert!(
            other.contains("bounds are 1 to 1099511627776 µs at 2"),
            "{other}"
        );
        // A histogram of other bounds handed over in a result is refused too.
        let mut foreign = Recorder::new(false);
        foreign.kinds[0].raw = Histogram::new_with_bounds(1, 1 << 40, 2).unwrap();
        foreign.sent(0, 200, 10, None, None);
        let refused = Recorder::from_results(&foreign.results()).unwrap_err();
        assert!(
            refused.starts_with("seeded: histogram's bounds"),
            "{refused}"
        );
    }

    #[test]
    fn a_kind_never_asked_for_is_left_out() {
        let mut r = Recorder::new(false);
        r.sent(2, 400, 10, None, None);
        let kinds = r.results();
        assert_eq!(kinds.len(), 1);
        assert_eq!(kinds[0].kind, "malformed");
    }

    #[test]
    fn values_beyond_the_bounds_are_kept_at_the_bound() {
        let mut r = Recorder::new(false);
        r.sent(0, 200, 0, None, None);
        r.sent(0, 200, u64::MAX / 2, None, None);
        let k = &r.results()[0];
        assert_eq!(k.requests, 2);
        assert!(k.max_us >= HIGHEST_US, "{k:?}");
    }
}
