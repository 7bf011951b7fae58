//! The two text helpers every input reader's errors share: a value cut to a readable length,
//! and the known name a misspelt one most likely meant.

/// How many characters of a value an error message shows.
pub const SHOWN_CHARS: usize = 60;

/// A value as an error message shows it: whole when short, else its first
/// [`SHOWN_CHARS`] characters and its size, so a 200 MB cell does not fill the terminal.
///
/// ```
/// use creditlab_numerics::text::shown;
/// assert_eq!(shown("0.5"), "0.5");
/// assert!(shown(&"9".repeat(1000)).ends_with("... (1000 bytes)"));
/// ```
pub fn shown(value: &str) -> String {
    if value.chars().count() <= SHOWN_CHARS {
        value.to_string()
    } else {
        let head: String = value.chars().take(SHOWN_CHARS).collect();
        format!("{head}... ({} bytes)", value.len())
    }
}

/// The known name closest to `name` by edit distance, when it is close enough (at most a
/// third of the name's letters, and 2) to be a likely misspelling.
///
/// ```
/// use creditlab_numerics::text::closest;
/// assert_eq!(closest("lgd_sdd", ["ead", "pd", "lgd", "lgd_sd"]), Some("lgd_sd"));
/// assert_eq!(closest("weight", ["ead", "pd"]), None);
/// ```
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, &cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    }
    let limit = (name.chars().count() / 3).clamp(1, 2);
    known
        .into_iter()
        .map(|k| (distance(name, k), k))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}
