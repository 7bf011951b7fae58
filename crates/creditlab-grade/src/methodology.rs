//! The methodology pages behind this crate's models, with formulas and references, so that
//! `cargo doc` carries them (they are docs/methodology/*.md in the repository). Each page
//! is a module without items. (Its indented formulas are not Rust: the pages are left out
//! when doctests are collected.)

// The pages' indented formulas are read by rustdoc as Rust code blocks; they are
// mathematics, shown as written; the pages are Markdown written for GitHub, whose list
// continuations clippy reads as lazy.
#![allow(rustdoc::invalid_rust_codeblocks, clippy::doc_lazy_continuation)]

#[cfg_attr(not(doctest), doc = include_str!("../../../docs/methodology/grading.md"))]
pub mod grading {}

#[cfg_attr(not(doctest), doc = include_str!("../../../docs/methodology/basel-irb.md"))]
pub mod basel_irb {}

#[cfg_attr(not(doctest), doc = include_str!("../../../docs/methodology/master-scale.md"))]
pub mod master_scale {}

#[cfg_attr(not(doctest), doc = include_str!("../../../docs/methodology/validation.md"))]
pub mod validation {}
