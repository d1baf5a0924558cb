//! What plotters lacks for contour plots: a sampled grid, a colour scale that shows
//! valleys (log of the cost above its minimum), and iso-lines by marching squares.

use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use std::collections::HashMap;

/// `f` sampled at the nodes of a regular grid.
pub(crate) struct Grid {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Row-major: `values[j * x.len() + i]` is `f(x[i], y[j])`.
    pub values: Vec<f64>,
}

impl Grid {
    /// Samples `f` on `nx` x `ny` nodes spanning `x` and `y` (both ends included).
    pub fn sample(
        f: &dyn Fn(f64, f64) -> f64,
        x: (f64, f64),
        y: (f64, f64),
        nx: usize,
        ny: usize,
    ) -> Grid {
        let axis = |(lo, hi): (f64, f64), n: usize| -> Vec<f64> {
            (0..n)
                .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
                .collect()
        };
        let xs = axis(x, nx.max(2));
        let ys = axis(y, ny.max(2));
        let values = ys
            .iter()
            .flat_map(|&yv| xs.iter().map(move |&xv| (xv, yv)))
            .map(|(xv, yv)| f(xv, yv))
            .collect();
        Grid {
            x: xs,
            y: ys,
            values,
        }
    }

    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.values[j * self.x.len() + i]
    }
}

/// Maps costs to [0, 1] for colouring: `log(v - min + delta)`, scaled, with `delta` chosen
/// from the data so that the median cost lands mid-scale. Heavy-tailed surfaces (a narrow
/// valley among steep walls, like Rosenbrock's) get a strongly logarithmic scale and show
/// their valley; evenly spread ones (a saddle) get a nearly linear one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ColourScale {
    lo: f64,
    span: f64,
    /// As a fraction of `span`; `None` means linear.
    delta: Option<f64>,
}

impl ColourScale {
    /// Linear over 0..1.
    pub const UNIT: ColourScale = ColourScale {
        lo: 0.0,
        span: 1.0,
        delta: None,
    };

    /// Fits the scale to the finite values; None if there are none.
    pub fn fit(values: &[f64]) -> Option<ColourScale> {
        let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if finite.is_empty() {
            return None;
        }
        finite.sort_by(f64::total_cmp);
        let lo = finite[0];
        let hi = finite[finite.len() - 1];
        let span = hi - lo;
        if !(span > 0.0) || !span.is_finite() {
            return Some(ColourScale {
                lo,
                span: if span.is_finite() && span > 0.0 {
                    span
                } else {
                    1.0
                },
                delta: None,
            });
        }
        let median = (finite[finite.len() / 2] - lo) / span;
        // t(m) = 1/2 for t(u) = ln(1 + u/d) / ln(1 + 1/d) gives d = m^2 / (1 - 2m). A
        // median above 0.4 is spread evenly enough for a linear scale; the floor on d
        // keeps a lone spike from squashing everything else into one colour.
        let delta = (median < 0.4).then(|| (median * median / (1.0 - 2.0 * median)).max(1e-6));
        Some(ColourScale { lo, span, delta })
    }

    /// Where `v` falls on the scale, in [0, 1] (clamped); NaN for NaN.
    pub fn t(&self, v: f64) -> f64 {
        let u = ((v - self.lo) / self.span).clamp(0.0, 1.0);
        match self.delta {
            None => u,
            Some(d) => (u / d).ln_1p() / (1.0 / d).ln_1p(),
        }
    }

    /// The cost at position `t` of the scale (the inverse of [`ColourScale::t`]).
    pub fn value(&self, t: f64) -> f64 {
        let u = match self.delta {
            None => t,
            Some(d) => d * (t * (1.0 / d).ln_1p()).exp_m1(),
        };
        self.lo + u * self.span
    }

    /// True when the scale is logarithmic (for the colour bar's title).
    pub fn is_log(&self) -> bool {
        self.delta.is_some()
    }
}

/// How many colour bands the filled contours have; iso-lines are drawn between them.
pub(crate) const BANDS: usize = 16;

/// The band (0..BANDS) of a position `t` on the colour scale, None for NaN.
pub(crate) fn band(t: f64) -> Option<usize> {
    if t.is_nan() {
        return None;
    }
    Some(((t * BANDS as f64) as usize).min(BANDS - 1))
}

