//! The methodology pages behind this crate's models, with formulas and references, so that
//! `cargo doc` carries them (they are docs/methodology/*.md in the repository). Each page
//! is a module without items. (Its indented formulas are not Rust: the pages are left out
//! when doctests are collected.)

// The pages' indented formulas are read by rustdoc as Rust code blocks; they are
// mathematics, shown as written; the pages are Markdown written for GitHub, whose list
// continuations clippy reads as lazy.
#![allow(rustdoc::invalid_rust_codeblocks, clippy::doc_lazy_continuation)]

#[cfg_attr(not(doctest), doc = include_str!("../../../docs/methodology/pipeline.md"))]
pub mod pipeline {}

#[cfg_attr(not(doctest), doc = include_str!("../../../docs/methodology/verdict.md"))]
pub mod verdict {}

#[cfg_attr(not(doctest), doc = include_str!("../../../docs/methodology/chain-reaction.md"))]
pub mod chain_reaction {}
