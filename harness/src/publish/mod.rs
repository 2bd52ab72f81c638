//! `harness publish`: a static site of runs that opens from `file://` and from any static host
//! (no server, no network). The site's root holds `index.html`, the published runs newest
//! first; each run has a folder of its own holding its raw results as the run wrote them, its
//! page (`index.html`, the report) and every figure as a standalone SVG (`figures/`). Links are
//! relative. Publishing a run again replaces its folder and leaves the others; publishing the
//! same run twice writes the same bytes. [`docs`] rewrites the marked blocks of the project's
//! Markdown from the published runs, so that every figure the docs quote is a run's.

pub mod docs;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::cost::{Price, PriceError};
use crate::render::{Html, Renderer};
use crate::report::{self, ReportError, calibration};

/// The site's index as a run's page sees it.
const SITE_INDEX: &str = "../index.html";
/// The folder of a run's standalone figures, inside its folder.
pub const FIGURES: &str = "figures";
/// A run's page, inside its folder.
pub const PAGE: &str = "index.html";

/// Why a run could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The folder holds neither a summary nor a calibration.
    #[error(
        "{0}: not a run's results folder (no summary.json, no calibrate.json): give results/<run-id>"
    )]
    NotARun(PathBuf),
    /// The run's main file could not be read.
    #[error("{0}")]
    Unreadable(String),
    /// The folder's name is not a run id.
    #[error("{0}: the folder's name is not a run id (letters, digits, '-', '_', '.', '+', '@')")]
    BadName(PathBuf),
    /// The page could not be made.
    #[error("{0}")]
    Report(#[from] ReportError),
    /// A file could not be copied or written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Write {
        path: path.to_owned(),
        source,
    }
}

/// One published run.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// Its id, the name of its folder in the site.
    pub id: String,
    /// Its page.
    pub page: PathBuf,
    /// Raw files copied.
    pub files: usize,
    /// Bytes of them.
    pub bytes: u64,
    /// Standalone figures written.
    pub figures: usize,
    /// Files of the run that could not be read (named from the site), shown on its page.
    pub unread: Vec<String>,
}

/// What a publication did: the runs, the site's index, and what the index could not read.
#[derive(Debug)]
pub struct Site {
    /// The runs published this time.
    pub runs: Vec<Published>,
    /// The site's index page.
    pub index: PathBuf,
    /// Runs in the site that could not be read (file and why): not listed.
    pub unread: Vec<String>,
}

/// Publishes each of `runs` (results folders) into `site` and rewrites the site's index.
pub fn publish(
    runs: &[PathBuf],
    site: &Path,
    prices: Result<&[Price], &PriceError>,
) -> Result<Site, PublishError> {
    fs::create_dir_all(site).map_err(write_error(site))?;
    let mut published = Vec::new();
    for run in runs {
        published.push(publish_one(run, site, prices)?);
    }
    let (index, unread) = report::index::write_site_index(site)?;
    Ok(Site {
        runs: published,
        index,
        unread,
    })
}

/// What kind of run a folder holds.
enum Kind {
    Scenario(String),
    Calibration(String),
}

fn kind(run: &Path) -> Result<Kind, PublishError> {
    if run.join("summary.json").is_file() {
        let summary = crate::results::load_summary(run)
            .map_err(|e| PublishError::Unreadable(e.to_string()))?;
        Ok(Kind::Scenario(summary.run_id))
    } else if run.join(calibration::FILE).is_file() {
        calibration::load(run).map_err(PublishError::Unreadable)?;
        let name = run
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        if crate::lock::plain_name(&name) {
            Ok(Kind::Calibration(name))
        } else {
            Err(PublishError::BadName(run.to_owned()))
        }
    } else {
        Err(PublishError::NotARun(run.to_owned()))
    }
}

fn publish_one(
    run: &Path,
    site: &Path,
    prices: Result<&[Price], &PriceError>,
) -> Result<Published, PublishError> {
    let kind = kind(run)?;
    let id = match &kind {
        Kind::Scenario(id) | Kind::Calibration(id) => id.clone(),
    };
    // Everything is made in a folder of its own and moved into place at the end: a failed
    // publication leaves the run's earlier folder as it was.
    let staging = site.join(format!(".publishing-{id}"));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(write_error(&staging))?;
    }
    let (files, bytes) = copy_raw(run, &staging)?;
    // A file is named from the site's root on the page, never by a path of this machine.
    let hide = |lines: Vec<String>| -> Vec<String> {
        let prefix = format!("{}/", staging.display());
        lines
            .into_iter()
            .map(|l| l.replace(&prefix, &format!("{id}/")))
            .collect()
    };
    let (html, figures, unread) = match kind {
        Kind::Scenario(_) => {
            let (_, mut page) = report::build(&staging, "", prices)?;
            page.site_index = Some(SITE_INDEX.to_owned());
            page.unread = hide(std::mem::take(&mut page.unread));
            let figures = write_figures(&staging, page.figures_mut())?;
            (Html.render(&page)?, figures, page.unread)
        }
        Kind::Calibration(_) => {
            let c = calibration::load(&staging).map_err(PublishError::Unreadable)?;
            let mut page = calibration::page(&staging, &id, &c);
            page.site_index = Some(SITE_INDEX.to_owned());
            page.unread = hide(std::mem::take(&mut page.unread));
            (calibration::html(&page)?, 0, page.unread)
        }
    };
    let page = staging.join(PAGE);
    fs::write(&page, html).map_err(write_error(&page))?;
    let target = site.join(&id);
    if target.exists() {
        let old = site.join(format!(".replaced-{id}"));
        if old.exists() {
            fs::remove_dir_all(&old).map_err(write_error(&old))?;
        }
        fs::rename(&target, &old).map_err(write_error(&target))?;
        fs::rename(&staging, &target).map_err(write_error(&target))?;
        fs::remove_dir_all(&old).map_err(write_error(&old))?;
    } else {
        fs::rename(&staging, &target).map_err(write_error(&target))?;
    }
    Ok(Published {
        page: target.join(PAGE),
        id,
        files,
        bytes,
        figures,
        unread,
    })
}

