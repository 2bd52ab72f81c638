//! Checks of a published site: every link resolves inside it, nothing names a path of this
//! machine, and every standalone figure is an SVG document.

use std::fs;
use std::path::{Path, PathBuf};

/// Every file under `dir`, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                found.push(p);
            }
        }
    }
    found.sort();
    found
}

/// `text` with the character references the templates' escaping writes decoded.
pub fn decode(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The values of `href` and `src` attributes in `html`.
pub fn links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["href=\"", "src=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attribute) {
            // An attribute, not the same letters inside a word (`data-href="`).
            let before = rest[..at].chars().last();
            rest = &rest[at + attribute.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            if before.is_none_or(|c| c.is_whitespace()) {
                found.push(decode(&rest[..end]));
            }
        }
    }
    found
}

/// What is wrong with the site at `site`: links that do not resolve to a file in it, links
/// that leave it or are absolute, and files that name `forbidden` (paths of this machine).
pub fn problems(site: &Path, forbidden: &[String]) -> Vec<String> {
    let site = site.canonicalize().unwrap();
    let mut problems = Vec::new();
    for file in files(&site) {
        let name = file.strip_prefix(&site).unwrap().display().to_string();
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        for needle in forbidden {
            if text.contains(needle.as_str()) {
                problems.push(format!("{name} names {needle}"));
            }
        }
        if file.extension().is_some_and(|e| e == "svg") {
            let body = text.trim_start_matches(|c| c != '<');
            if let Err(e) = roxmltree::Document::parse(body) {
                problems.push(format!("{name} is not an SVG document: {e}"));
            } else if !body.contains("<svg xmlns=\"http://www.w3.org/2000/svg\"") {
                problems.push(format!("{name} has no SVG namespace"));
            }
        }
        if file.extension().is_none_or(|e| e != "html") {
            continue;
        }
        for link in links(&text) {
            if link.starts_with('#') || link.starts_with("https://") || link.starts_with("http://")
            {
                continue;
            }
            if link.starts_with('/') || link.contains("://") || link.starts_with("file:") {
                problems.push(format!("{name} links {link}: not relative"));
                continue;
            }
            let path = link.split(['#', '?']).next().unwrap_or_default();
            let target = file.parent().unwrap().join(path);
            match target.canonicalize() {
                Ok(t) if !t.starts_with(&site) => {
                    problems.push(format!("{name} links {link}: outside the site"));
                }
                Ok(t) if t.is_file() => {}
                _ => problems.push(format!("{name} links {link}: no such file")),
            }
        }
    }
    problems
}
