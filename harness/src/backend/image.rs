//! Minimal images: one `FROM scratch` image per stack, built through the Docker API from a
//! build context assembled in memory (nothing is pulled, no registry is needed).
//!
//! The Rust stacks and Go copy their static binary (`docker/static.Dockerfile`); the JVM stacks
//! carry a runtime made with `jlink` holding only the modules `jdeps` finds in their jars, the
//! shared libraries that runtime links (as `ldd` resolves them), and their jars
//! (`docker/jvm.Dockerfile`).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::StreamExt;

use super::daemon::{Daemon, DaemonError, LABEL_KEEP, api_message, labels};
use crate::stacks::{Build, ImageRecipe, Launch, Stack};

/// The Dockerfile of a stack that is one static binary.
pub const STATIC_DOCKERFILE: &str = include_str!("../../../docker/static.Dockerfile");
/// The Dockerfile of a JVM stack.
pub const JVM_DOCKERFILE: &str = include_str!("../../../docker/jvm.Dockerfile");

/// The Dockerfile of the harness's own image (`docker/harness.Dockerfile`), before its `CMD`.
pub const HARNESS_DOCKERFILE: &str = include_str!("../../../docker/harness.Dockerfile");
/// The port a service listens on inside its container.
pub const CONTAINER_PORT: u16 = 8080;
/// Modules every JVM image gets besides those `jdeps` finds: `jdk.unsupported` (sun.misc.Unsafe,
/// reached by reflection from Spring and Jackson, which `jdeps` cannot see).
const EXTRA_MODULES: &[&str] = &["jdk.unsupported"];

/// An image built for a stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    /// Its tag, `footprint/<stack>:<version>` (or under a registry).
    pub tag: String,
    /// Its id.
    pub id: String,
    /// Its size as the daemon reports it, bytes.
    pub bytes: u64,
    /// Wall time from the start of the context's assembly to the built image, milliseconds.
    pub build_ms: f64,
    /// JVM modules in its runtime (empty for static stacks).
    pub modules: Vec<String>,
}

/// Why an image could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// A tool (`jdeps`, `jlink`, `ldd`) failed or is missing.
    #[error("{tool}: {why}")]
    Tool {
        /// The tool.
        tool: String,
        /// What went wrong.
        why: String,
    },
    /// A file of the context could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The daemon refused the build.
    #[error("docker build of {tag}: {why}")]
    Build {
        /// The tag.
        tag: String,
        /// The daemon's message.
        why: String,
    },
    /// Another API call failed.
    #[error(transparent)]
    Daemon(#[from] DaemonError),
}

/// The tag of `stack`'s image: `footprint/<stack>:<version>`, under `registry` when given.
pub fn tag(stack: &str, registry: Option<&str>) -> String {
    let version = env!("CARGO_PKG_VERSION");
    // A repository name takes no `+`: a landscape variant's image is `footprint/axum-quotes`.
    let stack = stack.replace(['+', '@'], "-");
    match registry {
        Some(registry) => format!("{registry}/footprint/{stack}:{version}"),
        None => format!("footprint/{stack}:{version}"),
    }
}

/// A build context in memory: a tar archive with a Dockerfile.
pub struct Context {
    tar: tar::Builder<Vec<u8>>,
    dirs: BTreeSet<String>,
    /// JVM modules of the runtime inside, if any.
    pub modules: Vec<String>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("modules", &self.modules)
            .finish_non_exhaustive()
    }
}

impl Context {
    fn new(dockerfile: &str) -> Self {
        let mut context = Self {
            tar: tar::Builder::new(Vec::new()),
            dirs: BTreeSet::new(),
            modules: Vec::new(),
        };
        context.file("Dockerfile", dockerfile.as_bytes(), 0o644);
        context
    }

