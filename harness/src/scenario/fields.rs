//! Single values read from a scenario file and checked (whole numbers in a range, shares,
//! names, pauses, CPU lists, stack lists), and where in the file a key or value is, so that
//! every error names the key and its line.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use toml::de::{DeTable, DeValue};
use toml::{Spanned, Value};

use super::{ScenarioError, quote};

const NAME_RULE: &str = "^[a-z0-9][a-z0-9-]*$";
/// A stack's name: a name, or a landscape variant's (`axum+quotes`).
const STACK_RULE: &str = "^[a-z0-9][a-z0-9-]*(\\+[a-z0-9-]+)?$";
const PAUSE_MAX_MS: i64 = 600_000;

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A stack's name, or a landscape variant's or a rung's (`axum+quotes`, `axum@log`): the
/// separators are the ones `stacks` names them by.
fn is_stack_name(text: &str) -> bool {
    let variant = crate::stacks::VARIANT_SUFFIX.chars().next().unwrap_or('+');
    match text
        .split_once(variant)
        .or_else(|| text.split_once(crate::stacks::RUNG_SEPARATOR))
    {
        Some((base, variant)) => {
            is_name(base)
                && !variant.is_empty()
                && variant
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        }
        None => is_name(text),
    }
}

/// A value straight from the file, with where it was.
pub(super) type Field = Option<Spanned<Value>>;

/// An integer key's range and what it counts.
pub(super) struct Bounds {
    pub(super) what: &'static str,
    pub(super) min: i64,
    pub(super) max: i64,
}

impl Bounds {
    pub(super) fn expected(&self) -> String {
        format!("{} from {} to {}", self.what, self.min, self.max)
    }
}

/// Validation of one file's raw keys, knowing the file and its text for errors.
pub(super) struct Check<'a> {
    pub(super) file: &'a Path,
    pub(super) text: &'a str,
}

