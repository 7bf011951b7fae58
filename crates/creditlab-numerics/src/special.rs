//! Normal distribution functions, accurate to about 1e-15 relative.
//!
//! `norm_cdf` is W. J. Cody's rational Chebyshev approximation (Cody, 1969, "Rational
//! Chebyshev approximations for the error function", Math. Comp. 23), the algorithm of R's
//! `pnorm`; `norm_ppf` is Acklam's approximation polished by one Halley step against that
//! CDF. statrs' `erfc` is accurate only to about 1e-11 relative, too coarse for the tail
//! quantiles and thresholds here.

#![allow(
    clippy::excessive_precision,
    reason = "coefficients are transcribed digit for digit from the published algorithms"
)]

const SQRT_32: f64 = 5.656_854_249_492_381;
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// Standard normal CDF, Phi(x), with full relative accuracy in the lower tail.
pub fn norm_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    norm_cdf_both(x).0
}

/// Standard normal survival function, 1 - Phi(x) = Phi(-x), accurate in the upper tail.
pub fn norm_sf(x: f64) -> f64 {
    norm_cdf(-x)
}

/// (Phi(x), 1 - Phi(x)), each computed without cancellation.
fn norm_cdf_both(x: f64) -> (f64, f64) {
    const A: [f64; 5] = [
        2.235_252_035_460_683_9,
        161.028_231_068_555_88,
        1_067.689_485_460_370_9,
        18_154.981_253_343_561,
        0.065_682_337_918_207_449,
    ];
    const B: [f64; 4] = [
        47.202_581_904_688_242,
        976.098_551_737_776_69,
        10_260.932_208_618_978,
        45_507.789_335_026_73,
    ];
    const C: [f64; 9] = [
        0.398_941_512_088_134_67,
        8.883_149_794_388_375_9,
        93.506_656_132_177_856,
        597.270_276_394_800_26,
        2_494.537_585_290_372_7,
        6_848.190_450_536_282_3,
        11_602.651_437_647_35,
        9_842.714_838_383_978,
        1.076_557_677_372_019_2e-8,
    ];
    const D: [f64; 8] = [
        22.266_688_044_328_116,
        235.387_901_782_625,
        1_519.377_599_407_554_8,
        6_485.558_298_266_761,
        18_615.571_640_885_098,
        34_900.952_721_145_977,
        38_912.003_286_093_271,
        19_685.429_676_859_991,
    ];
    const P: [f64; 6] = [
        0.215_898_534_057_957,
        0.127_401_161_160_247_36,
        0.022_235_277_870_649_807,
        0.001_421_619_193_227_893_5,
        2.911_287_495_116_879_2e-5,
        0.023_073_441_764_940_173,
    ];
    const Q: [f64; 5] = [
        1.284_260_096_144_911_2,
        0.468_238_212_480_865_1,
        0.065_988_137_868_928_552,
        0.003_782_396_332_027_582_4,
        7.297_515_550_839_662e-5,
    ];
    let y = x.abs();
    if y <= 0.674_489_75 {
        let (mut num, mut den) = (0.0, 0.0);
        if y > 1e-300 {
            let xsq = x * x;
            num = A[4] * xsq;
            den = xsq;
            for i in 0..3 {
                num = (num + A[i]) * xsq;
                den = (den + B[i]) * xsq;
            }
        }
        let t = x * (num + A[3]) / (den + B[3]);
        return (0.5 + t, 0.5 - t);
    }
    let tail = if y <= SQRT_32 {
        let mut num = C[8] * y;
        let mut den = y;
        for i in 0..7 {
            num = (num + C[i]) * y;
            den = (den + D[i]) * y;
        }
        let t = (num + C[7]) / (den + D[7]);
        split_exp(y) * t
    } else if y < 38.5 {
        let xsq = 1.0 / (x * x);
        let mut num = P[5] * xsq;
        let mut den = xsq;
        for i in 0..4 {
            num = (num + P[i]) * xsq;
            den = (den + Q[i]) * xsq;
        }
        let t = xsq * (num + P[4]) / (den + Q[4]);
        split_exp(y) * (INV_SQRT_2PI - t) / y
    } else {
        0.0
    };
    if x > 0.0 {
        (1.0 - tail, tail)
    } else {
        (tail, 1.0 - tail)
    }
}

