//! Axis ticks: "nice" linear ticks (Heckbert's 1-2-5 steps) and decade ticks on log axes,
//! with compact labels.
//!
//! Tick values are computed from integers (`k * m / 10^e`), never by repeated addition, so
//! they are the doubles nearest to the printed labels (`0.3`, not `0.30000000000000004`).

use crate::format::{fixed, trim_zeros};

/// One tick: its value on the axis and its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    /// Position in data units.
    pub value: f64,
    /// Label printed beside the axis.
    pub label: String,
}

/// The ticks of an axis and the range it spans (from the first tick to the last, so the data
/// fits inside).
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    /// Lower end of the axis.
    pub min: f64,
    /// Upper end of the axis, always greater than `min`.
    pub max: f64,
    /// Ticks from `min` to `max` in increasing order.
    pub ticks: Vec<Tick>,
}

impl Ticks {
    /// The tick values alone.
    pub fn values(&self) -> Vec<f64> {
        self.ticks.iter().map(|t| t.value).collect()
    }

    /// The tick labels alone.
    pub fn labels(&self) -> Vec<&str> {
        self.ticks.iter().map(|t| t.label.as_str()).collect()
    }
}

/// Heckbert's nice number near `x > 0`: 1, 2, 5 or 10 times a power of ten, rounded to the
/// nearest if `round`, else the smallest at least `x`.
pub fn nice_number(x: f64, round: bool) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let e = x.log10().floor() as i32;
    let f = x / pow10(e);
    let m = if round {
        if f < 1.5 {
            1.0
        } else if f < 3.0 {
            2.0
        } else if f < 7.0 {
            5.0
        } else {
            10.0
        }
    } else if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * pow10(e)
}

/// A data end within this fraction of a step of a tick is on that tick: the division
/// `lo / step` rounds, and without the slack an end exactly on a tick could gain one more.
const TICK_SNAP: f64 = 1e-9;

/// Linear ticks covering `min ..= max`, about `target` of them, on a 1-2-5 step (Heckbert's
/// loose labelling). Labels share one number of decimals; from 10,000 up they use a k / m /
/// bn suffix. A degenerate or non-finite range is widened to something drawable.
pub fn linear(min: f64, max: f64, target: usize) -> Ticks {
    let (lo, hi) = widen(min, max);
    let target = target.max(2);
    let range = nice_number(hi - lo, false);
    let step = nice_number(range / (target - 1) as f64, true);
    // step = m * 10^e with m in {1, 2, 5}.
    let mut e = step.log10().floor() as i32;
    let mut m = (step / pow10(e)).round() as i64;
    if m >= 10 {
        m /= 10;
        e += 1;
    }
    let step = scaled(m, e);
    let k0 = (lo / step + TICK_SNAP).floor();
    let k1 = (hi / step - TICK_SNAP).ceil();
    if !(k0.is_finite() && k1.is_finite()) || k0.abs() > 1e15 || k1.abs() > 1e15 || k1 - k0 > 1e3 {
        return two_ticks(lo, hi);
    }
    let (k0, k1) = (k0 as i64, (k1 as i64).max(k0 as i64 + 1));
    let values: Vec<f64> = (k0..=k1).map(|k| scaled(k * m, e)).collect();
    let largest = values.iter().fold(0.0_f64, |a, v| a.max(v.abs()));
    let (unit, suffix, ue) = if largest >= 1e4 {
        unit_of(largest)
    } else {
        (1.0, "", 0)
    };
    let ticks = values
        .iter()
        .map(|&v| {
            let label = if v == 0.0 {
                "0".to_string()
            } else if e < -6 || largest >= 1e15 {
                sci(v)
            } else {
                let decimals = (ue - e).max(0) as usize;
                format!("{}{suffix}", fixed(v / unit, decimals))
            };
            Tick {
                value: if v == 0.0 { 0.0 } else { v },
                label,
            }
        })
        .collect();
    Ticks {
        min: values[0],
        max: values[values.len() - 1],
        ticks,
    }
}

