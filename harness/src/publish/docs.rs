//! Figures in the project's Markdown come from published runs: a block between
//! `<!-- footprint:begin KIND RUN-ID -->` and `<!-- footprint:end -->` is written by
//! `harness publish` from the run's files in the site, and a test writes every block again and
//! finds it unchanged. Kinds: `headline` (the claim's verdict and the scorecard), `tables` (the
//! tables the terminal showed at the end of the run), `calibration` (what `harness calibrate`
//! showed).

use std::fs;
use std::path::{Path, PathBuf};

use crate::backend::traits_of;
use crate::report::{calibration, scorecard};

const BEGIN: &str = "<!-- footprint:begin ";
const END: &str = "<!-- footprint:end -->";
/// The kinds of block.
pub const KINDS: [&str; 3] = ["headline", "tables", "calibration"];

/// Why a document's blocks could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {why}")]
pub struct BlockError {
    /// The document.
    pub file: String,
    /// The line of the block's beginning.
    pub line: usize,
    /// What is wrong, and what to do.
    pub why: String,
}

/// A block: its kind and run, where it begins, and its body.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// `headline`, `tables` or `calibration`.
    pub kind: String,
    /// The run it is written from.
    pub run: String,
    /// Line of its beginning marker, from 1.
    pub line: usize,
}

/// The blocks of `text` (named `file` in errors), in order.
pub fn blocks(text: &str, file: &str) -> Result<Vec<Block>, BlockError> {
    let mut found = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        let error = |why: String| BlockError {
            file: file.to_owned(),
            line: i + 1,
            why,
        };
        if let Some(rest) = line.trim().strip_prefix(BEGIN) {
            if let Some(b) = &open {
                return Err(error(format!(
                    "a block begins inside the block begun on line {}: end that one first with `{END}`",
                    b.line
                )));
            }
            let words: Vec<&str> = rest.trim_end_matches("-->").split_whitespace().collect();
            let [kind, run] = words[..] else {
                return Err(error(format!(
                    "a block's beginning is `{BEGIN}KIND RUN-ID -->`, KIND one of {}",
                    KINDS.join(", ")
                )));
            };
            if !KINDS.contains(&kind) {
                return Err(error(format!(
                    "unknown block kind `{kind}`: one of {}",
                    KINDS.join(", ")
                )));
            }
            open = Some(Block {
                kind: kind.to_owned(),
                run: run.to_owned(),
                line: i + 1,
            });
        } else if line.trim() == END {
            match open.take() {
                Some(b) => found.push(b),
                None => return Err(error(format!("`{END}` without a beginning"))),
            }
        }
    }
    match open {
        Some(b) => Err(BlockError {
            file: file.to_owned(),
            line: b.line,
            why: format!("the block has no end: add `{END}` after it"),
        }),
        None => Ok(found),
    }
}

/// `text` with every block written anew from the runs in `site`, linked as `site_link` (the
/// site as seen from the document's folder). `file` names the document in errors.
pub fn refresh(text: &str, file: &str, site: &Path, site_link: &str) -> Result<String, BlockError> {
    let blocks = blocks(text, file)?;
    let mut out = String::with_capacity(text.len());
    let mut lines = text.lines().enumerate();
    let mut next = blocks.iter().peekable();
    while let Some((i, line)) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let Some(block) = next.next_if(|b| b.line == i + 1) else {
            continue;
        };
        let body = write(block, site, site_link).map_err(|why| BlockError {
            file: file.to_owned(),
            line: block.line,
            why,
        })?;
        out.push_str(&body);
        // Skip the old body, keep the end marker.
        for (_, old) in lines.by_ref() {
            if old.trim() == END {
                out.push_str(old);
                out.push('\n');
                break;
            }
        }
    }
    if !text.ends_with('\n') {
        out.pop();
    }
    Ok(out)
}

/// The body of `block`, from its run's files in `site`.
fn write(block: &Block, site: &Path, site_link: &str) -> Result<String, String> {
    let dir = site.join(&block.run);
    let page = format!("{site_link}/{}/index.html", block.run);
    if !dir.is_dir() {
        return Err(format!(
            "the {} block names run {}, which is not published in {}: publish it (`harness \
             publish results/reference/{}`) or remove the block and its claim",
            block.kind,
            block.run,
            site.display(),
            block.run
        ));
    }
    let source = format!(
        "<sub>Written by `harness publish` from run [{}]({page}); do not edit by hand.</sub>\n",
        block.run
    );
    match block.kind.as_str() {
        "calibration" => {
            let c = calibration::load(&dir)?;
            Ok(format!(
                "```text\n{}```\n{source}",
                crate::calibrate::render(&c)
            ))
        }
        kind => {
            let summary = crate::results::load_summary(&dir).map_err(|e| e.to_string())?;
            if kind == "tables" {
                Ok(format!(
                    "```text\n{}```\n{source}",
                    crate::table::all(&summary)
                ))
            } else {
                Ok(format!("{}{source}", headline(&summary)))
            }
        }
    }
}

