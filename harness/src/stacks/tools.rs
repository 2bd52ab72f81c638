//! The small facts of the machine building a stack needs: which cargo, where the target
//! folder is, where a program is on `PATH`.

use std::path::{Path, PathBuf};

/// `program` as the shell finds it: itself when it names a folder, else the first match on
/// `PATH`.
pub(super) fn on_path(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 {
        return Some(program.to_owned());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// The cargo that runs us (`$CARGO` under `cargo run`), or the one on `PATH`.
pub(super) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// The project's target folder (`CARGO_TARGET_DIR` honoured).
pub(super) fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}