/// Log-10 ticks covering `min ..= max` (both must be positive; anything else gives 1 ..= 10):
/// the axis runs from decade to decade with a tick at each decade (every second or third
/// decade when there are many), plus ticks at 2 and 5 when it spans two decades or less.
/// Labels are compact: 0.01, 0.1, 1, 10, 100, 1k, 10k, 100k, 1m, 1bn.
pub fn log10(min: f64, max: f64) -> Ticks {
    let (mut lo_v, mut hi_v) = (min, max);
    if !(lo_v.is_finite() && lo_v > 0.0) {
        lo_v = if hi_v.is_finite() && hi_v > 0.0 {
            hi_v
        } else {
            1.0
        };
    }
    if !(hi_v.is_finite() && hi_v > 0.0) {
        hi_v = lo_v;
    }
    if lo_v > hi_v {
        std::mem::swap(&mut lo_v, &mut hi_v);
    }
    let mut lo = (lo_v.log10().floor() as i32).clamp(-300, 300);
    while pow10(lo) > lo_v && lo > -300 {
        lo -= 1;
    }
    while pow10(lo + 1) <= lo_v && lo < 300 {
        lo += 1;
    }
    let mut hi = (hi_v.log10().ceil() as i32).clamp(-300, 300);
    while pow10(hi) < hi_v && hi < 300 {
        hi += 1;
    }
    while hi > lo && pow10(hi - 1) >= hi_v {
        hi -= 1;
    }
    if hi <= lo {
        hi = lo + 1;
    }
    let stride = (hi - lo + 7) / 8;
    let hi = lo + (hi - lo + stride - 1) / stride * stride;
    let mut ticks = Vec::new();
    let mut k = lo;
    while k <= hi {
        ticks.push(Tick {
            value: pow10(k),
            label: log_label(1, k),
        });
        if hi - lo <= 2 && k < hi {
            for m in [2, 5] {
                ticks.push(Tick {
                    value: scaled(m, k),
                    label: log_label(m, k),
                });
            }
        }
        k += stride;
    }
    Ticks {
        min: pow10(lo),
        max: pow10(hi),
        ticks,
    }
}

/// `10^e` as the double nearest to it.
pub(crate) fn pow10(e: i32) -> f64 {
    if e >= 0 {
        10f64.powi(e)
    } else {
        1.0 / 10f64.powi(-e)
    }
}

/// `k * 10^e` as the double nearest to it (one correctly rounded operation).
fn scaled(k: i64, e: i32) -> f64 {
    if e >= 0 {
        k as f64 * pow10(e)
    } else {
        k as f64 / pow10(-e)
    }
}

/// A finite, non-empty range around `min ..= max`.
fn widen(min: f64, max: f64) -> (f64, f64) {
    let (mut lo, mut hi) = match (min.is_finite(), max.is_finite()) {
        (true, true) => (min.min(max), min.max(max)),
        (true, false) => (min, min),
        (false, true) => (max, max),
        (false, false) => (0.0, 1.0),
    };
    if lo == hi {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo -= pad;
        hi += pad;
    }
    if !(hi - lo).is_finite() {
        lo /= 2.0;
        hi /= 2.0;
    }
    (lo, hi)
}

/// Fallback for ranges the integer tick grid cannot hold: one tick at each end.
fn two_ticks(lo: f64, hi: f64) -> Ticks {
    Ticks {
        min: lo,
        max: hi,
        ticks: [lo, hi]
            .iter()
            .map(|&v| Tick {
                value: v,
                label: crate::format::short(v),
            })
            .collect(),
    }
}

/// The suffix unit for a magnitude: (unit, suffix, exponent of the unit).
fn unit_of(a: f64) -> (f64, &'static str, i32) {
    if a >= 1e12 {
        (1e12, "tn", 12)
    } else if a >= 1e9 {
        (1e9, "bn", 9)
    } else if a >= 1e6 {
        (1e6, "m", 6)
    } else if a >= 1e3 {
        (1e3, "k", 3)
    } else {
        (1.0, "", 0)
    }
}

/// Label of `m * 10^k` on a log axis.
fn log_label(m: i64, k: i32) -> String {
    let v = scaled(m, k);
    if !(-4..15).contains(&k) {
        return sci(v);
    }
    let (unit, suffix, ue) = unit_of(v);
    let decimals = (ue - k).max(0) as usize;
    format!("{}{suffix}", trim_zeros(&fixed(v / unit, decimals)))
}

