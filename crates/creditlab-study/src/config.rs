//! Reading configuration files: strict TOML into a serde type, and the one locator that
//! turns a dotted key (`loss.bank_rho`, `defi_pool.assets[1].volatility`) back into its line
//! in the file, so every error names the file, the line and the key.
//!
//! The model crates validate their own specs and name the offending field by its path; this
//! module is the only place that knows about lines.

use crate::error::{Result, StudyError};
use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};

/// 1-based line of byte offset `at` in `text`.
pub fn line_at(text: &str, at: usize) -> usize {
    1 + text
        .as_bytes()
        .get(..at.min(text.len()))
        .map_or(0, |t| t.iter().filter(|&&b| b == b'\n').count())
}

/// Splits `assets[2]` into (`assets`, Some(2)).
fn indexed(part: &str) -> (&str, Option<usize>) {
    match part.split_once('[') {
        Some((name, rest)) => (name, rest.trim_end_matches(']').parse().ok()),
        None => (part, None),
    }
}

/// The 1-based line of the dotted key `path` in the TOML `text`: the line of the deepest
/// part of the path the file has (the key itself, or the table it belongs in when the key
/// is missing). `None` when the file has none of it or does not parse.
pub fn line_of(text: &str, path: &str) -> Option<usize> {
    if path.is_empty() {
        return None;
    }
    let root = DeTable::parse(text).ok()?;
    let mut table: &DeTable<'_> = root.get_ref();
    let mut found: Option<usize> = None;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let (name, index) = indexed(part);
        let Some((key, value)) = table.iter().find(|(k, _)| k.get_ref().as_ref() == name) else {
            break;
        };
        found = Some(key.span().start);
        let mut value = value;
        if let Some(k) = index {
            let Some(element) = value.get_ref().as_array().and_then(|a| a.get(k)) else {
                break;
            };
            found = Some(element.span().start);
            value = element;
        }
        match value.get_ref() {
            DeValue::Table(t) if i + 1 < parts.len() => table = t,
            _ => break,
        }
    }
    found.map(|at| line_at(text, at))
}

/// Deserializes `text` (TOML) strictly into `T`; an error names `origin`, the line and shows
/// it, so the key is named even when toml's message only says what type it expected.
pub fn parse_toml<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|span| line_at(text, span.start));
        let shown = line
            .and_then(|l| text.lines().nth(l - 1))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map_or(String::new(), |s| format!("`{s}`: "));
        StudyError::Config {
            origin: origin.to_string(),
            line,
            key: String::new(),
            reason: format!("{shown}{}", e.message()),
        }
    })
}

/// A [`StudyError::Config`] for `key` of the file `text` read from `origin`, with the key's
/// line when the file has it.
pub fn config_error(text: &str, origin: &str, key: &str, reason: impl Into<String>) -> StudyError {
    StudyError::Config {
        origin: origin.to_string(),
        line: line_of(text, key),
        key: key.to_string(),
        reason: reason.into(),
    }
}

/// Reads a file to a string; the error names it.
pub fn read(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| StudyError::Read {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "seed = 1\n[loss]\nrho = 0.1\n\n[[assets]]\nname = \"a\"\n\n[[assets]]\nname = \"b\"\nvol = 2\n[pool.rates]\nbase = 0\n";

    #[test]
    fn keys_tables_and_array_elements_are_found() {
        assert_eq!(line_of(TEXT, "seed"), Some(1));
        assert_eq!(line_of(TEXT, "loss"), Some(2));
        assert_eq!(line_of(TEXT, "loss.rho"), Some(3));
        assert_eq!(line_of(TEXT, "assets[0].name"), Some(6));
        assert_eq!(line_of(TEXT, "assets[1].vol"), Some(10));
        assert_eq!(line_of(TEXT, "pool.rates.base"), Some(12));
        // A missing key: the deepest part found.
        assert_eq!(line_of(TEXT, "loss.nope"), Some(2));
        assert_eq!(line_of(TEXT, "nope"), None);
        assert_eq!(line_of("not = [toml", "not"), None);
        assert_eq!(line_at("a\nb\nc", 0), 1);
        assert_eq!(line_at("a\nb\nc", 4), 3);
        assert_eq!(line_at("a\nb\nc", 99), 3);
    }

    #[test]
    fn parse_errors_name_origin_and_line() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code, reason = "only deserialized")]
        struct T {
            seed: u64,
        }
        let e = parse_toml::<T>("seed = 1\nspeed = 3\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("x.toml, line 2: `speed = 3`:"), "{e}");
        assert!(e.contains("speed"), "{e}");
    }
}
