#!/usr/bin/env bash
# The fuzzing campaigns of docs/RELIABILITY.md, as `cargo xtask fuzz --minutes N [--target T]`
# runs them: builds the AFL++ harness (fuzz/, outside the workspace) with cargo-afl, then runs
# each target of creditlab_study::fuzz in turn, one at a time, at low priority, for N minutes
# from its seed corpus (fuzz/corpus/TARGET), and prints one Markdown row per target:
# executions, corpus, edges covered, crashes and hangs. Findings stay in target/fuzz/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: scripts/fuzz.sh MINUTES [TARGET]}
only=${2:-}
if ! command -v cargo-afl >/dev/null; then
    echo "cargo-afl is not installed: cargo install cargo-afl (it builds AFL++ itself)" >&2
    exit 2
fi
# CREDITLAB_FUZZ_PREBUILT=1 runs the harness as built (campaigns in parallel, while the
# source changes).
[ -n "${CREDITLAB_FUZZ_PREBUILT:-}" ] || (cd fuzz && nice -n 15 cargo afl build --release --quiet)
harness=fuzz/target/release/creditlab-fuzz
targets=$(CREDITLAB_FUZZ_TARGET=list "$harness")
if [ -n "$only" ]; then
    grep -qx "$only" <<<"$targets" || { echo "no target $only; targets: $targets" >&2; exit 2; }
    targets=$only
fi
echo "| target | minutes | executions | exec/s | corpus | edges | crashes | hangs |"
echo "|---|---|---|---|---|---|---|---|"
for t in $targets; do
    out=target/fuzz/$t
    rm -rf "$out" && mkdir -p "$out"
    # No UI (a log instead); no CPU governor or core-dump checks and no pinning to a core
    # (a shared machine, not root's to tune, where campaigns may run side by side); a 2 s
    # timeout per input, past which AFL++ counts a hang.
    AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
        CREDITLAB_FUZZ_TARGET=$t nice -n 15 cargo afl fuzz -t 2000 -V $((minutes * 60)) \
        -i "fuzz/corpus/$t" -o "$out" -- "$harness" >"$out/afl.log" 2>&1 ||
        { echo "afl-fuzz failed for $t: see $out/afl.log" >&2; tail -20 "$out/afl.log" >&2; exit 1; }
    stat() { sed -n "s/^$1 *: *//p" "$out/default/fuzzer_stats"; }
    echo "| $t | $minutes | $(stat execs_done) | $(stat execs_per_sec) | $(stat corpus_count) |" \
        "$(stat edges_found) of $(stat total_edges) | $(stat saved_crashes) | $(stat saved_hangs) |"
done
