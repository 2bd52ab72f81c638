//! What the in-process drivers ask for, the same for both: the path of each request (an id of
//! the kind the scenario's mix draws) and how long a request may take.

use std::time::Duration;

use rand::Rng;

use crate::scenario::IdMix;

/// How long one request may take before it counts as failed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Malformed ids the load draws from: each one a rule of the contract.
const MALFORMED: [&str; 6] = [
    "abc",
    "%2B10001",
    "-10001",
    "10000.5",
    "1e4",
    "123456789012",
];

/// Picks the kind of id by the mix (an index into [`crate::model::KINDS`]), then a path
/// asking for an id of that kind.
pub fn pick(ids: IdMix) -> (usize, String) {
    let mut rng = rand::rng();
    let roll: f64 = rng.random();
    if roll < ids.seeded {
        let id = rng.random_range(10_000..10_100);
        (0, format!("/accounts/{id}"))
    } else if roll < ids.seeded + ids.unknown {
        let id = rng.random_range(10_100..100_000);
        (1, format!("/accounts/{id}"))
    } else {
        let id = MALFORMED[rng.random_range(0..MALFORMED.len())];
        (2, format!("/accounts/{id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::SEEDED_ONLY;

    #[test]
    fn ids_of_each_kind() {
        let all = IdMix {
            seeded: 0.0,
            unknown: 0.0,
            malformed: 1.0,
        };
        let (kind, path) = pick(all);
        assert_eq!(kind, 2);
        assert!(MALFORMED.iter().any(|m| path == format!("/accounts/{m}")));
        let (kind, path) = pick(SEEDED_ONLY);
        assert_eq!(kind, 0);
        let id: u32 = path.trim_start_matches("/accounts/").parse().unwrap();
        assert!((10_000..10_100).contains(&id));
    }
}