/// The colour of a position on the scale: viridis, dark valleys and bright peaks.
pub(crate) fn colour(t: f64) -> RGBColor {
    ViridisRGB::get_color(t.clamp(0.0, 1.0))
}

/// The colour of a band: the colour at its middle.
pub(crate) fn band_colour(b: usize) -> RGBColor {
    colour((b as f64 + 0.5) / BANDS as f64)
}

/// Colour for cells where the cost is NaN or infinite: clearly "no value", not a level.
pub(crate) const NO_VALUE: RGBColor = RGBColor(200, 200, 200);

/// Colour for cells where the cost is +inf: a pale orange, off viridis' scale.
pub(crate) const INFINITE: RGBColor = RGBColor(255, 214, 170);

/// The iso-lines of `grid` at `level`, as polylines in data coordinates (marching squares
/// with linear interpolation; cells with a non-finite corner are skipped).
pub(crate) fn isolines(grid: &Grid, level: f64) -> Vec<Vec<(f64, f64)>> {
    let nx = grid.x.len();
    let ny = grid.y.len();
    // Each crossing lies on a grid edge; an edge is named by its lower-left node and its
    // direction, so the two cells sharing an edge name the same point and segments can be
    // chained into polylines.
    type Edge = (usize, usize, bool); // (i, j, vertical)
    let point = |(i, j, vertical): Edge| -> (f64, f64) {
        let (i2, j2) = if vertical { (i, j + 1) } else { (i + 1, j) };
        let a = grid.at(i, j);
        let b = grid.at(i2, j2);
        let s = if b != a { (level - a) / (b - a) } else { 0.5 };
        let s = s.clamp(0.0, 1.0);
        (
            grid.x[i] + s * (grid.x[i2] - grid.x[i]),
            grid.y[j] + s * (grid.y[j2] - grid.y[j]),
        )
    };
    let mut segments: Vec<(Edge, Edge)> = Vec::new();
    for j in 0..ny.saturating_sub(1) {
        for i in 0..nx.saturating_sub(1) {
            let v = [
                grid.at(i, j),
                grid.at(i + 1, j),
                grid.at(i + 1, j + 1),
                grid.at(i, j + 1),
            ];
            if v.iter().any(|x| !x.is_finite()) {
                continue;
            }
            let above = |k: usize| usize::from(v[k] >= level);
            let case = above(0) | above(1) << 1 | above(2) << 2 | above(3) << 3;
            let bottom = (i, j, false);
            let right = (i + 1, j, true);
            let top = (i, j + 1, false);
            let left = (i, j, true);
            let centre_above = (v[0] + v[1] + v[2] + v[3]) / 4.0 >= level;
            match case {
                0 | 15 => {}
                1 | 14 => segments.push((left, bottom)),
                2 | 13 => segments.push((bottom, right)),
                3 | 12 => segments.push((left, right)),
                4 | 11 => segments.push((right, top)),
                6 | 9 => segments.push((bottom, top)),
                7 | 8 => segments.push((left, top)),
                // Saddle cells: the centre decides which corners are connected.
                5 => {
                    if centre_above {
                        segments.push((left, top));
                        segments.push((bottom, right));
                    } else {
                        segments.push((left, bottom));
                        segments.push((right, top));
                    }
                }
                10 => {
                    if centre_above {
                        segments.push((left, bottom));
                        segments.push((right, top));
                    } else {
                        segments.push((left, top));
                        segments.push((bottom, right));
                    }
                }
                _ => unreachable!("a case has 4 bits"),
            }
        }
    }
    chain(segments)
        .into_iter()
        .map(|edges| edges.into_iter().map(point).collect())
        .collect()
}

