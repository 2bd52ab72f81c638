//! The load of a scenario: its `[[step]]` tables and its `[warmup]`, which by default is the
//! first step's (or the first probe's) load for five seconds.

use std::time::Duration;

use toml::Spanned;

use super::bounds::{HOLD, RATE, SECONDS, USERS};
use super::raw::{RawStep, RawWarmup};
use crate::scenario::fields::Check;
use crate::scenario::{SECOND, ScenarioError, Step, quote};

/// The steps and the warm-up.
impl Check<'_> {
    pub(super) fn steps(&self, raw: &[Spanned<RawStep>]) -> Result<Vec<Step>, ScenarioError> {
        let mut steps: Vec<Step> = Vec::with_capacity(raw.len());
        for (i, spanned) in raw.iter().enumerate() {
            let table = spanned.get_ref();
            let key = |name: &str| format!("step[{}].{name}", i + 1);
            let name = match &table.name {
                None => format!("step-{}", i + 1),
                Some(value) => {
                    let name = self.name(&key("name"), value, "a step name")?;
                    if name == "warmup" {
                        return Err(self.invalid(
                            &key("name"),
                            value,
                            "a name other than \"warmup\", which is the warm-up's",
                        ));
                    }
                    name
                }
            };
            if steps.iter().any(|step| step.name == name) {
                let span = table
                    .name
                    .as_ref()
                    .map_or_else(|| spanned.span(), Spanned::span);
                return Err(self.invalid_found(
                    &key("name"),
                    span,
                    "a name no other step has",
                    format!("{} again", quote(&name)),
                ));
            }
            let users = self.int_required(&key("users"), &table.users, &USERS, spanned.span())?;
            let rate = self.int_opt(&key("rate"), &table.rate, &RATE)?;
            let hold = self.int_required(&key("seconds"), &table.seconds, &HOLD, spanned.span())?;
            let ramp = self.int_or(&key("ramp_seconds"), &table.ramp_seconds, &SECONDS, 1)?;
            let pause = self
                .pause(&key("pause_ms"), &table.pause_ms)?
                .unwrap_or((Duration::ZERO, Duration::ZERO));
            steps.push(Step {
                name,
                users: users as usize,
                rate: rate.map(|rate| rate as u32),
                ramp: Duration::from_secs(ramp as u64),
                hold: Duration::from_secs(hold as u64),
                pause,
            });
        }
        Ok(steps)
    }

    pub(super) fn warmup(
        &self,
        raw: Option<&Spanned<RawWarmup>>,
        first: Option<&Step>,
    ) -> Result<Option<Step>, ScenarioError> {
        let warmup = |first: &Step, hold: u64| Step {
            name: "warmup".to_owned(),
            users: first.users,
            rate: first.rate,
            ramp: SECOND,
            hold: Duration::from_secs(hold),
            pause: first.pause,
        };
        let Some(raw) = raw else {
            return Ok(first.map(|first| warmup(first, 5)));
        };
        let table = raw.get_ref();
        let seconds = self.int_or("warmup.seconds", &table.seconds, &SECONDS, 5)?;
        let users = self.int_opt("warmup.users", &table.users, &USERS)?;
        let rate = self.int_opt("warmup.rate", &table.rate, &RATE)?;
        let pause = self.pause("warmup.pause_ms", &table.pause_ms)?;
        if seconds == 0 {
            return Ok(None);
        }
        let Some(first) = first else {
            return Err(ScenarioError::Rule {
                file: self.file.to_path_buf(),
                key: "warmup".to_owned(),
                line: Some(self.line(&raw.span())),
                message: "a warm-up needs at least one [[step]] or a [capacity] search".to_owned(),
            });
        };
        let mut step = warmup(first, seconds as u64);
        step.users = users.map_or(first.users, |users| users as usize);
        step.rate = rate.map(|rate| rate as u32);
        step.pause = pause.unwrap_or(first.pause);
        Ok(Some(step))
    }
}