impl Check<'_> {
    pub(super) fn line(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&byte| byte == b'\n')
            .count()
            + 1
    }

    /// A `toml`/serde error (unknown key, a value where a table belongs) with its key found
    /// from the error's span in the parsed document.
    pub(super) fn serde_error(
        &self,
        document: &DeTable<'_>,
        error: &toml::de::Error,
    ) -> ScenarioError {
        let span = error.span();
        let key = span.as_ref().and_then(|span| key_at(document, span, ""));
        let line = span.map(|span| self.line(&span));
        let message = error.message();
        let unknown = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split_once("`, "));
        if let Some((name, expected)) = unknown {
            return ScenarioError::UnknownKey {
                file: self.file.to_path_buf(),
                key: key.unwrap_or_else(|| name.to_owned()),
                line,
                expected: expected.to_owned(),
            };
        }
        // `[step]` instead of `[[step]]` is the likely slip behind a sequence expected there.
        let message = if key.as_deref() == Some("step") {
            message.replace("expected a sequence", "expected [[step]] tables")
        } else {
            message.to_owned()
        };
        ScenarioError::Shape {
            file: self.file.to_path_buf(),
            key,
            line,
            message,
        }
    }

    pub(super) fn invalid(
        &self,
        key: &str,
        value: &Spanned<Value>,
        expected: impl Into<String>,
    ) -> ScenarioError {
        self.invalid_found(key, value.span(), expected, value.get_ref().to_string())
    }

    pub(super) fn invalid_found(
        &self,
        key: &str,
        span: Range<usize>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> ScenarioError {
        ScenarioError::Invalid {
            file: self.file.to_path_buf(),
            key: key.to_owned(),
            line: Some(self.line(&span)),
            expected: expected.into(),
            found: found.into(),
        }
    }

    pub(super) fn missing(
        &self,
        key: &str,
        table: Option<Range<usize>>,
        expected: String,
    ) -> ScenarioError {
        ScenarioError::Missing {
            file: self.file.to_path_buf(),
            key: key.to_owned(),
            line: table.map(|span| self.line(&span)),
            expected,
        }
    }

    pub(super) fn int(
        &self,
        key: &str,
        value: &Spanned<Value>,
        bounds: &Bounds,
    ) -> Result<i64, ScenarioError> {
        match value.get_ref() {
            Value::Integer(n) if (bounds.min..=bounds.max).contains(n) => Ok(*n),
            _ => Err(self.invalid(key, value, bounds.expected())),
        }
    }

    pub(super) fn int_or(
        &self,
        key: &str,
        value: &Field,
        bounds: &Bounds,
        default: i64,
    ) -> Result<i64, ScenarioError> {
        value
            .as_ref()
            .map_or(Ok(default), |value| self.int(key, value, bounds))
    }

    pub(super) fn int_opt(
        &self,
        key: &str,
        value: &Field,
        bounds: &Bounds,
    ) -> Result<Option<i64>, ScenarioError> {
        value
            .as_ref()
            .map(|value| self.int(key, value, bounds))
            .transpose()
    }

    pub(super) fn int_required(
        &self,
        key: &str,
        value: &Field,
        bounds: &Bounds,
        table: Range<usize>,
    ) -> Result<i64, ScenarioError> {
        match value {
            Some(value) => self.int(key, value, bounds),
            None => Err(self.missing(key, Some(table), bounds.expected())),
        }
    }

    pub(super) fn share(
        &self,
        key: &str,
        value: &Field,
        default: f64,
    ) -> Result<f64, ScenarioError> {
        let Some(value) = value else {
            return Ok(default);
        };
        let share = match value.get_ref() {
            Value::Integer(n) => *n as f64,
            Value::Float(x) => *x,
            _ => f64::NAN,
        };
        if (0.0..=1.0).contains(&share) {
            Ok(share)
        } else {
            Err(self.invalid(key, value, "a share from 0 to 1"))
        }
    }

    pub(super) fn name(
        &self,
        key: &str,
        value: &Spanned<Value>,
        what: &str,
    ) -> Result<String, ScenarioError> {
        match value.get_ref() {
            Value::String(text) if is_name(text) => Ok(text.clone()),
            _ => Err(self.invalid(key, value, format!("{what} matching {NAME_RULE}"))),
        }
    }

    pub(super) fn pause(
        &self,
        key: &str,
        value: &Field,
    ) -> Result<Option<(Duration, Duration)>, ScenarioError> {
        let Some(value) = value else {
            return Ok(None);
        };
        let pair = match value.get_ref() {
            Value::Array(items) => match items.as_slice() {
                [Value::Integer(min), Value::Integer(max)] => Some((*min, *max)),
                _ => None,
            },
            _ => None,
        };
        match pair {
            Some((min, max)) if 0 <= min && min <= max && max <= PAUSE_MAX_MS => Ok(Some((
                Duration::from_millis(min as u64),
                Duration::from_millis(max as u64),
            ))),
            _ => Err(self.invalid(
                key,
                value,
                format!(
                    "[min, max] in whole milliseconds from 0 to {PAUSE_MAX_MS} with min <= max"
                ),
            )),
        }
    }

    pub(super) fn cpus(
        &self,
        key: &str,
        value: &Field,
        default: usize,
    ) -> Result<Vec<usize>, ScenarioError> {
        let Some(value) = value else {
            return Ok(vec![default]);
        };
        let items = match value.get_ref() {
            Value::Array(items) if !items.is_empty() => items,
            _ => return Err(self.invalid(key, value, "a non-empty array of CPU numbers")),
        };
        let mut cpus = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_key = format!("{key}[{}]", i + 1);
            let cpu = match item {
                Value::Integer(n) if (0..=1023).contains(n) => *n as usize,
                _ => {
                    return Err(self.invalid_found(
                        &item_key,
                        value.span(),
                        "a CPU number from 0 to 1023",
                        item.to_string(),
                    ));
                }
            };
            if cpus.contains(&cpu) {
                return Err(self.invalid_found(
                    &item_key,
                    value.span(),
                    "each CPU once",
                    format!("{cpu} again"),
                ));
            }
            cpus.push(cpu);
        }
        Ok(cpus)
    }

    pub(super) fn stacks(&self, value: &Field) -> Result<Vec<String>, ScenarioError> {
        let Some(value) = value else {
            return Ok(Vec::new());
        };
        let Value::Array(items) = value.get_ref() else {
            return Err(self.invalid("stacks", value, "an array of stack names"));
        };
        let mut stacks: Vec<String> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let key = format!("stacks[{}]", i + 1);
            let name = match item {
                Value::String(name) if is_stack_name(name) => name,
                _ => {
                    return Err(self.invalid_found(
                        &key,
                        value.span(),
                        format!("a stack name matching {STACK_RULE}"),
                        item.to_string(),
                    ));
                }
            };
            if stacks.contains(name) {
                return Err(self.invalid_found(
                    &key,
                    value.span(),
                    "each stack once",
                    format!("{} again", quote(name)),
                ));
            }
            stacks.push(name.clone());
        }
        Ok(stacks)
    }
}

