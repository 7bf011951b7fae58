//! Number formats for table cells: percentages, money, basis points, fixed decimals.
//!
//! Every function returns `"n/a"` for NaN or infinite input, never `"NaN"`, and never prints a
//! negative zero.

/// A fraction as a percentage with two decimals: `pct(0.0123)` is `"1.23%"`. A value that
/// is not zero but would print as `0.00%` gets two significant digits instead
/// (`pct(0.0000123)` is `"0.0012%"`): a small risk is not no risk.
pub fn pct(x: f64) -> String {
    if !x.is_finite() {
        return NA.to_string();
    }
    let v = x * 100.0;
    if v != 0.0 && v.abs() < 0.005 {
        let decimals = (-v.abs().log10().floor()) as usize + 1;
        return format!("{}%", fixed(round_sig(v, 2), decimals.min(12)));
    }
    format!("{}%", fixed(v, 2))
}

/// A count with thousands separators: `count(100000)` is `"100,000"`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An amount with three significant digits and a k / m / bn / tn suffix:
/// `money(1.234e9)` is `"1.23bn"`, `money(4.5e6)` is `"4.5m"`, `money(950.0)` is `"950"`.
pub fn money(x: f64) -> String {
    if !x.is_finite() {
        return NA.to_string();
    }
    const UNITS: [(f64, &str); 5] = [(1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k"), (1.0, "")];
    let a = x.abs();
    if a >= 1e15 {
        return format!("{x:.2e}");
    }
    // Round to three significant digits first, then pick the unit of the rounded value, so
    // 999,999 prints as "1m" and not "1000k".
    let rounded = round_sig(x, 3);
    let ra = rounded.abs();
    let (unit, suffix) = UNITS
        .iter()
        .copied()
        .find(|(u, _)| ra >= *u)
        .unwrap_or((1.0, ""));
    let scaled = rounded / unit;
    let digits = if scaled.abs() >= 100.0 {
        0
    } else if scaled.abs() >= 10.0 {
        1
    } else {
        2
    };
    format!("{}{suffix}", trim_zeros(&fixed(scaled, digits)))
}

/// A fraction in basis points: `bp(0.0012)` is `"12 bp"`. Whole basis points from 10 bp
/// up, one decimal below (`"3.5 bp"`), where a whole number would hide the difference.
pub fn bp(x: f64) -> String {
    if !x.is_finite() {
        return NA.to_string();
    }
    let v = x * 1e4;
    let s = if v.abs() >= 9.95 {
        fixed(v, 0)
    } else {
        trim_zeros(&fixed(v, 1))
    };
    format!("{s} bp")
}

/// Fixed decimals: `num(1.23456, 2)` is `"1.23"`.
pub fn num(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return NA.to_string();
    }
    fixed(x, decimals)
}

const NA: &str = "n/a";

/// `format!("{:.d$}")` without a negative zero ("-0.00" becomes "0.00").
pub(crate) fn fixed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Drops trailing zeros after a decimal point, and the point itself if nothing follows.
pub(crate) fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// `x` rounded to `sig` significant digits (through the decimal formatter, so the result is
/// the double nearest to the printed value).
fn round_sig(x: f64, sig: usize) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    format!("{:.*e}", sig.saturating_sub(1), x)
        .parse()
        .unwrap_or(x)
}

/// A short general-purpose rendering of a data value (tooltips): four significant digits,
/// scientific notation outside 1e-4 ..= 1e15, trailing zeros trimmed.
pub(crate) fn short(x: f64) -> String {
    if !x.is_finite() {
        return NA.to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let a = x.abs();
    if !(1e-4..1e15).contains(&a) {
        let s = format!("{x:.3e}");
        return match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", trim_zeros(m)),
            None => s,
        };
    }
    let magnitude = a.log10().floor() as i32;
    let decimals = (3 - magnitude).max(0) as usize;
    trim_zeros(&fixed(x, decimals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages() {
        assert_eq!(pct(0.0123), "1.23%");
        assert_eq!(pct(1.0), "100.00%");
        assert_eq!(pct(-0.000001), "-0.00010%");
        assert_eq!(pct(0.0000123), "0.0012%");
        assert_eq!(pct(0.00004994), "0.0050%");
        assert_eq!(pct(0.00005), "0.01%");
        assert_eq!(pct(0.0), "0.00%");
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(100_000), "100,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(pct(f64::NAN), "n/a");
    }

    #[test]
    fn money_uses_three_significant_digits_and_a_suffix() {
        assert_eq!(money(1.234e9), "1.23bn");
        assert_eq!(money(4.5e6), "4.5m");
        assert_eq!(money(950.0), "950");
        assert_eq!(money(12_345.0), "12.3k");
        assert_eq!(money(999_999.0), "1m");
        assert_eq!(money(-2.5e12), "-2.5tn");
        assert_eq!(money(0.5), "0.5");
        assert_eq!(money(0.0), "0");
        assert_eq!(money(f64::INFINITY), "n/a");
    }

    #[test]
    fn basis_points() {
        assert_eq!(bp(0.0012), "12 bp");
        assert_eq!(bp(0.00035), "3.5 bp");
        assert_eq!(bp(0.0), "0 bp");
        assert_eq!(bp(-0.0), "0 bp");
        assert_eq!(bp(f64::NEG_INFINITY), "n/a");
    }

    #[test]
    fn fixed_decimals() {
        assert_eq!(num(1.23456, 2), "1.23");
        assert_eq!(num(-0.001, 2), "0.00");
        assert_eq!(num(2.0, 0), "2");
        assert_eq!(num(f64::NAN, 2), "n/a");
    }

    #[test]
    fn short_values() {
        assert_eq!(short(0.1 + 0.2), "0.3");
        assert_eq!(short(2026.0), "2026");
        assert_eq!(short(1.5e-7), "1.5e-7");
        assert_eq!(short(123_456.0), "123456");
    }
}
