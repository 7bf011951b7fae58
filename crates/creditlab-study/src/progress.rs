//! Progress of a running study, for whoever runs it: the study calls a [`Progress`] that the
//! caller implements (the command line draws bars; a notebook might log; tests stay
//! silent with [`Silent`]). It never changes a result.

use crate::error::StudyError;

/// What the study reports as it runs. Implementations must be cheap and may be called from
/// any thread ([`Progress::tick`] from the workers of a Monte Carlo stage).
pub trait Progress: Sync {
    /// A stage starts: `total` steps when it counts them (the paths of a DeFi setting),
    /// `None` otherwise.
    fn start(&self, stage: &str, total: Option<u64>);
    /// One step of the running counted stage is done.
    fn tick(&self);
    /// The running stage ended, successfully or not.
    fn finish(&self, stage: &str, ok: bool);
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: &str, _: Option<u64>) {}
    fn tick(&self) {}
    fn finish(&self, _: &str, _: bool) {}
}

/// Runs `f` as the stage `name`; a model error that comes out of it names the stage.
pub(crate) fn stage<T, E: Into<StudyError>>(
    progress: &dyn Progress,
    name: &str,
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, StudyError> {
    progress.start(name, None);
    let result = f().map_err(|e| e.into().in_stage(name));
    progress.finish(name, result.is_ok());
    result
}

/// Runs `f` as the stage `name` of `total` steps; `f` gets the callback that ticks one step.
pub(crate) fn counted<T, E: Into<StudyError>>(
    progress: &dyn Progress,
    name: &str,
    total: u64,
    f: impl FnOnce(&(dyn Fn() + Sync)) -> Result<T, E>,
) -> Result<T, StudyError> {
    progress.start(name, Some(total));
    let result = f(&|| progress.tick()).map_err(|e| e.into().in_stage(name));
    progress.finish(name, result.is_ok());
    result
}
