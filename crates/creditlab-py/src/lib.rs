//! The native module of the `creditlab` Python package (`creditlab._native`), built by
//! maturin from `python/pyproject.toml`.
//!
//! Every function here is a thin call into the library crates, the same calls `cargo xtask`
//! makes: it turns Python arguments into the library's types, runs the computation with the
//! GIL released ([`Python::detach`]) on a rayon pool of the requested size, and returns the
//! library's result serialized exactly as the command line's `--json` prints it (the
//! Python side parses that text into plain dicts, so keys and their order are the CLI's).
//! Library errors become the Python exceptions of `creditlab.errors` ([`Error`]), carrying
//! the library's message and its field and line as attributes. The Python API, its
//! argument checking and documentation are in `python/creditlab` (docs/python.md).

mod error;
mod inputs;
mod shards;
mod tasks;

pub use error::Error;

use pyo3::prelude::*;

/// The module `creditlab._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "DEFAULT_SCENARIOS",
        creditlab_contagion::report::DEFAULT_SCENARIOS,
    )?;
    m.add("DEFAULT_TRANCHES", tasks::DEFAULT_TRANCHES)?;
    m.add_function(wrap_pyfunction!(tasks::loss, m)?)?;
    m.add_function(wrap_pyfunction!(tasks::loss_scenarios, m)?)?;
    m.add_function(wrap_pyfunction!(tasks::cashflows, m)?)?;
    m.add_function(wrap_pyfunction!(tasks::grade, m)?)?;
    m.add_function(wrap_pyfunction!(tasks::loan_grades, m)?)?;
    m.add_function(wrap_pyfunction!(tasks::tape_records, m)?)?;
    m.add_function(wrap_pyfunction!(tasks::write_book, m)?)?;
    m.add_function(wrap_pyfunction!(tasks::waterfall, m)?)?;
    m.add_function(wrap_pyfunction!(tasks::defi, m)?)?;
    m.add_function(wrap_pyfunction!(tasks::study, m)?)?;
    m.add_function(wrap_pyfunction!(shards::loss_shard, m)?)?;
    m.add_function(wrap_pyfunction!(shards::loss_merge, m)?)?;
    m.add_function(wrap_pyfunction!(shards::defi_shard, m)?)?;
    m.add_function(wrap_pyfunction!(shards::defi_merge, m)?)?;
    m.add_function(wrap_pyfunction!(shards::study_shard, m)?)?;
    m.add_function(wrap_pyfunction!(shards::study_merge, m)?)?;
    Ok(())
}
