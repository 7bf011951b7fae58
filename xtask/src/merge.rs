//! `cargo xtask merge FILE...`: the partial results of `loss --shard` or `defi --shard`
//! runs merged into the single run and printed exactly as it prints (tables, or --json);
//! those of `pipeline --shard` merged into the study, whose report is written exactly as
//! `pipeline` writes it (--out, --force).
//! The checks (same config and seed, shards that tile the run) and the merge are the
//! libraries' (`creditlab_contagion::shard`, `creditlab_defi::shard`); the files alone
//! suffice, the config need not exist any more.

use crate::cli::{TaskError, TaskResult};
use std::path::PathBuf;

/// Flags of `cargo xtask merge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The partial results (every shard of one run, in any order).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Study partials: the report's output folder.
    #[arg(long, value_name = "DIR", default_value = crate::pipeline::DEFAULT_OUT)]
    out: PathBuf,
    #[command(flatten)]
    threads: crate::cli::Threads,
    /// Study partials: write into an output folder creditlab did not write (as `pipeline`).
    #[arg(long)]
    force: bool,
}

/// Runs the task.
pub fn run(args: Args) -> TaskResult {
    use creditlab_contagion::shard as loss;
    use creditlab_defi::shard as defi;
    let mut texts = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| TaskError::msg(format!("{}: cannot read: {e}", path.display())))?;
        texts.push((path.display().to_string(), text));
    }
    if creditlab_study::shard::is_partial(&texts[0].1) {
        let overwrite = match args.force {
            true => creditlab_study::Overwrite::Force,
            false => creditlab_study::Overwrite::Own,
        };
        creditlab_study::check_output(&args.out, overwrite)?;
        let bars = crate::progress::Bars::new(crate::cli::settings().quiet);
        let pool = args.threads.pool()?;
        let study = pool.install(|| creditlab_study::shard::merge_json(&texts, &bars))?;
        return crate::pipeline::write(&study, &args.out, overwrite);
    }
    if defi::is_partial(&texts[0].1) {
        let (config, result) = defi::merge_json(&texts)?;
        return crate::defi::print(&config, &result, args.json);
    }
    crate::loss::print(&loss::merge_json(&texts)?, args.json)
}
