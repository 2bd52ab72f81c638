//! `harness publish` and `harness report`: runs' pages written from their results folders.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::load_prices;
use crate::cancel::Exit;
use crate::{publish, report};

/// `harness report`: the HTML report of a results folder, and the index of the runs beside it.
pub(crate) fn report(args: ReportArgs, root: &Path) -> ExitCode {
    let out = args.out.unwrap_or_else(|| {
        args.results
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_owned)
    });
    let prices = load_prices(root);
    match report::write(&args.results, &out, prices.as_deref()) {
        Ok(path) => {
            println!("report: {}", path.display());
            Exit::Ok.into()
        }
        Err(e) => {
            eprintln!("error: {e}");
            Exit::Failed.into()
        }
    }
}

/// `harness publish`: the runs into the site, then the project's blocks when the site is the
/// project's own.
pub(crate) fn publish(args: &PublishArgs, root: &Path) -> ExitCode {
    let site = args.to.clone().unwrap_or_else(|| root.join("reports"));
    let prices = load_prices(root);
    let published = match publish::publish(&args.runs, &site, prices.as_deref()) {
        Ok(published) => published,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Failed.into();
        }
    };
    for run in &published.runs {
        println!(
            "published {}: {} raw files ({:.1} MiB), {} figures as SVG: {}",
            run.id,
            run.files,
            run.bytes as f64 / (1024.0 * 1024.0),
            run.figures,
            run.page.display()
        );
        for line in &run.unread {
            eprintln!("warning: {}: cannot be read, not shown: {line}", run.id);
        }
    }
    for line in &published.unread {
        eprintln!("warning: not listed in the site's index, as it cannot be read: {line}");
    }
    println!("site: {}", published.index.display());
    if args.to.is_none() {
        match publish::docs::refresh_files(&publish::docs::documents(root), &site) {
            Ok(changed) => {
                for file in changed {
                    println!("docs: wrote the blocks of {} anew", file.display());
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                return Exit::Failed.into();
            }
        }
    }
    Exit::Ok.into()
}

/// The arguments of `harness report`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReportArgs {
    /// A results folder (results/<run-id>).
    pub(crate) results: PathBuf,
    /// Folder for the report and the index (default: the results folder's own folder).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
}

/// The arguments of `harness publish`.
#[derive(Debug, clap::Args)]
pub(crate) struct PublishArgs {
    /// Results folders to publish (results/reference/<run-id>, or any run's folder).
    #[arg(required = true, value_name = "RUN")]
    pub(crate) runs: Vec<PathBuf>,
    /// The site's folder (default: reports/ in the project, whose blocks in README.md and
    /// docs/*.md are then written anew from the published runs).
    #[arg(long, value_name = "DIR")]
    pub(crate) to: Option<PathBuf>,
}