    /// Adds a file at `path` (relative, `/`-separated), its parent folders first.
    fn file(&mut self, path: &str, data: &[u8], mode: u32) {
        if let Some((parent, _)) = path.rsplit_once('/') {
            self.dir(parent, 0o755);
        }
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        // Paths here are short and made by us; an error would be a bug.
        self.tar
            .append_data(&mut header, path, data)
            .expect("appending to an in-memory archive");
    }

    /// Adds a folder and its parents.
    fn dir(&mut self, path: &str, mode: u32) {
        let mut at = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            if !at.is_empty() {
                at.push('/');
            }
            at.push_str(part);
            if self.dirs.insert(at.clone()) {
                let mut header = tar::Header::new_gnu();
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
                header.set_mode(if at == path { mode } else { 0o755 });
                header.set_mtime(0);
                self.tar
                    .append_data(&mut header, format!("{at}/"), std::io::empty())
                    .expect("appending to an in-memory archive");
            }
        }
    }

    /// Adds a file read from disk (symbolic links followed), keeping whether it is executable.
    fn copy(&mut self, path: &str, from: &Path) -> Result<(), ImageError> {
        let read = |source| ImageError::Read {
            path: from.to_path_buf(),
            source,
        };
        let data = std::fs::read(from).map_err(read)?;
        let executable = {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(from).map_err(read)?.permissions().mode() & 0o111 != 0
        };
        self.file(path, &data, if executable { 0o755 } else { 0o644 });
        Ok(())
    }

    /// The archive's bytes.
    pub fn finish(self) -> Vec<u8> {
        self.tar
            .into_inner()
            .expect("finishing an in-memory archive")
    }

    /// The paths in the archive, in order (for tests and the record).
    pub fn list(bytes: &[u8]) -> Vec<String> {
        let mut archive = tar::Archive::new(bytes);
        archive
            .entries()
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| e.path().ok().map(|p| p.display().to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The build context of `stack` from what `stacks::prepare` built. `scratch` is a folder for
/// the JVM runtime made by `jlink` (reused between stacks asking for the same modules).
pub fn context(stack: &Stack, launch: &Launch, scratch: &Path) -> Result<Context, ImageError> {
    match (stack.build, stack.runtime.image) {
        (Build::Harness { .. }, _) => {
            // The subcommand as the image's CMD: JSON strings, as the entrypoint's.
            let cmd = serde_json::to_string(&launch.args).unwrap_or_else(|_| "[]".into());
            let mut context = Context::new(&format!("{HARNESS_DOCKERFILE}CMD {cmd}\n"));
            context.copy("harness", &launch.program)?;
            Ok(context)
        }
        (_, ImageRecipe::Static) => {
            let mut context = Context::new(STATIC_DOCKERFILE);
            context.copy("service", &launch.program)?;
            Ok(context)
        }
        (_, ImageRecipe::Jvm) => jvm_context(stack, launch, scratch),
    }
}

fn jvm_context(stack: &Stack, launch: &Launch, scratch: &Path) -> Result<Context, ImageError> {
    let (classpath, main_class) = java_command(launch).ok_or_else(|| ImageError::Tool {
        tool: "java".into(),
        why: format!("no -cp and main class in {:?}", launch.args),
    })?;
    let jars: Vec<PathBuf> = classpath.split(':').map(PathBuf::from).collect();
    let modules = module_deps(&jars)?;
    let runtime = jlink(&modules, scratch)?;

    let mut context = Context::new(JVM_DOCKERFILE);
    context.modules = modules;
    // The runtime.
    for file in walk(&runtime)? {
        let relative = file.strip_prefix(&runtime).unwrap_or(&file);
        context.copy(&format!("rootfs/jre/{}", relative.display()), &file)?;
    }
    // The libraries it links, where the loader looks for them.
    for library in shared_libraries(&runtime)? {
        let inside = library.to_string_lossy().trim_start_matches('/').to_owned();
        context.copy(&format!("rootfs/{inside}"), &library)?;
    }
    // The jars, each under its own name (Debian's are links to versioned files).
    let mut names = Vec::new();
    for jar in &jars {
        let name = jar
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        context.copy(&format!("rootfs/app/{name}"), jar)?;
        names.push(format!("/app/{name}"));
    }
    let mut args: Vec<String> = stack.jvm_options.iter().map(|o| (*o).to_owned()).collect();
    args.extend(["-cp".to_owned(), names.join(":"), main_class]);
    let mut argfile = args.join("\n");
    argfile.push('\n');
    context.file("rootfs/app/jvm.args", argfile.as_bytes(), 0o644);
    context.dir("rootfs/tmp", 0o1777);
    Ok(context)
}

/// The class path and main class of a JVM launch (`... -cp CP MAIN`).
fn java_command(launch: &Launch) -> Option<(String, String)> {
    let at = launch.args.iter().position(|a| a == "-cp")?;
    Some((
        launch.args.get(at + 1)?.clone(),
        launch.args.get(at + 2)?.clone(),
    ))
}

/// The JDK modules the application (the first jar) uses, with everything it reaches through the
/// others, by `jdeps` (the other jars read as a class path, so their module descriptors do not
/// have to resolve), plus [`EXTRA_MODULES`].
fn module_deps(jars: &[PathBuf]) -> Result<Vec<String>, ImageError> {
    let (app, rest) = jars.split_first().ok_or_else(|| ImageError::Tool {
        tool: "jdeps".into(),
        why: "no jar to read".into(),
    })?;
    let mut command = Command::new("jdeps");
    command.args([
        "--print-module-deps",
        "--ignore-missing-deps",
        "--multi-release",
        "17",
    ]);
    if !rest.is_empty() {
        let joined = rest
            .iter()
            .map(|j| j.display().to_string())
            .collect::<Vec<_>>()
            .join(":");
        command.arg("--class-path").arg(joined);
    }
    command.arg(app);
    let text = tool_output(command, "jdeps")?;
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with("java.") || l.starts_with("jdk."))
        .ok_or_else(|| ImageError::Tool {
            tool: "jdeps".into(),
            why: format!("no module list in its output: {text}"),
        })?;
    let mut modules: BTreeSet<String> = line.trim().split(',').map(str::to_owned).collect();
    modules.extend(EXTRA_MODULES.iter().map(|m| (*m).to_owned()));
    Ok(modules.into_iter().collect())
}

/// A runtime with `modules` made by `jlink` under `scratch` (made once per module set).
fn jlink(modules: &[String], scratch: &Path) -> Result<PathBuf, ImageError> {
    let options = [
        "--strip-debug",
        "--no-header-files",
        "--no-man-pages",
        "--compress=2",
        // The class data sharing archive the JDK itself ships: without it every start would
        // parse and verify the core classes anew, which the local backend's JVM does not.
        "--generate-cds-archive",
    ];
    let recipe = format!("{} {}", modules.join(","), options.join(" "));
    let out = scratch.join(format!("jre-{}", short_hash(&recipe)));
    if out.join("bin/java").is_file() {
        return Ok(out);
    }
    std::fs::create_dir_all(scratch).map_err(|source| ImageError::Read {
        path: scratch.to_path_buf(),
        source,
    })?;
    // Made under a name of its own, then renamed: a run beside this one never sees half a
    // runtime, and the loser of a race keeps the winner's.
    let partial = scratch.join(format!(
        "jre-{}.partial-{}",
        short_hash(&recipe),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&partial);
    let mut command = Command::new("jlink");
    command
        .arg("--add-modules")
        .arg(modules.join(","))
        .args(options)
        .arg("--output")
        .arg(&partial);
    tool_output(command, "jlink")?;
    if std::fs::rename(&partial, &out).is_err() {
        let _ = std::fs::remove_dir_all(&partial);
    }
    if out.join("bin/java").is_file() {
        Ok(out)
    } else {
        Err(ImageError::Tool {
            tool: "jlink".into(),
            why: format!("no runtime at {}", out.display()),
        })
    }
}

/// Every shared library the runtime's executables and libraries link outside the runtime, and
/// the dynamic loader, as `ldd` resolves them on this machine.
fn shared_libraries(runtime: &Path) -> Result<BTreeSet<PathBuf>, ImageError> {
    let objects: Vec<PathBuf> = walk(runtime)?
        .into_iter()
        .filter(|f| {
            f.extension().is_some_and(|e| e == "so")
                || f.parent().is_some_and(|p| p.ends_with("bin"))
        })
        .collect();
    // Libraries of the runtime itself (libjvm.so in lib/server) are found at run time through
    // the launcher's own paths, which ldd does not know.
    let own: BTreeSet<String> = objects
        .iter()
        .filter_map(|o| o.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let mut found = BTreeSet::new();
    for object in &objects {
        let mut command = Command::new("ldd");
        command.arg(object);
        let text = tool_output(command, "ldd")?;
        for line in text.lines() {
            match parse_ldd_line(line) {
                LddLine::Library(path) if !path.starts_with(runtime) => {
                    found.insert(path);
                }
                LddLine::Missing(name) if !own.contains(&name) => {
                    return Err(ImageError::Tool {
                        tool: "ldd".into(),
                        why: format!("{} needs {name}, which is not installed", object.display()),
                    });
                }
                _ => {}
            }
        }
    }
    Ok(found)
}

/// One line of `ldd`'s output.
#[derive(Debug, PartialEq, Eq)]
enum LddLine {
    /// A library (or the loader) at this path.
    Library(PathBuf),
    /// A library `ldd` could not find.
    Missing(String),
    /// The vDSO, a statically linked note, or anything else.
    Other,
}

fn parse_ldd_line(line: &str) -> LddLine {
    let line = line.trim();
    if let Some((name, rest)) = line.split_once("=>") {
        let rest = rest.trim();
        if rest.starts_with("not found") {
            return LddLine::Missing(name.trim().to_owned());
        }
        return match rest.split_whitespace().next() {
            Some(path) if path.starts_with('/') => LddLine::Library(PathBuf::from(path)),
            _ => LddLine::Other,
        };
    }
    match line.split_whitespace().next() {
        Some(path) if path.starts_with('/') => LddLine::Library(PathBuf::from(path)),
        _ => LddLine::Other,
    }
}

/// Every file under `dir`, sorted.
fn walk(dir: &Path) -> Result<Vec<PathBuf>, ImageError> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        let entries = std::fs::read_dir(&at).map_err(|source| ImageError::Read {
            path: at.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn tool_output(mut command: Command, tool: &str) -> Result<String, ImageError> {
    let output = command.output().map_err(|e| ImageError::Tool {
        tool: tool.into(),
        why: format!("cannot run it ({e}); it comes with openjdk-17-jdk-headless or libc-bin"),
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(ImageError::Tool {
            tool: tool.into(),
            why: format!(
                "{} {}{}",
                output.status,
                stdout.trim(),
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        })
    }
}

fn short_hash(text: &str) -> String {
    // FNV-1a: a stable name for a folder, not a security measure.
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// Builds `stack`'s image through the daemon and tags it; labelled with `run_id` (and kept
/// after the run when `keep`). Progress lines of the build go to `say`.
pub fn build(
    daemon: &Daemon,
    stack: &Stack,
    launch: &Launch,
    scratch: &Path,
    tag: &str,
    run_id: &str,
    keep: bool,
) -> Result<Built, ImageError> {
    let started = Instant::now();
    let context = context(stack, launch, scratch)?;
    let modules = context.modules.clone();
    let bytes = context.finish();
    let mut labels: HashMap<String, String> = labels(run_id, stack.name);
    if keep {
        labels.insert(LABEL_KEEP.to_owned(), "true".to_owned());
    }
    let options = bollard::query_parameters::BuildImageOptionsBuilder::default()
        .dockerfile("Dockerfile")
        .t(tag)
        .rm(true)
        .forcerm(true)
        .pull("false")
        .labels(&labels)
        .build();
    let failure = |why: String| ImageError::Build {
        tag: tag.to_owned(),
        why,
    };
    // The id comes from the build's own answer, never from the tag: a run beside this one may
    // tag its own build between the two calls.
    let id = daemon.block_on(async {
        let mut id = None;
        let mut stream =
            daemon
                .docker
                .build_image(options, None, Some(bollard::body_full(bytes.into())));
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| failure(api_message(&e)))?;
            if let Some(error) = info.error_detail.and_then(|d| d.message) {
                return Err(failure(error));
            }
            if let Some(image) = info.aux {
                id = image.id.or(id);
            }
        }
        id.ok_or_else(|| failure("the daemon did not say which image it built".into()))
    })?;
    let inspect = daemon
        .block_on(daemon.docker.inspect_image(&id))
        .map_err(DaemonError::from)?;
    Ok(Built {
        tag: tag.to_owned(),
        id: inspect.id.unwrap_or(id),
        bytes: inspect
            .size
            .and_then(|s| u64::try_from(s).ok())
            .unwrap_or(0),
        build_ms: started.elapsed().as_secs_f64() * 1000.0,
        modules,
    })
}

/// Pushes `tag` to its registry (the part before the first `/`).
pub fn push(daemon: &Daemon, tag: &str) -> Result<(), ImageError> {
    let (name, version) = tag.rsplit_once(':').unwrap_or((tag, "latest"));
    let options = bollard::query_parameters::PushImageOptionsBuilder::default()
        .tag(version)
        .build();
    let failure = |why: String| ImageError::Build {
        tag: tag.to_owned(),
        why: format!("push: {why}"),
    };
    daemon.block_on(async {
        let mut stream = daemon.docker.push_image(name, Some(options), None);
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| failure(api_message(&e)))?;
            if let Some(error) = info.error_detail.and_then(|d| d.message) {
                return Err(failure(error));
            }
        }
        Ok(())
    })
}

/// The images of one run: built on demand, pushed to a registry when one is given, removed at
/// the end unless kept.
#[derive(Debug)]
pub struct Images {
    daemon: Arc<Daemon>,
    run_id: String,
    registry: Option<String>,
    keep: bool,
    scratch: PathBuf,
    /// Tag and id of every image built.
    built: Mutex<Vec<(String, String)>>,
}

impl Images {
    /// Images for run `run_id`; `scratch` holds the JVM runtimes made by `jlink`.
    pub fn new(
        daemon: Arc<Daemon>,
        run_id: &str,
        registry: Option<String>,
        keep: bool,
        scratch: PathBuf,
    ) -> Self {
        Self {
            daemon,
            run_id: run_id.to_owned(),
            registry,
            keep,
            scratch,
            built: Mutex::default(),
        }
    }

    /// Builds (and pushes, with a registry) the image of `stack`.
    pub fn make(&self, stack: &Stack, launch: &Launch) -> Result<Built, ImageError> {
        let tag = tag(stack.name, self.registry.as_deref());
        let built = build(
            &self.daemon,
            stack,
            launch,
            &self.scratch,
            &tag,
            &self.run_id,
            self.keep,
        )?;
        self.built
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((tag.clone(), built.id.clone()));
        if self.registry.is_some() {
            push(&self.daemon, &tag)?;
        }
        Ok(built)
    }

    /// The id of the image this run built under `tag`: another run may since have moved the
    /// tag to its own build, never the id.
    pub fn id_of(&self, tag: &str) -> Option<String> {
        self.built
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(t, _)| t == tag)
            .map(|(_, id)| id.clone())
    }

    /// Removes the run's images (by id: the tag may be another run's by now) unless they are
    /// kept; one line per image.
    pub fn remove(&self) -> crate::backend::Closed {
        let built = std::mem::take(&mut *self.built.lock().unwrap_or_else(|e| e.into_inner()));
        let mut closed = crate::backend::Closed::default();
        if self.keep {
            closed.done = built
                .iter()
                .map(|(t, _)| format!("kept image {t}"))
                .collect();
            return closed;
        }
        let options = bollard::query_parameters::RemoveImageOptionsBuilder::default()
            .force(true)
            .build();
        for (tag, id) in &built {
            match self.daemon.block_on(self.daemon.docker.remove_image(
                id,
                Some(options.clone()),
                None,
            )) {
                Ok(_) => closed.done.push(format!("removed image {tag}")),
                Err(e) => closed.left.push(format!(
                    "image {tag} ({id}) not removed: {}",
                    api_message(&e)
                )),
            }
        }
        closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldd_lines() {
        assert_eq!(
            parse_ldd_line("\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007f)"),
            LddLine::Library("/lib/x86_64-linux-gnu/libz.so.1".into())
        );
        assert_eq!(
            parse_ldd_line("\t/lib64/ld-linux-x86-64.so.2 (0x00007f)"),
            LddLine::Library("/lib64/ld-linux-x86-64.so.2".into())
        );
        assert_eq!(
            parse_ldd_line("\tlinux-vdso.so.1 (0x00007ffd)"),
            LddLine::Other
        );
        assert_eq!(
            parse_ldd_line("\tlibjvm.so => not found"),
            LddLine::Missing("libjvm.so".into())
        );
        assert_eq!(parse_ldd_line("\tstatically linked"), LddLine::Other);
    }

    #[test]
    fn static_context_holds_the_dockerfile_and_the_binary() {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("footprint-floor");
        std::fs::write(&program, b"\x7fELF not really").unwrap();
        let launch = Launch {
            program: program.clone(),
            args: Vec::new(),
            env: Vec::new(),
            artifacts: vec![program],
        };
        let stack = crate::stacks::find("floor").unwrap();
        let bytes = context(stack, &launch, dir.path()).unwrap().finish();
        assert_eq!(Context::list(&bytes), ["Dockerfile", "service"]);
        let mut archive = tar::Archive::new(bytes.as_slice());
        let modes: Vec<u32> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().header().mode().unwrap())
            .collect();
        assert_eq!(modes, [0o644, 0o644], "a non-executable file stays so");
        assert!(STATIC_DOCKERFILE.contains("FROM scratch"));
        assert!(STATIC_DOCKERFILE.contains("USER 65532"));
        assert!(JVM_DOCKERFILE.contains("FROM scratch"));
        assert!(JVM_DOCKERFILE.contains("USER 65532"));
        assert!(HARNESS_DOCKERFILE.contains("FROM scratch"));
        assert!(HARNESS_DOCKERFILE.ends_with("ENTRYPOINT [\"/harness\"]\n"));
    }

    #[test]
    fn stack_file_deploys_every_stack_by_its_tag() {
        let file = include_str!("../../../docker/stack.yml");
        for stack in crate::stacks::stacks() {
            assert!(
                file.contains(&format!("  {}:\n", stack.name))
                    && file.contains(&format!("image: {}\n", tag(stack.name, None))),
                "docker/stack.yml lacks {} as {}",
                stack.name,
                tag(stack.name, None)
            );
        }
    }

    #[test]
    fn tags() {
        assert_eq!(
            tag("axum", None),
            format!("footprint/axum:{}", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(
            tag("axum+quotes", None),
            format!("footprint/axum-quotes:{}", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(
            tag("axum", Some("127.0.0.1:5000")),
            format!(
                "127.0.0.1:5000/footprint/axum:{}",
                env!("CARGO_PKG_VERSION")
            )
        );
    }
}
