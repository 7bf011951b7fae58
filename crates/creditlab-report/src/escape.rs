//! Escaping for XML/HTML, Markdown and URLs, and the `**bold**` span parser shared by the
//! Markdown and HTML renderers.

/// Escapes text for XML and HTML (content and double- or single-quoted attributes), and drops
/// control characters that XML 1.0 forbids, so the output is always well-formed.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes plain text for Markdown inline content: characters that start emphasis, links,
/// code, HTML or table cells are backslash-escaped; line breaks become spaces (one paragraph).
pub(crate) fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // `&amp;` would otherwise render as `&`.
            '&' if chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '#') =>
            {
                out.push_str("\\&");
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes the start of a Markdown paragraph that would otherwise read as a list item,
/// heading or rule (`- x`, `+ x`, `1. x`, `=`).
pub(crate) fn markdown_block_start(s: &str) -> String {
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    if s.starts_with(['-', '+', '=']) {
        format!("\\{s}")
    } else if digits > 0 && s[digits..].starts_with(['.', ')']) {
        format!("{}\\{}", &s[..digits], &s[digits..])
    } else {
        s.to_string()
    }
}

/// Percent-encodes everything but unreserved URL characters, for link targets built from ids.
pub(crate) fn url_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A piece of a Text block: plain text, or text between a pair of `**`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Span<'a> {
    /// Plain text.
    Plain(&'a str),
    /// Bold text.
    Bold(&'a str),
}

/// Splits a paragraph at `**` pairs. An unpaired final `**` is kept as literal text.
pub(crate) fn spans(s: &str) -> Vec<Span<'_>> {
    let parts: Vec<&str> = s.split("**").collect();
    let paired = if parts.len() % 2 == 1 {
        parts.len()
    } else {
        parts.len() - 1
    };
    let mut out = Vec::new();
    for (i, p) in parts[..paired].iter().enumerate() {
        if p.is_empty() {
            continue;
        }
        out.push(if i % 2 == 0 {
            Span::Plain(p)
        } else {
            Span::Bold(p)
        });
    }
    if paired < parts.len() {
        // Odd number of delimiters: the last one opens nothing. Its text starts at the last
        // "**" in the string.
        let start = s.rfind("**").unwrap_or(0);
        out.push(Span::Plain(&s[start..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_control_characters() {
        assert_eq!(
            xml("<script>alert('x' & \"y\")</script>\u{0}"),
            "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;"
        );
    }

    #[test]
    fn markdown_escapes_inline_syntax() {
        assert_eq!(markdown("a|b *c* [d](e)"), "a\\|b \\*c\\* \\[d\\](e)");
        assert_eq!(markdown("two\nlines"), "two lines");
        assert_eq!(markdown("AT&amp;T & co"), "AT\\&amp;T & co");
        assert_eq!(markdown_block_start("- not a list"), "\\- not a list");
        assert_eq!(markdown_block_start("2026. A year"), "2026\\. A year");
    }

    #[test]
    fn bold_spans() {
        assert_eq!(
            spans("a **b** c"),
            vec![Span::Plain("a "), Span::Bold("b"), Span::Plain(" c")]
        );
        assert_eq!(spans("**b**"), vec![Span::Bold("b")]);
        assert_eq!(
            spans("x ** y"),
            vec![Span::Plain("x "), Span::Plain("** y")]
        );
        assert_eq!(
            spans("**a** and ** b"),
            vec![Span::Bold("a"), Span::Plain(" and "), Span::Plain("** b")]
        );
        assert_eq!(spans(""), vec![]);
    }

    #[test]
    fn url_paths() {
        assert_eq!(url_path("loss-cdf_1"), "loss-cdf_1");
        assert_eq!(url_path("a b/c"), "a%20b%2Fc");
    }
}