/// The claim's verdict and the scorecard, as Markdown.
fn headline(summary: &crate::model::Summary) -> String {
    let card = scorecard::scorecard(summary, traits_of(summary).containers);
    let mut out = format!("**Verdict: {}.** {}\n\n", card.outcome, card.verdict);
    out.push_str(&format!(
        "| stack | family | memory under load | boot | {} | CPU per 1000 requests |\n",
        card.size_label
    ));
    out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    let cell = |s: &scorecard::Score| {
        let versus: Vec<&str> = [s.vs_baseline.as_deref(), s.vs_floor.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if versus.is_empty() {
            s.value.clone()
        } else {
            format!("{} ({})", s.value, versus.join(", "))
        }
    };
    for r in &card.rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.name,
            r.family,
            cell(&r.memory),
            cell(&r.boot),
            cell(&r.size),
            cell(&r.cpu)
        ));
    }
    out.push('\n');
    out
}

/// Writes the blocks of each of `files` anew from `site`, each linked relative to its own
/// folder; returns the files whose text changed.
pub fn refresh_files(files: &[PathBuf], site: &Path) -> Result<Vec<PathBuf>, BlockError> {
    let mut changed = Vec::new();
    for file in files {
        let name = file.display().to_string();
        let text = fs::read_to_string(file).map_err(|e| BlockError {
            file: name.clone(),
            line: 0,
            why: e.to_string(),
        })?;
        let folder = file.parent().unwrap_or(Path::new("."));
        let link = crate::report::relative(folder, site);
        let new = refresh(&text, &name, site, &link)?;
        if new != text {
            fs::write(file, &new).map_err(|e| BlockError {
                file: name,
                line: 0,
                why: format!("cannot write: {e}"),
            })?;
            changed.push(file.clone());
        }
    }
    Ok(changed)
}

/// The project's Markdown that may hold blocks: README.md, ARCHITECTURE.md, CHANGELOG.md and
/// docs/*.md under `root`.
pub fn documents(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["README.md", "ARCHITECTURE.md", "CHANGELOG.md"]
        .iter()
        .map(|f| root.join(f))
        .filter(|f| f.is_file())
        .collect();
    let mut docs: Vec<PathBuf> = fs::read_dir(root.join("docs"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    docs.retain(|p| p.extension().is_some_and(|e| e == "md"));
    docs.sort();
    files.extend(docs);
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_found_and_their_mistakes_named_with_the_line() {
        let text = "a\n<!-- footprint:begin tables 20261207T000000Z-ramp-abcdef -->\nold\n<!-- footprint:end -->\nb\n";
        let found = blocks(text, "README.md").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].kind.as_str(), found[0].line), ("tables", 2));
        let e = blocks("x\n<!-- footprint:begin tables r -->\n", "docs/a.md").unwrap_err();
        assert_eq!(
            e.to_string(),
            "docs/a.md:2: the block has no end: add `<!-- footprint:end -->` after it"
        );
        let e = blocks(
            "<!-- footprint:begin figures r -->\n<!-- footprint:end -->\n",
            "R.md",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("R.md:1: unknown block kind `figures`"),
            "{e}"
        );
        let e = blocks("<!-- footprint:end -->\n", "R.md").unwrap_err();
        assert!(e.to_string().contains("without a beginning"));
    }

    #[test]
    fn a_block_whose_run_is_not_published_says_how_to_publish_it() {
        let site = tempfile::tempdir().unwrap();
        let text = "<!-- footprint:begin headline 20261207T000000Z-ramp-abcdef -->\n<!-- footprint:end -->\n";
        let e = refresh(text, "README.md", site.path(), "reports").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(
            e.why
                .contains("harness publish results/reference/20261207T000000Z-ramp-abcdef"),
            "{e}"
        );
    }

    #[test]
    fn text_without_blocks_is_left_as_it_is() {
        let site = tempfile::tempdir().unwrap();
        for text in ["a\nb\n", "a\nb", ""] {
            assert_eq!(refresh(text, "x.md", site.path(), "r").unwrap(), text);
        }
    }
}
