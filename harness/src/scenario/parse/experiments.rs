//! The tables of the experiments besides the steps: `[battery]`, `[capacity]`, `[fit]` and
//! `[density]`, each read with its defaults; the rules between them and the steps are the
//! scenario's (`super`).

use std::time::Duration;

use toml::Spanned;
use toml::Value;

use super::bounds::{RATE, USERS};
use super::raw::{RawBattery, RawCapacity, RawDensity, RawFit};
use crate::scenario::fields::{Bounds, Check, Field};
use crate::scenario::{Battery, CapacityPlan, DensityPlan, FitPlan, ScenarioError};

/// A memory limit.
const MIB: Bounds = Bounds {
    what: "a whole number of MiB",
    min: 1,
    max: 1_048_576,
};
/// A replica's limit or a node's budget: at least the container engine's minimum of 6 MiB.
const REPLICA_MIB: Bounds = Bounds {
    what: "a whole number of MiB, at least the container engine's minimum limit of 6",
    min: 6,
    max: 1_048_576,
};
/// Finest and coarsest resolution of a capacity search, as a share of the rate.
const RESOLUTION_MIN: f64 = 0.001;
const RESOLUTION_MAX: f64 = 0.5;

/// The experiments' tables.
impl Check<'_> {
    pub(super) fn battery(
        &self,
        raw: Option<&Spanned<RawBattery>>,
    ) -> Result<Option<Battery>, ScenarioError> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let table = raw.get_ref();
        let defaults = Battery::default();
        let count = |key: &str, field: &Field, min: i64, max: i64, what, default: usize| {
            self.int_or(key, field, &Bounds { what, min, max }, default as i64)
                .map(|n| n as usize)
        };
        Ok(Some(Battery {
            pipelined: count(
                "battery.pipelined",
                &table.pipelined,
                1,
                10_000,
                "a whole number of requests",
                defaults.pipelined,
            )?,
            stalled: count(
                "battery.stalled",
                &table.stalled,
                3,
                1_000,
                "a whole number of connections",
                defaults.stalled,
            )?,
            burst: count(
                "battery.burst",
                &table.burst,
                1,
                10_000,
                "a whole number of connections",
                defaults.burst,
            )?,
            settle: Duration::from_secs(self.int_or(
                "battery.settle_seconds",
                &table.settle_seconds,
                &Bounds {
                    what: "a whole number of seconds",
                    min: 1,
                    max: 3_600,
                },
                defaults.settle.as_secs() as i64,
            )? as u64),
        }))
    }

    pub(super) fn capacity(
        &self,
        raw: Option<&Spanned<RawCapacity>>,
    ) -> Result<Option<CapacityPlan>, ScenarioError> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let table = raw.get_ref();
        let defaults = CapacityPlan::default();
        let slo_ms = self.int_or(
            "capacity.slo_p99_ms",
            &table.slo_p99_ms,
            &Bounds {
                what: "a whole number of milliseconds",
                min: 1,
                max: 60_000,
            },
            defaults.slo_p99.as_millis() as i64,
        )?;
        let max_error_ratio = self.share(
            "capacity.max_error_ratio",
            &table.max_error_ratio,
            defaults.max_error_ratio,
        )?;
        let start_rps = self.int_or(
            "capacity.start_rps",
            &table.start_rps,
            &RATE,
            i64::from(defaults.start_rps),
        )?;
        let max_rps = self.int_or(
            "capacity.max_rps",
            &table.max_rps,
            &RATE,
            i64::from(defaults.max_rps),
        )?;
        if max_rps < start_rps {
            let span = table
                .max_rps
                .as_ref()
                .map_or_else(|| raw.span(), Spanned::span);
            return Err(self.invalid_found(
                "capacity.max_rps",
                span,
                format!("a rate at least capacity.start_rps ({start_rps})"),
                max_rps.to_string(),
            ));
        }
        let probe = self.int_or(
            "capacity.probe_seconds",
            &table.probe_seconds,
            &Bounds {
                what: "a whole number of seconds",
                min: 1,
                max: 3_600,
            },
            defaults.probe.as_secs() as i64,
        )?;
        let resolution = self.share(
            "capacity.resolution",
            &table.resolution,
            defaults.resolution,
        )?;
        if !(RESOLUTION_MIN..=RESOLUTION_MAX).contains(&resolution) {
            let value = table.resolution.as_ref().expect("a default is in range");
            return Err(self.invalid(
                "capacity.resolution",
                value,
                format!("a share from {RESOLUTION_MIN} to {RESOLUTION_MAX} (0.05: within 5 %)"),
            ));
        }
        let users = self.int_or(
            "capacity.users",
            &table.users,
            &USERS,
            defaults.users as i64,
        )?;
        Ok(Some(CapacityPlan {
            slo_p99: Duration::from_millis(slo_ms as u64),
            max_error_ratio,
            start_rps: start_rps as u32,
            max_rps: max_rps as u32,
            probe: Duration::from_secs(probe as u64),
            resolution,
            users: users as usize,
        }))
    }

    pub(super) fn fit(
        &self,
        raw: Option<&Spanned<RawFit>>,
    ) -> Result<Option<FitPlan>, ScenarioError> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let table = raw.get_ref();
        let defaults = FitPlan::default();
        let max_mib = self.int_or(
            "fit.max_mib",
            &table.max_mib,
            &MIB,
            i64::from(defaults.max_mib),
        )?;
        let min_mib = self.int_or(
            "fit.min_mib",
            &table.min_mib,
            &MIB,
            i64::from(defaults.min_mib),
        )?;
        if min_mib > max_mib {
            let value = table
                .min_mib
                .as_ref()
                .or(table.max_mib.as_ref())
                .expect("a default is in order");
            return Err(self.invalid(
                "fit.min_mib",
                value,
                format!("a limit at most fit.max_mib ({max_mib})"),
            ));
        }
        let resolution_mib = self.int_or(
            "fit.resolution_mib",
            &table.resolution_mib,
            &Bounds {
                what: "a whole number of MiB",
                min: 1,
                max: 1024,
            },
            i64::from(defaults.resolution_mib),
        )?;
        let latency_factor = match &table.latency_factor {
            None => defaults.latency_factor,
            Some(value) => {
                let factor = match value.get_ref() {
                    Value::Integer(n) => *n as f64,
                    Value::Float(x) => *x,
                    _ => f64::NAN,
                };
                if !(1.0..=100.0).contains(&factor) {
                    return Err(self.invalid(
                        "fit.latency_factor",
                        value,
                        "a factor from 1 to 100 (2: a p99 at most twice the largest limit's)",
                    ));
                }
                factor
            }
        };
        let latency_floor_ms = self.int_or(
            "fit.latency_floor_ms",
            &table.latency_floor_ms,
            &Bounds {
                what: "a whole number of milliseconds",
                min: 0,
                max: 60_000,
            },
            defaults.latency_floor.as_millis() as i64,
        )?;
        let max_error_ratio = self.share(
            "fit.max_error_ratio",
            &table.max_error_ratio,
            defaults.max_error_ratio,
        )?;
        let probe_timeout = self.int_or(
            "fit.probe_timeout_seconds",
            &table.probe_timeout_seconds,
            &Bounds {
                what: "a whole number of seconds",
                min: 5,
                max: 3_600,
            },
            defaults.probe_timeout.as_secs() as i64,
        )?;
        Ok(Some(FitPlan {
            max_mib: max_mib as u32,
            min_mib: min_mib as u32,
            resolution_mib: resolution_mib as u32,
            latency_factor,
            latency_floor: Duration::from_millis(latency_floor_ms as u64),
            max_error_ratio,
            probe_timeout: Duration::from_secs(probe_timeout as u64),
        }))
    }

    pub(super) fn density(
        &self,
        raw: Option<&Spanned<RawDensity>>,
    ) -> Result<Option<DensityPlan>, ScenarioError> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let table = raw.get_ref();
        let defaults = DensityPlan::default();
        let node_mib = self.int_or(
            "density.node_mib",
            &table.node_mib,
            &REPLICA_MIB,
            i64::from(defaults.node_mib),
        )?;
        let max_replicas = self.int_or(
            "density.max_replicas",
            &table.max_replicas,
            &Bounds {
                what: "a whole number of replicas",
                min: 1,
                max: 10_000,
            },
            i64::from(defaults.max_replicas),
        )?;
        let limit_mib = self.int_opt("density.limit_mib", &table.limit_mib, &REPLICA_MIB)?;
        if let (Some(limit), Some(value)) = (limit_mib, &table.limit_mib)
            && limit > node_mib
        {
            return Err(self.invalid(
                "density.limit_mib",
                value,
                format!("a limit at most density.node_mib ({node_mib}): the node's budget must hold one replica"),
            ));
        }
        Ok(Some(DensityPlan {
            node_mib: node_mib as u32,
            max_replicas: max_replicas as u32,
            limit_mib: limit_mib.map(|l| l as u32),
        }))
    }
}
