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

/// Writes `files` (paths relative to `out`, subfolders allowed) into a fresh temporary
/// folder beside `out`, then renames it into place: readers see the old output or the new
/// one, never half of one, and a failed run leaves the old one untouched.
pub fn write_atomically(out: &Path, files: &[(String, String)]) -> Result<()> {
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
        .ok_or_else(|| StudyError::Write {
            path: out.display().to_string(),
            reason: "the output path has no folder name".into(),
        })?;
    let tmp = parent.join(format!(".{name}.tmp{}", std::process::id()));
    let old = parent.join(format!(".{name}.old{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        std::fs::create_dir_all(&tmp)?;
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
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_dir_all(&tmp);
        StudyError::Write {
            path: out.display().to_string(),
            reason: e.to_string(),
        }
    })
}
