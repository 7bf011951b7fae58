//! A first program on creditlab-numerics, using only its public API: normal quantiles,
//! the bivariate normal, and counter-based random streams. Run it with
//! `cargo run -p creditlab-numerics --example numerics_quickstart`; `cargo test` runs it too.

use creditlab_numerics::bivariate::bivariate_norm_cdf;
use creditlab_numerics::rng::stream;
use creditlab_numerics::special::{norm_cdf, norm_ppf};
use rand::Rng as _;

/// The program; `pub` so that the crate's tests run it.
pub fn main() {
    let z = norm_ppf(0.999);
    println!("Phi^-1(0.999) = {z:.6}, Phi of it = {:.12}", norm_cdf(z));
    // A joint default probability of two loans of PD 1% at asset correlation 20%.
    let c = norm_ppf(0.01);
    println!("P(both default) = {:.6}", bivariate_norm_cdf(c, c, 0.2));
    // Stream (seed, index) is the same on any thread, in any order.
    let (a, b) = (stream(7, 3).next_u64(), stream(7, 3).next_u64());
    assert_eq!(a, b);
    println!("stream(7, 3) starts with {a}");
}
