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

    /// Writes [`Study::output_files`] into the folder `out`, atomically, replacing only a
    /// folder creditlab wrote (see [`write_output`]).
    pub fn write(&self, out: &Path) -> Result<()> {
        self.write_with(out, Overwrite::Own)
    }

    /// Writes [`Study::output_files`] into the folder `out` under `policy`.
    pub fn write_with(&self, out: &Path, policy: Overwrite) -> Result<()> {
        write_output(out, &self.output_files()?, policy)
    }
}

/// The file that marks a folder as written by creditlab. creditlab replaces or removes a
/// folder only when it holds this file (or is empty): it never deletes, moves or overwrites
/// what it did not write.
pub const OUTPUT_MARKER: &str = ".creditlab-output";

const MARKER_TEXT: &str = "This folder was written by creditlab. The next run with this \
     output folder replaces it whole; remove this file to keep creditlab from touching it.\n";

/// What creditlab may do with an output folder that already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overwrite {
    /// Replace it whole, atomically, only when creditlab wrote it ([`OUTPUT_MARKER`]) or it
    /// is empty; refuse any other folder.
    #[default]
    Own,
    /// `--force`: a folder creditlab did not write is written into, each file creditlab
    /// writes replacing only the file of that name; every other file in it stays, and no
    /// marker is added (so a later run still will not replace the folder whole). A folder
    /// creditlab wrote, or an empty one, is replaced as under [`Overwrite::Own`].
    Force,
}

/// What is at the output path now.
enum Found {
    /// Nothing: the folder will be created.
    Nothing,
    /// A folder creditlab may replace whole (it has the marker, or is empty).
    Ours,
    /// A folder creditlab did not write.
    Theirs,
}

/// Looks at `out` without following a symbolic link; anything but a folder (a file, a FIFO,
/// a device, a link) is an error, so nothing is written when the path is taken.
fn inspect(out: &Path) -> std::io::Result<Found> {
    let meta = match std::fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(e) => return Err(e),
    };
    let kind = meta.file_type();
    if kind.is_symlink() {
        return Err(std::io::Error::other(
            "it is a symbolic link; give the folder it points to as the output folder",
        ));
    }
    if !kind.is_dir() {
        let what = if kind.is_file() {
            "a file"
        } else {
            "not a folder (a FIFO, socket or device)"
        };
        return Err(std::io::Error::other(format!(
            "it is {what}, and the output must be a folder: choose another output path"
        )));
    }
    Ok(if ours(out)? {
        Found::Ours
    } else {
        Found::Theirs
    })
}

/// Whether `dir` is creditlab's to replace: it holds [`OUTPUT_MARKER`], or is empty.
fn ours(dir: &Path) -> std::io::Result<bool> {
    if dir.join(OUTPUT_MARKER).is_file() {
        return Ok(true);
    }
    Ok(std::fs::read_dir(dir)?.next().is_none())
}

/// Removes `dir` when it is creditlab's (see [`ours`]); an error naming it otherwise.
fn remove_ours(dir: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
        Ok(m) if m.file_type().is_dir() && ours(dir)? => {}
        Ok(_) => {
            return Err(std::io::Error::other(format!(
                "{} is in the way and was not written by creditlab; remove it yourself",
                dir.display()
            )));
        }
    }
    std::fs::remove_dir_all(dir)
}

/// Checks, before any work, that `out` can be written under `policy`: it does not exist, or
/// is a folder creditlab wrote, or is empty, or (with [`Overwrite::Force`]) is any folder.
/// A file, FIFO, device or symbolic link there is always refused. Nothing is touched.
pub fn check_output(out: &Path, policy: Overwrite) -> Result<()> {
    inspect_for(out, policy).map(|_| ())
}

fn inspect_for(out: &Path, policy: Overwrite) -> Result<Found> {
    let fail = |reason: String| StudyError::Write {
        path: out.display().to_string(),
        reason,
    };
    let found = inspect(out).map_err(|e| fail(e.to_string()))?;
    if matches!(found, Found::Theirs) && policy == Overwrite::Own {
        return Err(fail(format!(
            "it exists and was not written by creditlab (no {OUTPUT_MARKER} in it), so \
             creditlab will not replace it: choose another output folder, or pass --force to \
             write into it (replacing only the files creditlab writes, deleting nothing)"
        )));
    }
    Ok(found)
}

/// [`write_output`] under [`Overwrite::Own`].
pub fn write_atomically(out: &Path, files: &[(String, String)]) -> Result<()> {
    write_output(out, files, Overwrite::Own)
}

/// Writes `files` (paths relative to `out`, subfolders allowed) into the folder `out`.
///
/// A new folder, or one creditlab wrote ([`OUTPUT_MARKER`]) or an empty one, is written
/// atomically: a fresh temporary folder beside `out` is filled, then renamed into place, so
/// readers see the old output or the new one, never half of one, and a failed run leaves the
/// old one untouched; the old folder is removed only because it carries the marker. Any
/// other folder is refused under [`Overwrite::Own`] and, under [`Overwrite::Force`], written
/// into file by file (each through a temporary file renamed over the name), deleting
/// nothing. A path that is not a folder is refused, and nothing is written.
pub fn write_output(out: &Path, files: &[(String, String)], policy: Overwrite) -> Result<()> {
    let fail = |reason: String| StudyError::Write {
        path: out.display().to_string(),
        reason,
    };
    match inspect_for(out, policy)? {
        Found::Theirs => write_into(out, files).map_err(|e| fail(e.to_string())),
        Found::Nothing | Found::Ours => replace(out, files),
    }
}

