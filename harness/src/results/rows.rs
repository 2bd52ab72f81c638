//! One row type per CSV file: its fields are the file's columns, by name and in order. Rows are
//! written and read only through these types (see [`super::RowWriter`] and
//! [`super::read_rows`]); nothing else knows where a column is.
//!
//! Figures the files give with a fixed number of decimals are [`Fixed`]: on disk as today
//! (`12.345`), in memory as `f64`.
//!
//! The row types are grouped by what writes them: the sampler's ([`samples`]), the steps'
//! ([`steps`]), the experiments' ([`experiments`]), the companions' ([`companions`]) and the
//! calibration's ([`calibrate`]).

pub mod calibrate;
pub mod companions;
pub mod experiments;
pub mod samples;
pub mod steps;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A row of one of the CSV files: the file it goes in, and what it is made of.
pub trait Row: Serialize + serde::de::DeserializeOwned + Default {
    /// The file's name in its folder (`memory.csv`).
    const FILE: &'static str;
}

/// A number written with `PLACES` decimals (`{:.PLACES}`), read back as any decimal number.
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd)]
pub struct Fixed<const PLACES: usize>(pub f64);

impl<const PLACES: usize> Serialize for Fixed<PLACES> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:.*}", PLACES, self.0))
    }
}

impl<'de, const PLACES: usize> Deserialize<'de> for Fixed<PLACES> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        f64::deserialize(deserializer).map(Fixed)
    }
}

impl<const PLACES: usize> fmt::Display for Fixed<PLACES> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.*}", PLACES, self.0)
    }
}

/// Microseconds as milliseconds with three decimals.
fn ms(us: u64) -> Fixed<3> {
    Fixed(us as f64 / 1000.0)
}