/// Dotted path of the key or value at `span` in the parsed document.
fn key_at(table: &DeTable<'_>, span: &Range<usize>, prefix: &str) -> Option<String> {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        if contains(&key.span(), span) {
            return Some(path);
        }
        if let Some(found) = value_at(value, span, path) {
            return Some(found);
        }
    }
    None
}

fn value_at(value: &Spanned<DeValue<'_>>, span: &Range<usize>, path: String) -> Option<String> {
    match value.get_ref() {
        DeValue::Table(table) => {
            if let Some(found) = key_at(table, span, &path) {
                return Some(found);
            }
        }
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(found) = value_at(item, span, format!("{path}[{}]", i + 1)) {
                    return Some(found);
                }
            }
        }
        _ => {}
    }
    contains(&value.span(), span).then_some(path)
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{ONE_STEP, error};
    use super::*;

    #[test]
    fn stack_names_take_a_variant_or_a_rung() {
        for good in ["axum", "jvm-spring", "axum+quotes", "axum@log", "go@log"] {
            assert!(super::is_stack_name(good), "{good}");
        }
        for bad in [
            "", "Axum", "axum+", "axum@", "+quotes", "@log", "axum@Log", "axum log",
        ] {
            assert!(!super::is_stack_name(bad), "{bad}");
        }
    }

    #[test]
    fn unknown_key_at_top_level() {
        let e = error("description = \"d\"\nusres = 8\n");
        assert!(matches!(e, ScenarioError::UnknownKey { .. }), "{e}");
        assert_eq!((e.key(), e.line()), (Some("usres"), Some(2)));
        let message = e.to_string();
        assert!(
            message.starts_with("scenarios/test.toml: usres: unknown key, expected one of "),
            "{message}"
        );
        assert!(message.contains("`description`"), "{message}");
        assert!(message.ends_with("(line 2)"), "{message}");
    }

    #[test]
    fn unknown_key_inside_a_step_and_a_table() {
        let e = error(&format!("{ONE_STEP}\n[[step]]\nusers = 8\nsecond = 20\n"));
        assert!(matches!(e, ScenarioError::UnknownKey { .. }), "{e}");
        assert_eq!((e.key(), e.line()), (Some("step[2].second"), Some(8)));
        assert!(e.to_string().contains("`seconds`"), "{e}");

        let e = error("description = \"d\"\n[ids]\nseeded = 1\nbogus = 0\n");
        assert_eq!((e.key(), e.line()), (Some("ids.bogus"), Some(4)));

        let e = error("description = \"d\"\nplacement = { service_cpus = [1], cpus = [0] }\n");
        assert_eq!((e.key(), e.line()), (Some("placement.cpus"), Some(2)));
    }

    #[test]
    fn wrong_shapes_name_the_key() {
        let e = error("description = \"d\"\nplacement = 3\n");
        assert!(matches!(e, ScenarioError::Shape { .. }), "{e}");
        assert_eq!((e.key(), e.line()), (Some("placement"), Some(2)));
        assert!(e.to_string().contains("a [placement] table"), "{e}");

        let e = error("description = \"d\"\n[step]\nusers = 1\n");
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: step: invalid type: map, expected [[step]] tables (line 2)"
        );

        let e = error("description = \"d\"\nrepeat = \"3\"\n");
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: repeat: expected a whole number of repeats from 1 to 100, \
             found \"3\" (line 2)"
        );
    }

    #[test]
    fn syntax_error_carries_a_line() {
        let e = error("description = \"d\"\nrepeat = 1\nstacks = [\"axum\"\n");
        assert!(matches!(e, ScenarioError::Syntax { .. }), "{e}");
        assert_eq!(e.line(), Some(3), "{e}");
        let message = e.to_string();
        assert!(
            message.starts_with("scenarios/test.toml: invalid TOML: "),
            "{message}"
        );
        assert!(message.ends_with(" (line 3)"), "{message}");

        let e = error("description = \"d\"\nrepeat = 1\nrepeat = 2\n");
        assert!(matches!(e, ScenarioError::Syntax { .. }), "{e}");
        assert_eq!(e.line(), Some(3), "{e}");
    }
}
