//! What is wrong with a scenario, and where: the file, the key and the line.

use std::path::{Path, PathBuf};

/// Why a scenario could not be found, read or accepted.
///
/// Every message starts with the file; the line, when known, closes it as `(line N)`.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// No scenario file where the name or path leads.
    #[error("{}: no such scenario; available: {}", .file.display(), list(.available))]
    NotFound {
        /// Where the scenario was looked for.
        file: PathBuf,
        /// Names of the scenarios in the scenarios directory, sorted.
        available: Vec<String>,
    },
    /// The file could not be read.
    #[error("{}: cannot read: {source}", .file.display())]
    Read {
        /// The scenario file.
        file: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The text is not TOML.
    #[error("{}: invalid TOML: {message}{}", .file.display(), at(*.line))]
    Syntax {
        /// The scenario file.
        file: PathBuf,
        /// Line of the error, from 1.
        line: Option<usize>,
        /// What the TOML parser expected.
        message: String,
    },
    /// A key the format does not have.
    #[error("{}: {key}: unknown key, {expected}{}", .file.display(), at(*.line))]
    UnknownKey {
        /// The scenario file.
        file: PathBuf,
        /// Dotted path of the unknown key (`step[2].user`).
        key: String,
        /// Line of the key, from 1.
        line: Option<usize>,
        /// The keys allowed there (`expected one of ...`).
        expected: String,
    },
    /// A value of a shape the format does not have, such as a number where a table belongs.
    #[error("{}: {}{message}{}", .file.display(), key_prefix(.key.as_deref()), at(*.line))]
    Shape {
        /// The scenario file.
        file: PathBuf,
        /// Dotted path of the key, when it could be found.
        key: Option<String>,
        /// Line of the value, from 1.
        line: Option<usize>,
        /// What was expected and found, as the TOML deserializer says it.
        message: String,
    },
    /// A required key is absent.
    #[error("{}: {key}: missing; expected {expected}{}", .file.display(), at(*.line))]
    Missing {
        /// The scenario file.
        file: PathBuf,
        /// Dotted path of the missing key.
        key: String,
        /// Line of the table it belongs in, from 1.
        line: Option<usize>,
        /// What the key must hold.
        expected: String,
    },
    /// A value of the wrong type or out of its range.
    #[error("{}: {key}: expected {expected}, found {found}{}", .file.display(), at(*.line))]
    Invalid {
        /// The scenario file.
        file: PathBuf,
        /// Dotted path of the key (`step[2].users`, `ids.seeded`).
        key: String,
        /// Line of the value, from 1.
        line: Option<usize>,
        /// What the key must hold.
        expected: String,
        /// What it holds.
        found: String,
    },
    /// Values that are each fine but do not go together.
    #[error("{}: {key}: {message}{}", .file.display(), at(*.line))]
    Rule {
        /// The scenario file.
        file: PathBuf,
        /// Dotted path of the key or table at fault.
        key: String,
        /// Line of the key or table, from 1.
        line: Option<usize>,
        /// The rule that is broken.
        message: String,
    },
}

impl ScenarioError {
    /// The file the error is about.
    pub fn file(&self) -> &Path {
        match self {
            ScenarioError::NotFound { file, .. }
            | ScenarioError::Read { file, .. }
            | ScenarioError::Syntax { file, .. }
            | ScenarioError::UnknownKey { file, .. }
            | ScenarioError::Shape { file, .. }
            | ScenarioError::Missing { file, .. }
            | ScenarioError::Invalid { file, .. }
            | ScenarioError::Rule { file, .. } => file,
        }
    }

    /// Dotted path of the key at fault, when the error is about one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ScenarioError::NotFound { .. }
            | ScenarioError::Read { .. }
            | ScenarioError::Syntax { .. } => None,
            ScenarioError::Shape { key, .. } => key.as_deref(),
            ScenarioError::UnknownKey { key, .. }
            | ScenarioError::Missing { key, .. }
            | ScenarioError::Invalid { key, .. }
            | ScenarioError::Rule { key, .. } => Some(key),
        }
    }

    /// Line of the error in the file, from 1, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            ScenarioError::NotFound { .. } | ScenarioError::Read { .. } => None,
            ScenarioError::Syntax { line, .. }
            | ScenarioError::UnknownKey { line, .. }
            | ScenarioError::Shape { line, .. }
            | ScenarioError::Missing { line, .. }
            | ScenarioError::Invalid { line, .. }
            | ScenarioError::Rule { line, .. } => *line,
        }
    }
}

fn at(line: Option<usize>) -> String {
    line.map(|line| format!(" (line {line})"))
        .unwrap_or_default()
}

fn key_prefix(key: Option<&str>) -> String {
    key.map(|key| format!("{key}: ")).unwrap_or_default()
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}
