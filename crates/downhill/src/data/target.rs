use crate::numeric::CompensatedSum;

/// The target of a regression as the optimizer sees it: `y' = (y - mean) / scale`.
///
/// Standardised features make one learning rate fit every column; the target needs the same
/// for the intercept and the size of the weights. Without it the intercept must travel from
/// 0 to the target's mean and the weights to the target's size, at about one learning rate
/// per step for the adaptive methods (adagrad, adadelta, amsgrad), which then take tens of
/// thousands of epochs. Linear in `y`, so the fit maps back exactly: weights and intercept
/// scale by `scale` (the intercept then moves by `mean`), and a loss homogeneous of degree
/// `k` in the residual scales its cost by `scale^k`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetScale {
    /// Subtracted from every target (0 without centring).
    pub mean: f64,
    /// Every centred target is divided by this (1 for a constant target).
    pub scale: f64,
}

impl TargetScale {
    /// No change.
    pub const IDENTITY: TargetScale = TargetScale {
        mean: 0.0,
        scale: 1.0,
    };

    /// The mean (with `center`) and population standard deviation of `y` (the root mean
    /// square without `center`), with compensated two-pass sums. A target with no spread keeps
    /// scale 1: there is nothing to scale, and dividing by 0 would lose it.
    pub fn fit(y: &[f64], center: bool) -> Self {
        Self::fit_weighted(y, None, center)
    }

    /// [`TargetScale::fit`] with row weights (`None`: every row once), weighted as
    /// [`Standardizer::fit_weighted`](super::Standardizer::fit_weighted).
    pub fn fit_weighted(y: &[f64], weights: Option<&[f64]>, center: bool) -> Self {
        if y.is_empty() {
            return Self::IDENTITY;
        }
        let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
        let n = weights.map_or(y.len() as f64, |w| w.iter().sum());
        let mean = if center {
            let mut s = CompensatedSum::default();
            y.iter()
                .enumerate()
                .for_each(|(i, v)| s.add(weight(i) * *v));
            s.value() / n
        } else {
            0.0
        };
        let mut sq = CompensatedSum::default();
        let mut abs_max = 0.0f64;
        for (i, v) in y.iter().enumerate() {
            let s = weight(i);
            if s == 0.0 {
                continue;
            }
            sq.add(s * ((v - mean) * (v - mean)));
            abs_max = abs_max.max(v.abs());
        }
        let scale = (sq.value() / n).sqrt();
        // A spread lost in rounding of the values themselves is none.
        let scale = if scale.is_finite() && scale > 64.0 * f64::EPSILON * abs_max {
            scale
        } else {
            1.0
        };
        TargetScale { mean, scale }
    }

    /// `y -> (y - mean) / scale`, in place.
    pub fn transform(&self, y: &mut [f64]) {
        if *self != Self::IDENTITY {
            let inv = 1.0 / self.scale;
            y.iter_mut().for_each(|v| *v = (*v - self.mean) * inv);
        }
    }

    /// `y' -> y' * scale + mean`, in place: exactly the values transformed, up to rounding.
    pub fn inverse_transform(&self, y: &mut [f64]) {
        if *self != Self::IDENTITY {
            y.iter_mut()
                .for_each(|v| *v = v.mul_add(self.scale, self.mean));
        }
    }

    /// Parameters `[w.., b]` fitted to the scaled target -> those of the target itself (`b`
    /// present when `intercept`).
    pub fn to_original(&self, p: &mut [f64], intercept: bool) {
        p.iter_mut().for_each(|v| *v *= self.scale);
        if intercept {
            if let Some(b) = p.last_mut() {
                *b += self.mean;
            }
        }
    }

    /// The inverse of [`to_original`](Self::to_original).
    pub fn to_scaled(&self, p: &mut [f64], intercept: bool) {
        if intercept {
            if let Some(b) = p.last_mut() {
                *b -= self.mean;
            }
        }
        p.iter_mut().for_each(|v| *v /= self.scale);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_to_zero_mean_unit_variance_and_back() {
        let y = [1e6 + 1.0, 1e6 + 3.0, 1e6 + 5.0, 1e6 + 7.0];
        let t = TargetScale::fit(&y, true);
        assert_eq!(t.mean, 1e6 + 4.0);
        assert!((t.scale - 5f64.sqrt()).abs() < 1e-12);
        let mut z = y;
        t.transform(&mut z);
        assert!(z.iter().sum::<f64>().abs() < 1e-12);
        assert!((z.iter().map(|v| v * v).sum::<f64>() / 4.0 - 1.0).abs() < 1e-12);
        t.inverse_transform(&mut z);
        for (a, b) in z.iter().zip(&y) {
            assert!((a - b).abs() <= 1e-9, "{a} {b}");
        }
        // A fit y' = 2 x' + 0.5 is y = 2 s x' + (0.5 s + mean).
        let mut p = [2.0, 0.5];
        t.to_original(&mut p, true);
        assert_eq!(p, [2.0 * t.scale, 0.5 * t.scale + t.mean]);
        t.to_scaled(&mut p, true);
        assert!((p[0] - 2.0).abs() < 1e-15 && (p[1] - 0.5).abs() < 1e-9);
    }

    #[test]
    fn constant_or_uncentred_targets() {
        assert_eq!(TargetScale::fit(&[3.0; 5], true).scale, 1.0);
        assert_eq!(TargetScale::fit(&[3.0; 5], true).mean, 3.0);
        let t = TargetScale::fit(&[3.0, -3.0], false);
        assert_eq!((t.mean, t.scale), (0.0, 3.0));
        assert_eq!(TargetScale::fit(&[], true), TargetScale::IDENTITY);
    }
}
