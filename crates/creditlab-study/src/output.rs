//! The study's output files, written atomically: a temporary folder beside the output,
//! renamed into place, so an interrupted run never leaves half a report.

use crate::error::{Result, StudyError};
use crate::study::{BookStudy, Study};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The monthly cash flows of one book as CSV.
fn cashflow_csv(study: &BookStudy) -> String {
    let c = &study.cashflows;
    let mut s = String::from(
        "month,balance,scheduled_principal,prepayments,defaults,recoveries,losses,interest\n",
    );
    for m in 0..c.months() {
        let _ = writeln!(
            s,
            "{},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2}",
            m + 1,
            c.balance()[m],
            c.scheduled_principal()[m],
            c.prepayments()[m],
            c.defaults()[m],
            c.recoveries()[m],
            c.losses()[m],
            c.interest()[m]
        );
    }
    s
}

/// Writes the study's output files into `out`, atomically.
impl Study {
    /// Every output file of the study, `(path relative to the output folder, contents)`:
    /// report.json, report.md, report.html, the books' cash flows, and each table as CSV and
    /// chart as SVG.
    pub fn output_files(&self) -> Result<Vec<(String, String)>> {
        let study = self;
        let json = serde_json::to_string_pretty(study).map_err(|e| StudyError::Write {
            path: "report.json".into(),
            reason: format!("cannot serialize the report: {e}"),
        })?;
        let report = study.report().and_then(|r| r.validate().map(|()| r))?;
        let mut files: Vec<(String, String)> = vec![
            ("report.json".into(), json + "\n"),
            ("report.md".into(), report.to_markdown()),
            ("report.html".into(), report.to_html()),
            ("cashflows_bank.csv".into(), cashflow_csv(&study.bank)),
            ("cashflows_defi.csv".into(), cashflow_csv(&study.defi)),
        ];
        for t in report.tables() {
            files.push((format!("tables/{}.csv", t.id()), t.to_csv()));
        }
        for c in report.charts() {
            files.push((format!("charts/{}.svg", c.id()), c.to_svg()));
        }
        Ok(files)
    }

    /// Writes [`Study::output_files`] into the folder `out`, atomically.
    pub fn write(&self, out: &Path) -> Result<()> {
        write_atomically(out, &self.output_files()?)
    }
}

/// The file that marks a folder as written by creditlab. creditlab replaces or removes a
/// folder only when it holds this file (or is empty): it never deletes, moves or overwrites
/// what it did not write.
pub const OUTPUT_MARKER: &str = ".creditlab-output";

const MARKER_TEXT: &str = "This folder was written by creditlab. The next run with this \
     output folder replaces it whole; remove this file to keep creditlab from touching it.\n";

/// Whether `dir` is creditlab's to replace: it holds [`OUTPUT_MARKER`], or is empty.
fn ours(dir: &Path) -> std::io::Result<bool> {
    if dir.join(OUTPUT_MARKER).is_file() {
        return Ok(true);
    }
    Ok(std::fs::read_dir(dir)?.next().is_none())
}

/// Removes `dir` when it is creditlab's (see [`ours`]); an error naming it otherwise.
fn remove_ours(dir: &Path) -> std::io::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() || !ours(dir)? {
        return Err(std::io::Error::other(format!(
            "{} is in the way and was not written by creditlab; remove it yourself",
            dir.display()
        )));
    }
    std::fs::remove_dir_all(dir)
}

/// Writes `files` (paths relative to `out`, subfolders allowed) into a fresh temporary
/// folder beside `out`, then renames it into place: readers see the old output or the new
/// one, never half of one, and a failed run leaves the old one untouched. An existing `out`
/// is replaced only when creditlab wrote it ([`OUTPUT_MARKER`]) or it is empty; any other
/// folder or file there is an error, and nothing is touched.
pub fn write_atomically(out: &Path, files: &[(String, String)]) -> Result<()> {
    let fail = |reason: String| StudyError::Write {
        path: out.display().to_string(),
        reason,
    };
    if out.exists() {
        let replaceable = out.is_dir() && ours(out).map_err(|e| fail(e.to_string()))?;
        if !replaceable {
            return Err(fail(format!(
                "it exists and was not written by creditlab (no {OUTPUT_MARKER} in it), so \
                 creditlab will not replace it: choose another output folder"
            )));
        }
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| StudyError::Write {
        path: parent.display().to_string(),
        reason: format!("cannot create the folder: {e}"),
    })?;
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| fail("the output path has no folder name".into()))?;
    let tmp = parent.join(format!(".{name}.tmp{}", std::process::id()));
    let old = parent.join(format!(".{name}.old{}", std::process::id()));
    let mut created = false;
    let result = (|| -> std::io::Result<()> {
        remove_ours(&tmp)?;
        remove_ours(&old)?;
        std::fs::create_dir_all(&tmp)?;
        created = true;
        std::fs::write(tmp.join(OUTPUT_MARKER), MARKER_TEXT)?;
        for (file, text) in files {
            let path = tmp.join(file);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(path, text)?;
        }
        if out.exists() {
            std::fs::rename(out, &old)?;
        }
        std::fs::rename(&tmp, out)?;
        remove_ours(&old)
    })();
    result.map_err(|e| {
        if created {
            let _ = remove_ours(&tmp);
        }
        fail(e.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("creditlab-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn replaces_its_own_output_and_refuses_anyone_elses() {
        let root = scratch("replace");
        let out = root.join("report");
        let files = vec![("a.txt".to_string(), "one".to_string())];
        write_atomically(&out, &files).unwrap();
        assert!(out.join(OUTPUT_MARKER).is_file());
        // Its own: replaced whole.
        let files = vec![("b/c.txt".to_string(), "two".to_string())];
        write_atomically(&out, &files).unwrap();
        assert!(!out.join("a.txt").exists());
        assert_eq!(std::fs::read_to_string(out.join("b/c.txt")).unwrap(), "two");
        // A user's folder: refused, untouched.
        let theirs = root.join("documents");
        std::fs::create_dir_all(&theirs).unwrap();
        std::fs::write(theirs.join("thesis.txt"), "mine").unwrap();
        let e = write_atomically(&theirs, &files).unwrap_err().to_string();
        assert!(e.contains("not written by creditlab"), "{e}");
        assert_eq!(
            std::fs::read_to_string(theirs.join("thesis.txt")).unwrap(),
            "mine"
        );
        // A file where the folder would go: refused, untouched.
        let file = root.join("notes.txt");
        std::fs::write(&file, "keep").unwrap();
        assert!(write_atomically(&file, &files).is_err());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");
        // An empty folder is taken.
        let empty = root.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        write_atomically(&empty, &files).unwrap();
        assert!(empty.join(OUTPUT_MARKER).is_file());
        // Nothing temporary is left beside the outputs.
        let left: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
