//! Thinning long paths so that a picture of a million-step run stays small and fast.

/// Thins `path` to at most `max_points` points (at least 2), keeping the first and the last.
///
/// A path that already fits is returned unchanged. Otherwise points that moved less than a
/// pixel-scale distance (1/1000 of the path's extent, each axis scaled to its own range)
/// from the last kept point are dropped first, since they are invisible; if that is not
/// enough, the rest is subsampled uniformly.
pub fn thin(path: &[(f64, f64)], max_points: usize) -> Vec<(f64, f64)> {
    let max_points = max_points.max(2);
    if path.len() <= max_points {
        return path.to_vec();
    }
    let (sx, sy) = extent(path);
    // Scale each axis to its range, so that the test is in "picture units" whatever the
    // units of x and y (a loss curve has epochs on x and costs on y).
    let scale = |d: f64, s: f64| if s > 0.0 { d / s } else { 0.0 };
    let min_step = 1e-3;
    let mut kept = vec![path[0]];
    let last = path.len() - 1;
    for &p in &path[1..last] {
        let q = kept[kept.len() - 1];
        let dx = scale(p.0 - q.0, sx);
        let dy = scale(p.1 - q.1, sy);
        // Non-finite points are kept: dropping them would hide a divergence.
        if !(dx.hypot(dy) < min_step) {
            kept.push(p);
        }
    }
    // The last point counts even if it did not move (without doubling it).
    if kept[kept.len() - 1] != path[last] {
        kept.push(path[last]);
    }
    if kept.len() <= max_points {
        return kept;
    }
    uniform(&kept, max_points)
}

/// Picks `max_points` (>= 2) points spread evenly by index, first and last included.
pub(crate) fn uniform<T: Copy>(items: &[T], max_points: usize) -> Vec<T> {
    let n = items.len();
    let m = max_points.max(2);
    if n <= m {
        return items.to_vec();
    }
    (0..m)
        .map(|i| items[((i as f64) * ((n - 1) as f64) / ((m - 1) as f64)).round() as usize])
        .collect()
}

/// The width and height of the finite points' bounding box.
fn extent(path: &[(f64, f64)]) -> (f64, f64) {
    let mut lo = (f64::INFINITY, f64::INFINITY);
    let mut hi = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for &(x, y) in path.iter().filter(|p| p.0.is_finite() && p.1.is_finite()) {
        lo = (lo.0.min(x), lo.1.min(y));
        hi = (hi.0.max(x), hi.1.max(y));
    }
    let w = hi.0 - lo.0;
    let h = hi.1 - lo.1;
    (
        if w.is_finite() { w } else { 0.0 },
        if h.is_finite() { h } else { 0.0 },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spiral(n: usize) -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| {
                let t = i as f64 / n as f64 * 20.0;
                ((-0.1 * t).exp() * t.cos(), (-0.1 * t).exp() * t.sin())
            })
            .collect()
    }

    #[test]
    fn short_path_is_unchanged() {
        let p = vec![(0.0, 0.0), (0.0, 0.0), (1.0, 2.0), (1.0, 2.0)];
        assert_eq!(thin(&p, 10), p);
        assert_eq!(thin(&p, 4), p);
        assert!(thin(&[], 10).is_empty());
    }

    #[test]
    fn keeps_first_and_last_and_caps_the_count() {
        let p = spiral(1_000_000);
        for max in [2, 3, 100, 5_000] {
            let t = thin(&p, max);
            assert!(t.len() <= max, "{} > {max}", t.len());
            assert!(t.len() >= 2);
            assert_eq!(t[0], p[0]);
            assert_eq!(t[t.len() - 1], p[p.len() - 1]);
        }
        // A silly cap still keeps both ends.
        let t = thin(&p, 0);
        assert_eq!(t, vec![p[0], p[p.len() - 1]]);
    }

    #[test]
    fn drops_standing_still_before_subsampling() {
        // 10 real moves, each followed by many repeats of the same point: a converged run.
        let mut p = Vec::new();
        for i in 0..10 {
            for _ in 0..1000 {
                p.push((i as f64, (i * i) as f64));
            }
        }
        let t = thin(&p, 100);
        // Every distinct point survives, in order, with the last point kept.
        let expected: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, (i * i) as f64)).collect();
        assert_eq!(t, expected);
    }

    #[test]
    fn uniform_subsample_is_evenly_spread() {
        let items: Vec<usize> = (0..101).collect();
        assert_eq!(uniform(&items, 5), vec![0, 25, 50, 75, 100]);
        assert_eq!(uniform(&items, 200), items);
    }
}