/// Copies the run's files into `to` (made), but for what an earlier publication wrote there
/// (its page and figures); returns the files and bytes copied.
fn copy_raw(from: &Path, to: &Path) -> Result<(usize, u64), PublishError> {
    fn walk(from: &Path, to: &Path, top: bool, n: &mut (usize, u64)) -> Result<(), PublishError> {
        fs::create_dir_all(to).map_err(write_error(to))?;
        let mut entries: Vec<PathBuf> = fs::read_dir(from)
            .map_err(|e| PublishError::Unreadable(format!("{}: {e}", from.display())))?
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap_or_default();
            if top && (name == PAGE || name == FIGURES) {
                continue;
            }
            let target = to.join(name);
            if path.is_dir() {
                walk(&path, &target, false, n)?;
            } else {
                n.0 += 1;
                n.1 += fs::copy(&path, &target).map_err(write_error(&target))?;
            }
        }
        Ok(())
    }
    let mut n = (0, 0);
    walk(from, to, true, &mut n)?;
    Ok(n)
}

/// Writes every drawn figure's plots as standalone SVG files under `dir/figures/` and links
/// them from the figure; returns how many files were written.
fn write_figures<'a>(
    dir: &Path,
    figures: impl Iterator<Item = &'a mut report::Figure>,
) -> Result<usize, PublishError> {
    let folder = dir.join(FIGURES);
    let mut taken: BTreeMap<String, usize> = BTreeMap::new();
    let mut written = 0;
    for figure in figures {
        let Some(svg) = &figure.svg else { continue };
        let plots = svg_elements(svg);
        if plots.is_empty() {
            continue;
        }
        fs::create_dir_all(&folder).map_err(write_error(&folder))?;
        // Sections may draw figures of the same kind (the landscape's per variant).
        let seen = taken.entry(figure.id.to_owned()).or_insert(0);
        *seen += 1;
        let base = if *seen == 1 {
            figure.id.to_owned()
        } else {
            format!("{}-{seen}", figure.id)
        };
        let many = plots.len() > 1;
        let mut files = Vec::new();
        for (i, plot) in plots.iter().enumerate() {
            let name = if many {
                format!("{base}-{}.svg", i + 1)
            } else {
                format!("{base}.svg")
            };
            let path = folder.join(&name);
            let text = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{plot}\n");
            fs::write(&path, text).map_err(write_error(&path))?;
            files.push(format!("{FIGURES}/{name}"));
            written += 1;
        }
        figure.files = files;
    }
    Ok(written)
}

/// The `<svg …>…</svg>` elements of a figure's markup, in order (plots never nest).
fn svg_elements(markup: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = markup;
    while let Some(start) = rest.find("<svg") {
        let Some(len) = rest[start..].find("</svg>") else {
            break;
        };
        let end = start + len + "</svg>".len();
        found.push(&rest[start..end]);
        rest = &rest[end..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_with_several_plots_gives_each_its_own_svg() {
        let markup = r#"<div><svg xmlns="http://www.w3.org/2000/svg"><g/></svg></div><p>x</p><div><svg xmlns="http://www.w3.org/2000/svg"><text>b</text></svg></div>"#;
        let plots = svg_elements(markup);
        assert_eq!(plots.len(), 2);
        assert!(plots[1].contains("<text>b</text>") && plots[1].ends_with("</svg>"));
        assert!(svg_elements("<p>no plot</p>").is_empty());
    }

    #[test]
    fn a_folder_that_is_not_a_run_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        let e = publish(
            &[dir.path().to_owned()],
            &site,
            Err(&PriceError::Read {
                path: PathBuf::from("prices.csv"),
                source: std::io::Error::other("none"),
            }),
        )
        .unwrap_err();
        assert!(matches!(e, PublishError::NotARun(_)), "{e}");
        assert!(e.to_string().contains(&dir.path().display().to_string()));
    }
}