/// `--force` into a folder creditlab did not write: each file through a temporary sibling
/// renamed over its name (a symbolic link of that name is replaced, never written through).
fn write_into(out: &Path, files: &[(String, String)]) -> std::io::Result<()> {
    for (file, text) in files {
        let path = out.join(file);
        let dir = path.parent().unwrap_or(out);
        std::fs::create_dir_all(dir)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
        if std::fs::symlink_metadata(&tmp).is_ok() {
            return Err(std::io::Error::other(format!(
                "{} is in the way and was not written by creditlab; remove it yourself",
                tmp.display()
            )));
        }
        std::fs::write(&tmp, text)?;
        if let Err(e) = std::fs::rename(&tmp, &path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(std::io::Error::new(
                e.kind(),
                format!("cannot replace {}: {e}", path.display()),
            ));
        }
    }
    Ok(())
}

/// A new folder, or one creditlab may replace: written beside `out`, then swapped in.
fn replace(out: &Path, files: &[(String, String)]) -> Result<()> {
    let fail = |reason: String| StudyError::Write {
        path: out.display().to_string(),
        reason,
    };
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
        // Looked at again just before the swap: only a folder that is still ours moves.
        match inspect(out)? {
            Found::Nothing => {}
            Found::Ours => std::fs::rename(out, &old)?,
            Found::Theirs => {
                return Err(std::io::Error::other(
                    "it was changed during the run and is no longer creditlab's to replace",
                ));
            }
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

    /// Every name in `dir`, sorted, recursively, with its contents.
    fn listing(dir: &Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                for (n, t) in listing(&p) {
                    out.push((format!("{rel}/{n}"), t));
                }
            } else {
                out.push((rel, std::fs::read_to_string(&p).unwrap_or_default()));
            }
        }
        out.sort();
        out
    }

    #[test]
    fn out_refuses_folder_not_written_by_creditlab() {
        let root = scratch("theirs");
        let home = root.join("home");
        std::fs::create_dir_all(home.join("photos")).unwrap();
        std::fs::write(home.join("photos/cat.jpg"), "cat").unwrap();
        std::fs::write(home.join("report.html"), "my own report").unwrap();
        let before = listing(&home);
        let files = vec![("report.html".to_string(), "creditlab".to_string())];
        for e in [
            check_output(&home, Overwrite::Own).unwrap_err(),
            write_output(&home, &files, Overwrite::Own).unwrap_err(),
        ] {
            let e = e.to_string();
            assert!(
                e.contains("not written by creditlab") && e.contains("--force"),
                "{e}"
            );
        }
        assert_eq!(listing(&home), before);
        assert_eq!(
            std::fs::read_dir(&root).unwrap().count(),
            1,
            "nothing beside it"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn out_force_writes_into_folder_deleting_nothing() {
        let root = scratch("force");
        let home = root.join("home");
        std::fs::create_dir_all(home.join("charts")).unwrap();
        std::fs::write(home.join("thesis.txt"), "mine").unwrap();
        std::fs::write(home.join("charts/old.svg"), "old chart").unwrap();
        std::fs::write(home.join("report.html"), "stale").unwrap();
        // A link named like an output file is replaced, never written through.
        let target = root.join("elsewhere.txt");
        std::fs::write(&target, "do not touch").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, home.join("report.md")).unwrap();
        let files = vec![
            ("report.html".to_string(), "new".to_string()),
            ("report.md".to_string(), "md".to_string()),
            ("charts/a.svg".to_string(), "a".to_string()),
        ];
        write_output(&home, &files, Overwrite::Force).unwrap();
        assert_eq!(
            std::fs::read_to_string(home.join("thesis.txt")).unwrap(),
            "mine"
        );
        assert_eq!(
            std::fs::read_to_string(home.join("charts/old.svg")).unwrap(),
            "old chart"
        );
        assert_eq!(
            std::fs::read_to_string(home.join("report.html")).unwrap(),
            "new"
        );
        assert_eq!(
            std::fs::read_to_string(home.join("report.md")).unwrap(),
            "md"
        );
        assert_eq!(
            std::fs::read_to_string(home.join("charts/a.svg")).unwrap(),
            "a"
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "do not touch");
        // No marker: a later run without --force still refuses the folder.
        assert!(!home.join(OUTPUT_MARKER).exists());
        assert!(write_output(&home, &files, Overwrite::Own).is_err());
        let hidden: Vec<_> = listing(&root)
            .into_iter()
            .filter(|(n, _)| n.contains(".tmp"))
            .collect();
        assert!(hidden.is_empty(), "{hidden:?}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn out_refuses_path_that_is_not_a_directory_before_writing() {
        let root = scratch("notdir");
        let files = vec![("a.txt".to_string(), "one".to_string())];
        let file = root.join("notes.txt");
        std::fs::write(&file, "keep").unwrap();
        let mut paths = vec![file.clone()];
        #[cfg(unix)]
        {
            let link = root.join("link");
            std::os::unix::fs::symlink(root.join("nowhere"), &link).unwrap();
            paths.push(link);
            let fifo = root.join("fifo");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|s| s.success()) {
                paths.push(fifo);
            } else {
                eprintln!("mkfifo is not available: the FIFO case is skipped");
            }
        }
        let before = listing_names(&root);
        for path in &paths {
            for policy in [Overwrite::Own, Overwrite::Force] {
                let e = check_output(path, policy).unwrap_err().to_string();
                assert!(e.contains(&path.display().to_string()), "{e}");
                assert!(write_output(path, &files, policy).is_err());
                assert_eq!(listing_names(&root), before, "{}", path.display());
            }
        }
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");
        std::fs::remove_dir_all(&root).unwrap();
    }

    /// Names in `dir` without reading them (a FIFO would block a read).
    fn listing_names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}