/// Joins segments that share an end into polylines (fewer, longer lines: a much smaller
/// SVG than one element per segment).
fn chain<E: Copy + Eq + std::hash::Hash>(segments: Vec<(E, E)>) -> Vec<Vec<E>> {
    let mut at: HashMap<E, Vec<usize>> = HashMap::new();
    for (k, &(a, b)) in segments.iter().enumerate() {
        at.entry(a).or_default().push(k);
        at.entry(b).or_default().push(k);
    }
    let mut used = vec![false; segments.len()];
    let mut lines = Vec::new();
    // The unused segment at `e`, other than those already taken.
    let next = |e: E, used: &[bool]| -> Option<usize> {
        at.get(&e)
            .and_then(|ks| ks.iter().copied().find(|&k| !used[k]))
    };
    for start in 0..segments.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let (a, b) = segments[start];
        let mut line = std::collections::VecDeque::from([a, b]);
        // Grow forwards from b, then backwards from a.
        for forwards in [true, false] {
            loop {
                let end = if forwards {
                    line[line.len() - 1]
                } else {
                    line[0]
                };
                let Some(k) = next(end, &used) else { break };
                used[k] = true;
                let (p, q) = segments[k];
                let other = if p == end { q } else { p };
                if forwards {
                    line.push_back(other);
                } else {
                    line.push_front(other);
                }
            }
        }
        lines.push(line.into_iter().collect());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circle_isoline_is_one_closed_ring_at_the_right_radius() {
        let f = |x: f64, y: f64| x * x + y * y;
        let grid = Grid::sample(&f, (-2.0, 2.0), (-2.0, 2.0), 81, 81);
        let lines = isolines(&grid, 1.0);
        assert_eq!(lines.len(), 1, "one ring");
        let ring = &lines[0];
        assert_eq!(ring[0], ring[ring.len() - 1], "closed");
        assert!(ring.len() > 40);
        for &(x, y) in ring {
            let r = x.hypot(y);
            assert!((r - 1.0).abs() < 0.01, "r = {r}");
        }
    }

    #[test]
    fn saddle_isolines_are_four_open_arms() {
        // x^2 - y^2 = 1 has two branches, each cut by the grid's edges into an open line.
        let f = |x: f64, y: f64| x * x - y * y;
        let grid = Grid::sample(&f, (-3.0, 3.0), (-3.0, 3.0), 61, 61);
        let lines = isolines(&grid, 1.0);
        assert_eq!(lines.len(), 2);
        for line in &lines {
            assert_ne!(line[0], line[line.len() - 1], "open");
            for &(x, y) in line {
                assert!((x * x - y * y - 1.0).abs() < 0.05);
            }
        }
    }

    #[test]
    fn non_finite_cells_are_skipped() {
        let f = |x: f64, y: f64| {
            if x > 0.0 {
                f64::NAN
            } else {
                x * x + y * y
            }
        };
        let grid = Grid::sample(&f, (-2.0, 2.0), (-2.0, 2.0), 41, 41);
        let lines = isolines(&grid, 1.0);
        assert!(!lines.is_empty());
        for line in &lines {
            for &(x, _) in line {
                assert!(x <= 0.0);
            }
        }
    }

    #[test]
    fn colour_scale_is_log_for_valleys_and_linear_for_even_spreads() {
        let rosenbrock = |x: f64, y: f64| (1.0 - x) * (1.0 - x) + 100.0 * (y - x * x) * (y - x * x);
        let grid = Grid::sample(&rosenbrock, (-2.0, 2.0), (-1.0, 3.0), 50, 50);
        let s = ColourScale::fit(&grid.values).expect("finite values");
        assert!(s.is_log());
        // The valley floor (cost < 1) and a wall (cost 100) are far apart in colour,
        // though 1% of the range apart in value.
        assert!(s.t(100.0) - s.t(1.0) > 0.2, "{} {}", s.t(1.0), s.t(100.0));
        for t in [0.0, 0.1, 0.5, 0.9, 1.0] {
            assert!((s.t(s.value(t)) - t).abs() < 1e-9);
        }
        let plane = |x: f64, _y: f64| x;
        let grid = Grid::sample(&plane, (0.0, 1.0), (0.0, 1.0), 11, 11);
        let s = ColourScale::fit(&grid.values).expect("finite values");
        assert!(!s.is_log());
        assert!((s.t(0.25) - 0.25).abs() < 1e-12);
        assert!(ColourScale::fit(&[f64::NAN, f64::INFINITY]).is_none());
        // A constant surface still has a scale.
        let s = ColourScale::fit(&[2.0, 2.0]).expect("finite values");
        assert_eq!(s.t(2.0), 0.0);
    }

    #[test]
    fn bands_cover_the_scale() {
        assert_eq!(band(0.0), Some(0));
        assert_eq!(band(1.0), Some(BANDS - 1));
        assert_eq!(band(f64::NAN), None);
        assert_ne!(band_colour(0), band_colour(BANDS - 1));
    }
}
