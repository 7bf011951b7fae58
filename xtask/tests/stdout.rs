//! Standard output that goes away: a reader that stops early (`| head -1`) ends every task
//! quietly with exit 0 (as ripgrep does), and a full device is an error "writing to stdout"
//! with exit 2, never a panic (exit 101).

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Every task that prints, with small inputs (a table, not JSON: the tables were what
/// panicked).
fn every_task(out: &Path) -> Vec<Vec<String>> {
    let hw = "--hazard 0.01 --recovery 0.4 --maturity 5 --rate 0.05 --rho 0.3 --copula gaussian";
    let out = out.to_str().unwrap();
    [
        "cashflows".to_string(),
        "waterfall --deal scenarios/deal.toml".into(),
        "grade --book bank --loans 200".into(),
        "loss --scenarios 2000".into(),
        "loss --method exact --book standard:100".into(),
        "irb --class corporate --pd 0.01 --lgd 0.45".into(),
        "ssfa --ka 0.08 --attach 0.1 --detach 0.2".into(),
        format!("tranche-spread --names 20 {hw} --tranches 0-0.03,0.03-1"),
        format!("ntd --names 5 {hw}"),
        "tranche --deal scenarios/deal.toml".into(),
        "clearing --network scenarios/clearing-example.json".into(),
        "cdo2".into(),
        "defi --paths 4".into(),
        "loss --json --scenarios 2000".into(),
        format!("pipeline --quick --out {out}"),
        format!("sweep --quick --param loss.bank_rho=0.1 --out {out}-sweep"),
    ]
    .iter()
    .map(|t| t.split_whitespace().map(String::from).collect())
    .collect()
}

fn run(args: &[String], stdout: Stdio) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .expect("xtask runs")
}

#[test]
fn closed_pipe_exits_quietly_for_every_task() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stdout-closed-pipe");
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(out.with_file_name("stdout-closed-pipe-sweep"));
    for task in every_task(&out) {
        // A pipe whose reader is gone before the task starts: every write gets EPIPE.
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let o = run(&task, Stdio::from(writer));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{task:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("error"),
            "{task:?}: {err}"
        );
    }
}

#[test]
fn full_device_is_an_error_naming_stdout_not_a_panic() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("/dev/full is absent on this system: the full-device case is skipped");
        return;
    };
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stdout-full-device");
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(out.with_file_name("stdout-full-device-sweep"));
    for task in every_task(&out) {
        let o = run(&task, Stdio::from(full.try_clone().unwrap()));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{task:?}: {err}");
        assert!(
            err.contains("writing to stdout: No space left on device"),
            "{task:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{task:?}: {err}");
    }
}
