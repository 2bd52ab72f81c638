//! The stack files: `stacks/*.toml` (compiled in) and a user's own (`--stacks-file`), read and
//! checked into [`Stack`]s. Every error names the file, the entry and the key, and what to
//! write instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{Build, GoLib, ImageRecipe, Runtime, Service, Stack};
use crate::model::{Family, Role};

/// The project's stack files, in the order their stacks are listed and run.
pub(super) const BUNDLED: [(&str, &str); 3] = [
    (
        "stacks/rust.toml",
        include_str!("../../../stacks/rust.toml"),
    ),
    ("stacks/go.toml", include_str!("../../../stacks/go.toml")),
    ("stacks/jvm.toml", include_str!("../../../stacks/jvm.toml")),
];

/// The runtimes every stack file may name.
pub(super) const RUNTIMES: (&str, &str) = (
    "stacks/runtimes.toml",
    include_str!("../../../stacks/runtimes.toml"),
);

/// Why a stack file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StackFileError {
    /// It could not be read.
    #[error("{path}: cannot read it: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// It is not TOML of the expected form (the parser names the line, column and key).
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's words, with the line and the key.
        message: String,
    },
    /// An entry breaks a rule between keys or files.
    #[error("{path}: stack {stack:?}: {key}: {what}")]
    Entry {
        /// The file.
        path: String,
        /// The entry's name.
        stack: String,
        /// The key at fault.
        key: &'static str,
        /// What is wrong, and what to write instead.
        what: String,
    },
}

/// One stack file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// Debian's packages of Java libraries by name, each with the jar it installs.
    #[serde(default)]
    libraries: BTreeMap<String, Vec<Library>>,
    #[serde(default)]
    stack: Vec<Entry>,
    #[serde(default)]
    variant: Vec<Entry>,
    #[serde(default)]
    rung: Vec<Entry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Library {
    package: String,
    jar: String,
}

/// A `[[stack]]`, `[[variant]]` or `[[rung]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    #[serde(default)]
    about: Option<String>,
    #[serde(default)]
    family: Option<Family>,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    runtime: Option<String>,
    #[serde(default)]
    workers: Option<String>,
    #[serde(default)]
    base: Option<String>,
    #[serde(default)]
    rung: Option<String>,
    #[serde(default)]
    scraped: bool,
    #[serde(default)]
    spans: Option<f64>,
    #[serde(default)]
    jvm_options: Option<Vec<String>>,
    build: BuildEntry,
    /// How the service is reached and configured (a user's stack).
    #[serde(default)]
    port_variable: Option<String>,
    #[serde(default)]
    bind_variable: Option<String>,
    #[serde(default)]
    health: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    args: Vec<String>,
}

/// How an entry is built: exactly one of its keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BuildEntry {
    cargo: Option<CargoEntry>,
    go: Option<GoEntry>,
    java: Option<JavaEntry>,
    /// A user's build: a command run in the stack file's folder, leaving `output`.
    command: Option<Vec<String>>,
    output: Option<String>,
    /// A user's ready executable, relative to the stack file's folder.
    binary: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CargoEntry {
    package: String,
    bin: String,
    #[serde(default)]
    features: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GoEntry {
    dir: String,
    bin: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    libs: Vec<GoLibEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GoLibEntry {
    import: String,
    package: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JavaEntry {
    dir: String,
    jar: String,
    #[serde(default)]
    libraries: Vec<String>,
    #[serde(default)]
    flags: Vec<String>,
}

/// `runtimes.toml`: one table per runtime.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuntimeEntry {
    about: String,
    image: ImageRecipe,
    boot_allowance_s: u64,
    #[serde(default)]
    workers_option: Option<String>,
    #[serde(default)]
    options_variable: Option<String>,
    #[serde(default)]
    heap_log_option: Option<String>,
}

/// A string that lives as long as the process: the registry is made once and read by every
/// layer through `&'static Stack`.
fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn leak_all(texts: Vec<String>) -> &'static [&'static str] {
    Box::leak(
        texts
            .into_iter()
            .map(leak)
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    )
}

/// The runtimes of `runtimes.toml`.
pub(super) fn runtimes(path: &str, text: &str) -> Result<Vec<&'static Runtime>, StackFileError> {
    let table: BTreeMap<String, RuntimeEntry> =
        toml::from_str(text).map_err(|e| syntax(path, &e))?;
    Ok(table
        .into_iter()
        .map(|(name, entry)| {
            &*Box::leak(Box::new(Runtime {
                name: leak(name),
                about: leak(entry.about),
                image: entry.image,
                boot_allowance: Duration::from_secs(entry.boot_allowance_s),
                workers_option: entry.workers_option.map(leak),
                options_variable: entry.options_variable.map(leak),
                heap_log_option: entry.heap_log_option.map(leak),
            }))
        })
        .collect())
}

