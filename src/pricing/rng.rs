//! A small seeded random source for the simulator: xoshiro256++ seeded by
//! SplitMix64, and the draws the demand model needs. Seeded runs reproduce
//! exactly on every machine.

/// xoshiro256++ (Blackman & Vigna).
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator for `seed`; `stream` separates independent sequences
    /// (one per simulated variant) so results do not depend on order.
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut x = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box–Muller, one of the pair).
    pub fn normal(&mut self) -> f64 {
        let u = 1.0 - self.uniform();
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// A Poisson draw with mean `lambda`: inversion below 10, Hörmann's
    /// PTRS transformed rejection (valid from 10) above.
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 || !lambda.is_finite() {
            return 0;
        }
        if lambda < 10.0 {
            let mut k = 0u64;
            let mut p = (-lambda).exp();
            let mut cumulative = p;
            let u = self.uniform();
            while u > cumulative {
                k += 1;
                p *= lambda / k as f64;
                cumulative += p;
                if p < 1e-300 && cumulative >= 1.0 - 1e-15 {
                    break;
                }
            }
            return k;
        }
        Ptrs::new(lambda).sample(self)
    }

    /// A Gamma(shape, 1) draw (Marsaglia–Tsang).
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let u = self.uniform().max(f64::MIN_POSITIVE);
            return self.gamma(shape + 1.0) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u < 1.0 - 0.0331 * x.powi(4) || u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
                return d * v;
            }
        }
    }

    /// A negative binomial draw with mean `mean` and dispersion `k`
    /// (variance mean + mean²/k), as a Gamma–Poisson mixture.
    pub fn negative_binomial(&mut self, mean: f64, k: f64) -> u64 {
        if mean <= 0.0 {
            return 0;
        }
        let rate = self.gamma(k) * mean / k;
        self.poisson(rate)
    }
}

/// Hörmann's PTRS constants for one mean (λ ≥ 10), so a variant's days,
/// which share a handful of means, do not recompute them on every draw.
#[derive(Debug, Clone, Copy)]
pub struct Ptrs {
    lambda: f64,
    loglam: f64,
    a: f64,
    b: f64,
    inv_alpha: f64,
    vr: f64,
}

impl Ptrs {
    pub fn new(lambda: f64) -> Ptrs {
        let slam = lambda.sqrt();
        let b = 0.931 + 2.53 * slam;
        Ptrs {
            lambda,
            loglam: lambda.ln(),
            a: -0.059 + 0.02483 * b,
            b,
            inv_alpha: 1.1239 + 1.1328 / (b - 3.4),
            vr: 0.9277 - 3.6224 / (b - 2.0),
        }
    }

    pub fn sample(&self, rng: &mut Rng) -> u64 {
        let Ptrs {
            lambda,
            loglam,
            a,
            b,
            inv_alpha,
            vr,
        } = *self;
        loop {
            let u = rng.uniform() - 0.5;
            let v = rng.uniform();
            let us = 0.5 - u.abs();
            let k = ((2.0 * a / us + b) * u + lambda + 0.43).floor();
            if us >= 0.07 && v <= vr {
                return k as u64;
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            if (v * inv_alpha / (a / (us * us) + b)).ln() <= -lambda + k * loglam - ln_factorial(k)
            {
                return k as u64;
            }
        }
    }
}

/// ln(k!) by Stirling's series (exact enough above 10, a table below).
pub fn ln_factorial(k: f64) -> f64 {
    const SMALL: [f64; 10] = [
        0.0,
        0.0,
        std::f64::consts::LN_2,
        1.791_759_469_228_055,
        3.178_053_830_347_945_6,
        4.787_491_742_782_046,
        6.579_251_212_010_101,
        8.525_161_361_065_415,
        10.604_602_902_745_25,
        12.801_827_480_081_469,
    ];
    if k < 10.0 {
        return SMALL[k as usize];
    }
    let k1 = k + 1.0;
    (k1 - 0.5) * k1.ln() - k1 + 0.5 * std::f64::consts::TAU.ln() + 1.0 / (12.0 * k1)
        - 1.0 / (360.0 * k1.powi(3))
        + 1.0 / (1260.0 * k1.powi(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(draws: impl Iterator<Item = f64>) -> (f64, f64) {
        let v: Vec<f64> = draws.collect();
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var)
    }

    #[test]
    fn poisson_mean_and_variance_match_lambda() {
        for (i, lambda) in [0.3, 4.0, 9.9, 10.0, 17.5, 31.0, 250.0]
            .into_iter()
            .enumerate()
        {
            let mut rng = Rng::new(7, i as u64);
            let n = 200_000;
            let (mean, var) = moments((0..n).map(|_| rng.poisson(lambda) as f64));
            // Five standard errors of the mean; variance within 3 %.
            let se = (lambda / n as f64).sqrt();
            assert!((mean - lambda).abs() < 5.0 * se, "λ={lambda}: mean {mean}");
            assert!((var / lambda - 1.0).abs() < 0.03, "λ={lambda}: var {var}");
        }
    }

    #[test]
    fn negative_binomial_is_overdispersed_as_asked() {
        let mut rng = Rng::new(11, 0);
        let (mean, k) = (6.0, 2.0);
        let (m, v) = moments((0..200_000).map(|_| rng.negative_binomial(mean, k) as f64));
        assert!((m - mean).abs() < 0.05, "{m}");
        let want = mean + mean * mean / k;
        assert!((v / want - 1.0).abs() < 0.04, "{v} vs {want}");
    }

    #[test]
    fn seeded_streams_reproduce_and_differ() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(42, 1);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(42, 1);
                move |_| r.next_u64()
            })
            .collect();
        let c: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(42, 2);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn ln_factorial_is_continuous_at_the_table_edge() {
        let exact: f64 = (1..=10).map(|i| (i as f64).ln()).sum();
        assert!((ln_factorial(10.0) - exact).abs() < 1e-9);
        let exact: f64 = (1..=40).map(|i| (i as f64).ln()).sum();
        assert!((ln_factorial(40.0) - exact).abs() < 1e-9);
    }
}
