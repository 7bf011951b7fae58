//! The AFL++ harness: runs the target named by `CREDITLAB_FUZZ_TARGET` (one of
//! `creditlab_study::fuzz::TARGETS`) on every input AFL++ gives it; `list` prints the names.

use creditlab_study::fuzz::{TARGETS, target};

fn main() {
    let name = std::env::var("CREDITLAB_FUZZ_TARGET").unwrap_or_default();
    if name == "list" {
        TARGETS.iter().for_each(|t| println!("{}", t.name));
        return;
    }
    let Some(target) = target(&name) else {
        let names: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
        eprintln!("set CREDITLAB_FUZZ_TARGET to list or one of: {}", names.join(", "));
        std::process::exit(2);
    };
    afl::fuzz!(|data: &[u8]| {
        (target.run)(data);
    });
}
