//! The methodology pages behind this crate's models, with formulas and references, so that
//! `cargo doc` carries them (they are docs/methodology/*.md in the repository). Each page
//! is a module without items. (Its indented formulas are not Rust: the pages are left out
//! when doctests are collected.)

// The pages' indented formulas are read by rustdoc as Rust code blocks; they are
// mathematics, shown as written; the pages are Markdown written for GitHub, whose list
// continuations clippy reads as lazy.
#![allow(rustdoc::invalid_rust_codeblocks, clippy::doc_lazy_continuation)]

#[cfg_attr(not(doctest), doc = include_str!("../../../docs/methodology/copulas.md"))]
pub mod copulas {}

#[cfg_attr(not(doctest), doc = include_str!("../../../docs/methodology/large-pool.md"))]
pub mod large_pool {}

#[cfg_attr(not(doctest), doc = include_str!("../../../docs/methodology/exact-recursion.md"))]
pub mod exact_recursion {}

#[cfg_attr(not(doctest), doc = include_str!("../../../docs/methodology/accuracy-control.md"))]
pub mod accuracy_control {}

#[cfg_attr(not(doctest), doc = include_str!("../../../docs/methodology/binomial-expansion.md"))]
pub mod binomial_expansion {}

#[cfg_attr(not(doctest), doc = include_str!("../../../docs/methodology/monte-carlo.md"))]
pub mod monte_carlo {}

#[cfg_attr(not(doctest), doc = include_str!("../../../docs/methodology/importance-sampling.md"))]
pub mod importance_sampling {}

#[cfg_attr(not(doctest), doc = include_str!("../../../docs/methodology/clearing.md"))]
pub mod clearing {}