fn syntax(path: &str, error: &toml::de::Error) -> StackFileError {
    StackFileError::Syntax {
        path: path.to_owned(),
        message: error.to_string().trim_end().replace('\n', "\n  "),
    }
}

/// What a file's entries are checked against: the runtimes, and the stacks already known (a
/// variant's or a rung's base may be in another file).
pub(super) struct Known<'a> {
    pub(super) runtimes: &'a [&'static Runtime],
    pub(super) stacks: &'a [&'static Stack],
}

/// The entries of one stack file, in its order (stacks, then variants, then rungs), as
/// three lists. `folder` is where a user's build command runs and its paths start.
pub(super) fn parse(
    path: &str,
    text: &str,
    folder: &Path,
    known: &Known<'_>,
) -> Result<[Vec<&'static Stack>; 3], StackFileError> {
    let file: File = toml::from_str(text).map_err(|e| syntax(path, &e))?;
    let mut seen: Vec<&'static Stack> = known.stacks.to_vec();
    let mut out: [Vec<&'static Stack>; 3] = Default::default();
    let kinds = [
        (Kind::Stack, file.stack),
        (Kind::Variant, file.variant),
        (Kind::Rung, file.rung),
    ];
    for (slot, (kind, entries)) in kinds.into_iter().enumerate() {
        for entry in entries {
            let reader = Reader {
                path,
                folder,
                libraries: &file.libraries,
                runtimes: known.runtimes,
                stacks: &seen,
            };
            let stack: &'static Stack = Box::leak(Box::new(reader.stack(kind, entry)?));
            seen.push(stack);
            out[slot].push(stack);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Stack,
    Variant,
    Rung,
}

struct Reader<'a> {
    path: &'a str,
    folder: &'a Path,
    libraries: &'a BTreeMap<String, Vec<Library>>,
    runtimes: &'a [&'static Runtime],
    stacks: &'a [&'static Stack],
}

