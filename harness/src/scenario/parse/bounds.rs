//! The bounds several tables' values share: users, rates and durations.

use crate::scenario::fields::Bounds;

/// Users of a step or the warm-up.
pub(super) const USERS: Bounds = Bounds {
    what: "a whole number of users",
    min: 1,
    max: 100_000,
};
/// A rate in requests per second.
pub(super) const RATE: Bounds = Bounds {
    what: "a whole number of requests per second",
    min: 1,
    max: 1_000_000,
};
/// How long a step holds its load.
pub(super) const HOLD: Bounds = Bounds {
    what: "a whole number of seconds",
    min: 1,
    max: 86_400,
};
/// A duration in whole seconds, up to an hour.
pub(super) const SECONDS: Bounds = Bounds {
    what: "a whole number of seconds",
    min: 0,
    max: 3_600,
};