/// Shortest scientific notation: `2e-7`, `1.5e15`.
fn sci(v: f64) -> String {
    format!("{v:e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_numbers() {
        assert_eq!(nice_number(0.97, false), 1.0);
        assert_eq!(nice_number(0.2, true), 0.2);
        assert_eq!(nice_number(3.2, true), 5.0);
        assert_eq!(nice_number(7.5, true), 10.0);
        assert_eq!(nice_number(0.0, true), 1.0);
    }

    #[test]
    fn unit_interval() {
        let t = linear(0.0, 0.97, 6);
        assert_eq!(t.values(), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(t.labels(), vec!["0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        assert_eq!((t.min, t.max), (0.0, 1.0));
    }

    #[test]
    fn tenths_are_exact() {
        let t = linear(0.0, 0.5, 6);
        assert_eq!(t.values(), vec![0.0, 0.1, 0.2, 0.3, 0.4, 0.5]);
        assert_eq!(t.labels()[3], "0.3");
    }

    #[test]
    fn negative_and_offset_ranges() {
        let t = linear(-3.7, 12.2, 5);
        assert_eq!(t.values(), vec![-5.0, 0.0, 5.0, 10.0, 15.0]);
        let t = linear(2019.0, 2031.0, 6);
        assert_eq!(t.labels(), vec!["2015", "2020", "2025", "2030", "2035"]);
    }

    #[test]
    fn large_values_get_suffixes() {
        let t = linear(0.0, 4.6e6, 6);
        assert_eq!(t.labels(), vec!["0", "1m", "2m", "3m", "4m", "5m"]);
        let t = linear(0.0, 25_000.0, 6);
        assert_eq!(t.labels(), vec!["0", "10k", "20k", "30k"]);
    }

    #[test]
    fn tiny_values_use_scientific_notation() {
        let t = linear(0.0, 4e-7, 5);
        assert_eq!(t.labels(), vec!["0", "1e-7", "2e-7", "3e-7", "4e-7"]);
    }

    #[test]
    fn degenerate_ranges_are_widened() {
        let t = linear(5.0, 5.0, 6);
        assert!(t.min < 5.0 && t.max > 5.0);
        let t = linear(0.0, 0.0, 6);
        assert!(t.min <= 0.0 && t.max >= 1.0);
        let t = linear(f64::NAN, f64::INFINITY, 6);
        assert_eq!((t.min, t.max), (0.0, 1.0));
        let t = linear(-f64::MAX, f64::MAX, 6);
        assert!(t.max > t.min && t.ticks.iter().all(|t| t.value.is_finite()));
    }

    #[test]
    fn log_decades() {
        let t = log10(10.0, 100_000.0);
        assert_eq!(t.values(), vec![10.0, 100.0, 1e3, 1e4, 1e5]);
        assert_eq!(t.labels(), vec!["10", "100", "1k", "10k", "100k"]);
        let t = log10(15.0, 9e4);
        assert_eq!((t.min, t.max), (10.0, 1e5));
    }

    #[test]
    fn log_small_values_and_short_ranges() {
        let t = log10(0.001, 0.1);
        assert_eq!(
            t.labels(),
            vec!["0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1"]
        );
        let t = log10(100.0, 100.0);
        assert_eq!(t.labels(), vec!["100", "200", "500", "1k"]);
    }

    #[test]
    fn log_many_decades_are_thinned() {
        let t = log10(1e-12, 1e12);
        assert!(t.ticks.len() <= 9, "{:?}", t.labels());
        assert!(t.min <= 1e-12 && t.max >= 1e12);
        let t = log10(0.0, -1.0);
        assert_eq!((t.min, t.max), (1.0, 10.0));
    }

    /// Many ranges, from tiny to huge, negative to positive: the ticks always cover the
    /// data, increase, stay finite and few.
    #[test]
    fn ticks_cover_any_range() {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..2000 {
            let scale = pow10((next() * 40.0 - 20.0) as i32);
            let (a, b) = ((next() - 0.5) * scale, (next() - 0.3) * scale);
            let t = linear(a, b, 6);
            assert!(t.min <= a.min(b) && t.max >= a.max(b), "{a} {b} {t:?}");
            assert!((2..=12).contains(&t.ticks.len()), "{a} {b} {t:?}");
            assert!(t.ticks.windows(2).all(|w| w[0].value < w[1].value));
            assert!(
                t.ticks
                    .iter()
                    .all(|k| k.value.is_finite() && !k.label.contains("NaN"))
            );
            let (lo, hi) = (a.abs().max(1e-300), b.abs().max(1e-300));
            let t = log10(lo, hi);
            assert!(
                t.min <= lo.min(hi) && t.max >= lo.max(hi),
                "{lo} {hi} {t:?}"
            );
            assert!(t.ticks.len() <= 10 && t.ticks.len() >= 2);
        }
    }
}