impl Reader<'_> {
    fn error(&self, stack: &str, key: &'static str, what: impl Into<String>) -> StackFileError {
        StackFileError::Entry {
            path: self.path.to_owned(),
            stack: stack.to_owned(),
            key,
            what: what.into(),
        }
    }

    fn stack(&self, kind: Kind, entry: Entry) -> Result<Stack, StackFileError> {
        let name = entry.name.clone();
        self.check_name(kind, &entry)?;
        let base = self.base(kind, &entry)?;
        let runtime = self.runtime(&entry, base)?;
        let family = entry.family.or(base.map(|b| b.family)).ok_or_else(|| {
            self.error(
                &name,
                "family",
                "missing: write family = \"Rust\", \"Go\", \"JVM\" or \"Other\"",
            )
        })?;
        let workers = entry
            .workers
            .clone()
            .or_else(|| base.map(|b| b.workers.to_owned()))
            .unwrap_or_else(|| "what WORKERS sets in it".to_owned());
        if let Some(spans) = entry.spans.filter(|s| !(*s > 0.0 && *s <= 1.0)) {
            return Err(self.error(
                &name,
                "spans",
                format!("{spans}: expected the share of traces kept, above 0 and at most 1"),
            ));
        }
        if entry.role.is_some() && kind != Kind::Stack {
            return Err(self.error(
                &name,
                "role",
                "only a [[stack]] takes a role; its variants and rungs are compared with it",
            ));
        }
        let jvm_options = match (entry.jvm_options, base) {
            (Some(options), _) => leak_all(options),
            (None, Some(base)) => base.jvm_options,
            (None, None) => &[],
        };
        let build = self.build(&name, entry.build)?;
        let service = self.service(
            &name,
            entry.port_variable,
            entry.bind_variable,
            entry.health,
            entry.env,
            entry.args,
        )?;
        Ok(Stack {
            name: leak(name),
            about: leak(entry.about.unwrap_or_default()),
            workers: leak(workers),
            build,
            jvm_options,
            family,
            role: entry.role,
            runtime,
            base: base.map(|b| b.name),
            rung: entry.rung.map(leak),
            downstream: kind == Kind::Variant,
            scraped: entry.scraped,
            spans: entry.spans,
            service,
        })
    }

    fn check_name(&self, kind: Kind, entry: &Entry) -> Result<(), StackFileError> {
        let name = &entry.name;
        let plain = |text: &str| {
            let mut chars = text.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        let expected = match kind {
            Kind::Stack => plain(name),
            Kind::Variant => name
                .strip_suffix(super::VARIANT_SUFFIX)
                .is_some_and(|base| Some(base) == entry.base.as_deref()),
            Kind::Rung => name
                .split_once(super::RUNG_SEPARATOR)
                .is_some_and(|(base, rung)| {
                    Some(base) == entry.base.as_deref()
                        && Some(rung) == entry.rung.as_deref()
                        && plain(rung)
                }),
        };
        if !expected {
            let rule = match kind {
                Kind::Stack => "lower-case letters, digits and '-', starting with a letter or digit (e.g. \"my-service\")".to_owned(),
                Kind::Variant => format!("the base's name and {:?} (e.g. \"axum+quotes\" with base = \"axum\")", super::VARIANT_SUFFIX),
                Kind::Rung => format!("the base's name, {:?} and the rung (e.g. \"axum@log\" with base = \"axum\", rung = \"log\")", super::RUNG_SEPARATOR),
            };
            return Err(self.error(name, "name", format!("expected {rule}")));
        }
        if self.stacks.iter().any(|s| s.name == name.as_str()) {
            return Err(self.error(
                name,
                "name",
                "a stack of that name is already declared: choose another name",
            ));
        }
        Ok(())
    }

    fn base(&self, kind: Kind, entry: &Entry) -> Result<Option<&'static Stack>, StackFileError> {
        match (kind, &entry.base) {
            (Kind::Stack, None) => Ok(None),
            (Kind::Stack, Some(_)) => Err(self.error(
                &entry.name,
                "base",
                "a [[stack]] has no base: declare it as a [[variant]] or a [[rung]]",
            )),
            (_, None) => Err(self.error(
                &entry.name,
                "base",
                "missing: name the stack it is built on",
            )),
            (_, Some(base)) => self
                .stacks
                .iter()
                .find(|s| s.name == base.as_str() && s.base.is_none())
                .copied()
                .map(Some)
                .ok_or_else(|| {
                    self.error(
                        &entry.name,
                        "base",
                        format!("{base:?} is not a stack declared before it"),
                    )
                }),
        }
    }

    fn runtime(
        &self,
        entry: &Entry,
        base: Option<&'static Stack>,
    ) -> Result<&'static Runtime, StackFileError> {
        match (&entry.runtime, base) {
            (None, Some(base)) => Ok(base.runtime),
            (None, None) => Err(self.error(
                &entry.name,
                "runtime",
                format!("missing: write runtime = one of {}", self.runtime_names()),
            )),
            (Some(name), _) => self
                .runtimes
                .iter()
                .find(|r| r.name == name.as_str())
                .copied()
                .ok_or_else(|| {
                    self.error(
                        &entry.name,
                        "runtime",
                        format!("{name:?}: expected one of {}", self.runtime_names()),
                    )
                }),
        }
    }

    fn runtime_names(&self) -> String {
        self.runtimes
            .iter()
            .map(|r| format!("{:?}", r.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn build(&self, name: &str, build: BuildEntry) -> Result<Build, StackFileError> {
        let given = [
            build.cargo.is_some(),
            build.go.is_some(),
            build.java.is_some(),
            build.command.is_some(),
            build.binary.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(self.error(name, "build", "expected exactly one of build.cargo, build.go, build.java, build.command (with build.output) or build.binary"));
        }
        if build.output.is_some() != build.command.is_some() {
            return Err(self.error(name, "build.output", "build.command and build.output go together: the command, and the executable it leaves (relative to the stack file's folder)"));
        }
        if let Some(cargo) = build.cargo {
            return Ok(Build::Cargo {
                package: leak(cargo.package),
                bin: leak(cargo.bin),
                features: leak_all(cargo.features),
            });
        }
        if let Some(go) = build.go {
            let libs: Vec<GoLib> = go
                .libs
                .into_iter()
                .map(|l| GoLib {
                    import: leak(l.import),
                    package: leak(l.package),
                })
                .collect();
            return Ok(Build::Go {
                dir: leak(go.dir),
                bin: leak(go.bin),
                tags: leak_all(go.tags),
                libs: Box::leak(libs.into_boxed_slice()),
            });
        }
        if let Some(java) = build.java {
            let mut packages = Vec::new();
            let mut jars = Vec::new();
            for library in &java.libraries {
                let found = self.libraries.get(library).ok_or_else(|| {
                    let known: Vec<&str> = self.libraries.keys().map(String::as_str).collect();
                    self.error(
                        name,
                        "build.java.libraries",
                        format!(
                            "{library:?} is not in this file's [libraries] (it has: {})",
                            known.join(", ")
                        ),
                    )
                })?;
                for l in found {
                    packages.push(l.package.clone());
                    jars.push(l.jar.clone());
                }
            }
            return Ok(Build::Java {
                dir: leak(java.dir),
                jar: leak(java.jar),
                packages: leak_all(packages),
                jars: leak_all(jars),
                flags: leak_all(java.flags),
            });
        }
        if let (Some(command), Some(output)) = (build.command, build.output) {
            if command.is_empty() {
                return Err(self.error(
                    name,
                    "build.command",
                    "empty: give the program and its arguments, e.g. [\"make\", \"service\"]",
                ));
            }
            return Ok(Build::Command {
                command: leak_all(command),
                folder: self.leak_path(self.folder.to_owned()),
                output: self.leak_path(self.folder.join(output)),
            });
        }
        let binary = build.binary.unwrap_or_default();
        Ok(Build::Binary {
            path: self.leak_path(self.folder.join(binary)),
        })
    }

    fn leak_path(&self, path: PathBuf) -> &'static Path {
        Box::leak(path.into_boxed_path())
    }

    fn service(
        &self,
        name: &str,
        port: Option<String>,
        bind: Option<String>,
        health: Option<String>,
        env: BTreeMap<String, String>,
        args: Vec<String>,
    ) -> Result<Service, StackFileError> {
        let variable = |key: &'static str, value: &Option<String>| match value {
            Some(v)
                if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                Err(self.error(
                    name,
                    key,
                    format!("{v:?}: expected an environment variable's name, e.g. \"APP_PORT\""),
                ))
            }
            _ => Ok(()),
        };
        variable("port_variable", &port)?;
        variable("bind_variable", &bind)?;
        if let Some(path) = health.as_deref().filter(|h| !h.starts_with('/')) {
            return Err(self.error(
                name,
                "health",
                format!("{path:?}: expected a path starting with '/', e.g. \"/health\""),
            ));
        }
        let env: Vec<(&'static str, &'static str)> =
            env.into_iter().map(|(k, v)| (leak(k), leak(v))).collect();
        Ok(Service {
            port_variable: port.map(leak),
            bind_variable: bind.map(leak),
            health: health.map_or(super::HEALTH_PATH, leak),
            env: Box::leak(env.into_boxed_slice()),
            args: leak_all(args),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<[Vec<&'static Stack>; 3], StackFileError> {
        let (path, runtimes_text) = RUNTIMES;
        let runtimes = runtimes(path, runtimes_text).unwrap();
        let stacks: Vec<&'static Stack> = super::super::stacks();
        let known = Known {
            runtimes: &runtimes,
            stacks: &stacks,
        };
        parse("mine.toml", text, Path::new("/srv/mine"), &known)
    }

    fn error(text: &str) -> String {
        read(text).expect_err("refused").to_string()
    }

    const MINE: &str = r#"
[[stack]]
name = "mine"
family = "Rust"
runtime = "native"
port_variable = "APP_PORT"
health = "/ready"
env = { MODE = "fast" }
build.binary = "bin/mine"
"#;

    #[test]
    fn a_users_stack_is_read_with_its_interface() {
        let [stacks, variants, rungs] = read(MINE).unwrap();
        assert!(variants.is_empty() && rungs.is_empty());
        let mine = stacks[0];
        assert_eq!(
            (mine.name, mine.family, mine.role),
            ("mine", Family::Rust, None)
        );
        assert_eq!(mine.runtime.name, "native");
        assert_eq!(
            mine.build,
            Build::Binary {
                path: Path::new("/srv/mine/bin/mine")
            }
        );
        assert_eq!(mine.service.port_variable, Some("APP_PORT"));
        assert_eq!(mine.service.health, "/ready");
        assert_eq!(mine.service.env, &[("MODE", "fast")][..]);
    }

    #[test]
    fn a_build_command_runs_in_the_files_folder() {
        let text = MINE.replace(
            "build.binary = \"bin/mine\"",
            "build.command = [\"make\", \"mine\"]\nbuild.output = \"out/mine\"",
        );
        let [stacks, ..] = read(&text).unwrap();
        assert_eq!(
            stacks[0].build,
            Build::Command {
                command: &["make", "mine"],
                folder: Path::new("/srv/mine"),
                output: Path::new("/srv/mine/out/mine"),
            }
        );
    }

    #[test]
    fn errors_name_the_file_the_stack_the_key_and_the_fix() {
        let e = error(&MINE.replace("runtime = \"native\"", "runtime = \"wasm\""));
        assert!(
            e.starts_with("mine.toml: stack \"mine\": runtime: \"wasm\": expected one of"),
            "{e}"
        );
        let e = error(&MINE.replace("name = \"mine\"", "name = \"floor\""));
        assert!(
            e.contains("stack \"floor\": name: a stack of that name"),
            "{e}"
        );
        let e = error(&MINE.replace("family = \"Rust\"\n", ""));
        assert!(e.contains("family: missing: write family"), "{e}");
        let e = error(&MINE.replace("family = \"Rust\"", "family = \"Ruby\""));
        assert!(e.starts_with("mine.toml: ") && e.contains("family"), "{e}");
        let e = error(&MINE.replace("health = \"/ready\"", "health = \"ready\""));
        assert!(
            e.contains("health: \"ready\": expected a path starting with '/'"),
            "{e}"
        );
        let e = error(&MINE.replace("APP_PORT", "APP PORT"));
        assert!(e.contains("port_variable: \"APP PORT\""), "{e}");
        let e = error(&MINE.replace("build.binary", "build.output"));
        assert!(e.contains("build: expected exactly one of"), "{e}");
        let e = error(&format!(
            "{MINE}\nbuild.go = {{ dir = \"x\", bin = \"y\" }}\n"
        ));
        assert!(e.starts_with("mine.toml: "), "{e}");
        let e = error(&MINE.replace("name = \"mine\"", "name = \"Mine\""));
        assert!(e.contains("name: expected lower-case letters"), "{e}");
        let e = error(&MINE.replace("health", "healthz"));
        assert!(e.contains("unknown field `healthz`"), "{e}");
    }

    #[test]
    fn variants_and_rungs_take_their_bases_kind() {
        let text = format!(
            "{MINE}\n[[rung]]\nname = \"mine@log\"\nbase = \"mine\"\nrung = \"log\"\nbuild.binary = \"bin/mine-log\"\n"
        );
        let [_, _, rungs] = read(&text).unwrap();
        assert_eq!(
            (rungs[0].base, rungs[0].family),
            (Some("mine"), Family::Rust)
        );
        assert_eq!(rungs[0].runtime.name, "native");
        let e = error(&text.replace("base = \"mine\"", "base = \"nobody\""));
        assert!(e.contains("name: expected the base's name"), "{e}");
        let e = error(&text.replace(
            "name = \"mine@log\"\nbase = \"mine\"",
            "name = \"nobody@log\"\nbase = \"nobody\"",
        ));
        assert!(
            e.contains("base: \"nobody\" is not a stack declared before it"),
            "{e}"
        );
        let e = error(&format!("{text}role = \"floor\"\n"));
        assert!(e.contains("role: only a [[stack]] takes a role"), "{e}");
    }

    #[test]
    fn the_project_files_hold_one_baseline_and_one_floor() {
        let all = super::super::stacks();
        let roles: Vec<(Role, &str)> = all
            .iter()
            .filter_map(|s| s.role.map(|r| (r, s.name)))
            .collect();
        assert_eq!(roles.len(), 2, "{roles:?}");
        assert!(roles.iter().any(|(r, _)| *r == Role::Baseline));
        assert!(roles.iter().any(|(r, _)| *r == Role::Floor));
    }
}