/// exp(-y^2 / 2) computed in two parts so that the rounding of y^2 does not cost accuracy.
#[inline]
fn split_exp(y: f64) -> f64 {
    let ysq = (y * 16.0).trunc() / 16.0;
    let del = (y - ysq) * (y + ysq);
    (-ysq * ysq * 0.5).exp() * (-del * 0.5).exp()
}

/// Standard normal density, phi(x).
#[inline]
pub fn norm_pdf(x: f64) -> f64 {
    INV_SQRT_2PI * (-0.5 * x * x).exp()
}

/// Standard normal quantile, Phi^-1(p); -inf at 0, +inf at 1, NaN outside [0, 1].
pub fn norm_ppf(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    // Acklam's rational approximation, relative error < 1.15e-9.
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.024_25;
    let x = if p < P_LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - P_LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step on Phi(x) - p, evaluated in the tail where it is accurate.
    let e = if x < 0.0 {
        norm_cdf(x) - p
    } else {
        (1.0 - p) - norm_sf(x)
    };
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (0.5 * x * x).exp();
    x - u / (1.0 + 0.5 * x * u)
}

/// The logistic function 1 / (1 + e^-x), the inverse of [`logit`]. Written in two branches
/// so that neither tail loses accuracy: for x < 0 it is e^x / (1 + e^x), which keeps full
/// relative accuracy into the far lower tail, where e^-x would overflow.
///
/// ```
/// use creditlab_numerics::special::{logistic, logit};
/// assert_eq!(logistic(0.0), 0.5);
/// assert!((logistic(-700.0) / (-700.0f64).exp() - 1.0).abs() < 1e-15);
/// assert!((logit(logistic(-3.0)) + 3.0).abs() < 1e-15);
/// ```
pub fn logistic(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// The logit ln(p / (1 - p)), the log-odds of a probability `p` in (0, 1); -inf at 0,
/// +inf at 1, NaN outside [0, 1]. Near p = 1 the difference 1 - p carries the rounding of
/// `p` itself, so `logit(logistic(x))` is exact to rounding for x <= 0 and loses about
/// e^x ulps for x > 0.
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// The logistic and logit tests, apart from the normal ones so each can change alone.
#[cfg(test)]
mod logistic_tests {
    use super::*;
    use crate::prec;

    #[test]
    fn logistic_is_exact_in_both_tails_and_symmetric() {
        assert_eq!(logistic(0.0), 0.5);
        // Upper tail: 1 - e^-x to rounding, and exactly 1 once e^-x is below half an ulp.
        for x in [1.0, 5.0, 20.0, 36.0] {
            let want = 1.0 / (1.0 + f64::exp(-x));
            assert!((logistic(x) - want).abs() <= prec::IDENTITY);
        }
        assert_eq!(logistic(40.0), 1.0);
        assert_eq!(logistic(800.0), 1.0);
        // Lower tail: e^x (1 - e^x + ...) with full relative accuracy down to e^-700.
        for x in [-1.0, -5.0, -40.0, -300.0, -700.0] {
            let e = f64::exp(x);
            assert!(prec::relative_close(
                logistic(x),
                e / (1.0 + e),
                prec::IDENTITY,
                0.0
            ));
        }
        assert!(prec::relative_close(
            logistic(-700.0),
            f64::exp(-700.0),
            prec::IDENTITY,
            0.0
        ));
        // Past x = -709, 1 / (1 + e^-x) overflows to 0; e^x / (1 + e^x) is still positive.
        assert!(logistic(-720.0) > 0.0);
        assert_eq!(logistic(-800.0), 0.0);
        // Symmetry logistic(-x) = 1 - logistic(x) in the body of the curve.
        for i in -40..=40 {
            let x = f64::from(i) / 8.0;
            assert!((logistic(-x) - (1.0 - logistic(x))).abs() <= prec::IDENTITY);
        }
    }

    #[test]
    fn logit_inverts_logistic() {
        assert_eq!(logit(0.5), 0.0);
        assert_eq!(logit(0.0), f64::NEG_INFINITY);
        assert_eq!(logit(1.0), f64::INFINITY);
        assert!(logit(1.5).is_nan());
        // For x <= 0 both p and 1 - p are exact to rounding: the round trip is an identity,
        // relative to |x| once |x| exceeds one.
        for i in -800..=0 {
            let x = f64::from(i) / 4.0 * 3.5;
            assert!(
                prec::relative_close(logit(logistic(x)), x, prec::IDENTITY, 1.0),
                "x = {x}: {}",
                logit(logistic(x))
            );
        }
        // For x > 0, 1 - p cancels: the error is the rounding of p, half an ulp of 1,
        // relative to 1 - p = 1 / (1 + e^x).
        for i in 1..=80 {
            let x = f64::from(i) / 4.0;
            let bound = prec::IDENTITY * (1.0 + x.exp());
            assert!(
                (logit(logistic(x)) - x).abs() <= bound,
                "x = {x}: {}",
                logit(logistic(x))
            );
        }
        // And the other way round, on probabilities: e^y amplifies the rounding of y = logit
        // p by |y| (its condition number), so the identity is relative to 1 + |y|.
        for p in [1e-300, 1e-12, 1e-6, 0.02, 0.3, 0.5] {
            let y = logit(p);
            let tol = prec::IDENTITY * (1.0 + y.abs());
            assert!(prec::relative_close(logistic(y), p, tol, 0.0), "p = {p}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prec;
    use approx::assert_relative_eq;

    #[test]
    fn normal_reference_values() {
        // Reference values computed to 20 digits with mpmath (ncdf, erfinv).
        assert_relative_eq!(
            norm_cdf(1.0),
            0.841_344_746_068_542_9,
            max_relative = prec::IDENTITY
        );
        assert_relative_eq!(
            norm_cdf(-1.0),
            0.158_655_253_931_457_05,
            max_relative = prec::IDENTITY
        );
        assert_relative_eq!(
            norm_cdf(0.5),
            0.691_462_461_274_013_1,
            max_relative = prec::IDENTITY
        );
        assert_relative_eq!(
            norm_cdf(-3.0),
            0.001_349_898_031_630_094_5,
            max_relative = prec::SPECIAL
        );
        assert_relative_eq!(
            norm_cdf(-10.0),
            7.619_853_024_160_527e-24,
            max_relative = prec::SPECIAL
        );
        assert_relative_eq!(
            norm_cdf(-37.0),
            5.725_571_222_524_577e-300,
            max_relative = prec::SPECIAL
        );
        assert_relative_eq!(
            norm_ppf(0.975),
            1.959_963_984_540_054,
            max_relative = prec::IDENTITY
        );
        assert_relative_eq!(
            norm_ppf(0.001),
            -3.090_232_306_167_813_5,
            max_relative = prec::IDENTITY
        );
        assert_relative_eq!(
            norm_ppf(0.999),
            3.090_232_306_167_813_5,
            max_relative = prec::SPECIAL
        );
        assert_relative_eq!(
            norm_ppf(1e-10),
            -6.361_340_902_404_056,
            max_relative = prec::SPECIAL
        );
        for &p in &[1e-300, 1e-12, 1e-6, 0.01, 0.3, 0.5, 0.9, 0.999_999] {
            assert_relative_eq!(norm_cdf(norm_ppf(p)), p, max_relative = prec::COMPOSED);
        }
        assert_eq!(norm_ppf(0.0), f64::NEG_INFINITY);
        assert_eq!(norm_ppf(1.0), f64::INFINITY);
        assert_eq!(norm_cdf(f64::NEG_INFINITY), 0.0);
        assert_eq!(norm_cdf(f64::INFINITY), 1.0);
    }
}
