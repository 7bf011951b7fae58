//! Counter-based random streams: the stream of scenario `i` is a pure function of
//! `(seed, i)`, never of the thread that simulates it.
//!
//! Each scenario gets its own Xoshiro256++ generator whose 256-bit state is four SplitMix64
//! outputs started from a hash of `(seed, i)` (the seeding recommended by the xoshiro
//! authors). Seeding costs four SplitMix64 steps, a few nanoseconds, negligible beside a
//! scenario; in exchange any scenario range can be simulated by any thread in any order and
//! the results merge exactly (see `docs/methodology/monte-carlo.md`).

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator behind every simulation in this crate.
pub type StreamRng = Xoshiro256PlusPlus;

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's output function (Steele, Lea and Flood, 2014): a bijective 64-bit mixer.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The seed of a simulation's random streams (the `seed` of [`stream`]): a type of its
/// own, so that a seed and a count (scenarios, paths) cannot be swapped silently in a
/// call such as `MonteCarlo::run(seed, scenarios)` or `DefiSim::run(paths, seed)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Seed(pub u64);

/// The random stream of scenario `index` under `seed`: Xoshiro256++ seeded by SplitMix64
/// from `mix64(seed) + GOLDEN * (index + 1)`, so distinct indices of one seed never share a
/// starting point.
#[inline]
pub fn stream(seed: u64, index: u64) -> StreamRng {
    let mut x = mix64(seed ^ 0x6a09_e667_f3bc_c908).wrapping_add(GOLDEN.wrapping_mul(index + 1));
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_exact_mut(8) {
        x = x.wrapping_add(GOLDEN);
        chunk.copy_from_slice(&mix64(x).to_le_bytes());
    }
    StreamRng::from_seed(bytes)
}

/// A uniform draw in the open interval (0, 1) from the top 52 random bits:
/// `(k + 0.5) 2^-52`, so both ends are excluded exactly (the largest value is `1 - 2^-53`).
#[inline]
pub fn open01(bits: u64) -> f64 {
    ((bits >> 12) as f64 + 0.5) * (1.0 / (1u64 << 52) as f64)
}

/// `p` as a 64-bit integer threshold: `u < threshold(p)` for a uniform 64-bit `u` has
/// probability `p` up to 2^-64. `p >= 1` maps to `u64::MAX` and must be tested separately.
#[inline]
pub fn threshold_u64(p: f64) -> u64 {
    if p >= 1.0 {
        u64::MAX
    } else if p > 0.0 {
        (p * 18_446_744_073_709_551_616.0) as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_functions_of_seed_and_index() {
        let a = stream(7, 3).next_u64();
        assert_eq!(a, stream(7, 3).next_u64());
        assert_ne!(a, stream(7, 4).next_u64());
        assert_ne!(a, stream(8, 3).next_u64());
    }

    #[test]
    fn open_uniform_never_hits_the_ends() {
        assert!(open01(0) > 0.0);
        assert!(open01(u64::MAX) < 1.0);
        assert_eq!(threshold_u64(0.0), 0);
        assert_eq!(threshold_u64(0.5), 1u64 << 63);
    }
}
