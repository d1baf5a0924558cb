//! Clipping to the plotted rectangle: plotters draws whatever it is given, even over the
//! axes, so lines that leave the plot are cut here first.

/// An axis-aligned rectangle in data coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rect {
    pub x: (f64, f64),
    pub y: (f64, f64),
}

impl Rect {
    pub fn contains(&self, (x, y): (f64, f64)) -> bool {
        self.x.0 <= x && x <= self.x.1 && self.y.0 <= y && y <= self.y.1
    }
}

/// The part of the segment a-b inside `r` (Liang-Barsky), None if it misses.
pub(crate) fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    r: &Rect,
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - r.x.0),
        (dx, r.x.1 - a.0),
        (-dy, a.1 - r.y.0),
        (dy, r.y.1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    if !(t0 <= t1) {
        return None;
    }
    let at = |t: f64| (a.0 + t * dx, a.1 + t * dy);
    Some((at(t0), at(t1)))
}

/// The pieces of a polyline inside `r`. Non-finite points break the line.
pub(crate) fn clip_polyline(points: &[(f64, f64)], r: &Rect) -> Vec<Vec<(f64, f64)>> {
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let clipped = if finite(&a) && finite(&b) {
            clip_segment(a, b, r)
        } else {
            None
        };
        match clipped {
            Some((p, q)) => {
                if current.last() != Some(&p) {
                    if !current.is_empty() {
                        pieces.push(std::mem::take(&mut current));
                    }
                    current.push(p);
                }
                current.push(q);
            }
            None => {
                if !current.is_empty() {
                    pieces.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    // A lone point inside still deserves to be seen (a one-step path).
    if points.len() == 1 && finite(&points[0]) && r.contains(points[0]) {
        pieces.push(vec![points[0]]);
    }
    pieces
}

/// The corners of `r` where `w.p + b >= 0` (or `<= 0` with `positive` false), as a polygon
/// (Sutherland-Hodgman against one half-plane); empty if none of `r` is on that side.
pub(crate) fn half_plane(r: &Rect, w: [f64; 2], b: f64, positive: bool) -> Vec<(f64, f64)> {
    let sign = if positive { 1.0 } else { -1.0 };
    let side = |p: (f64, f64)| sign * (w[0] * p.0 + w[1] * p.1 + b);
    let corners = [
        (r.x.0, r.y.0),
        (r.x.1, r.y.0),
        (r.x.1, r.y.1),
        (r.x.0, r.y.1),
    ];
    let mut out = Vec::new();
    for k in 0..4 {
        let a = corners[k];
        let c = corners[(k + 1) % 4];
        let (sa, sc) = (side(a), side(c));
        if sa >= 0.0 {
            out.push(a);
        }
        if (sa >= 0.0) != (sc >= 0.0) {
            let t = sa / (sa - sc);
            out.push((a.0 + t * (c.0 - a.0), a.1 + t * (c.1 - a.1)));
        }
    }
    out
}

/// The part of the line `w.p + b = 0` inside `r`, None if it misses (or `w` is zero).
pub(crate) fn line_in_rect(r: &Rect, w: [f64; 2], b: f64) -> Option<((f64, f64), (f64, f64))> {
    if !(w[0].is_finite() && w[1].is_finite() && b.is_finite()) || (w[0] == 0.0 && w[1] == 0.0) {
        return None;
    }
    // Two far-apart points of the line, then clip: the line through the rectangle's centre
    // direction (-w1, w0), long enough to cross it whole.
    let centre = (0.5 * (r.x.0 + r.x.1), 0.5 * (r.y.0 + r.y.1));
    let n2 = w[0] * w[0] + w[1] * w[1];
    let s = (w[0] * centre.0 + w[1] * centre.1 + b) / n2;
    let foot = (centre.0 - s * w[0], centre.1 - s * w[1]);
    let len = (r.x.1 - r.x.0).hypot(r.y.1 - r.y.0);
    let n = n2.sqrt();
    let dir = (-w[1] / n, w[0] / n);
    clip_segment(
        (foot.0 - len * dir.0, foot.1 - len * dir.1),
        (foot.0 + len * dir.0, foot.1 + len * dir.1),
        r,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Rect = Rect {
        x: (0.0, 10.0),
        y: (0.0, 5.0),
    };

    #[test]
    fn segments_are_cut_at_the_edges() {
        assert_eq!(
            clip_segment((-5.0, 1.0), (15.0, 1.0), &R),
            Some(((0.0, 1.0), (10.0, 1.0)))
        );
        assert_eq!(clip_segment((-5.0, 6.0), (15.0, 6.0), &R), None);
        let inside = ((1.0, 1.0), (2.0, 2.0));
        assert_eq!(clip_segment(inside.0, inside.1, &R), Some(inside));
    }

    #[test]
    fn polyline_leaving_and_coming_back_is_two_pieces() {
        let p = [
            (1.0, 1.0),
            (5.0, 1.0),
            (5.0, 9.0),
            (6.0, 9.0),
            (6.0, 1.0),
            (8.0, 1.0),
        ];
        let pieces = clip_polyline(&p, &R);
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0], vec![(1.0, 1.0), (5.0, 1.0), (5.0, 5.0)]);
        assert_eq!(pieces[1], vec![(6.0, 5.0), (6.0, 1.0), (8.0, 1.0)]);
        let broken = [(1.0, 1.0), (f64::NAN, 1.0), (2.0, 2.0), (3.0, 3.0)];
        assert_eq!(
            clip_polyline(&broken, &R),
            vec![vec![(2.0, 2.0), (3.0, 3.0)]]
        );
        assert_eq!(clip_polyline(&[(1.0, 1.0)], &R), vec![vec![(1.0, 1.0)]]);
        assert!(clip_polyline(&[(11.0, 1.0)], &R).is_empty());
    }

    #[test]
    fn half_planes_split_the_rectangle() {
        // x = 4: left part has area 20, right part 30.
        let area = |poly: &[(f64, f64)]| {
            let n = poly.len();
            (0..n)
                .map(|k| {
                    let (a, b) = (poly[k], poly[(k + 1) % n]);
                    a.0 * b.1 - b.0 * a.1
                })
                .sum::<f64>()
                .abs()
                / 2.0
        };
        let right = half_plane(&R, [1.0, 0.0], -4.0, true);
        let left = half_plane(&R, [1.0, 0.0], -4.0, false);
        assert!((area(&right) - 30.0).abs() < 1e-9);
        assert!((area(&left) - 20.0).abs() < 1e-9);
        assert!(half_plane(&R, [1.0, 0.0], -40.0, true).is_empty());
    }

    #[test]
    fn decision_line_crosses_the_rectangle() {
        let (a, b) = line_in_rect(&R, [1.0, -1.0], 0.0).expect("y = x crosses");
        let mut ends = [a, b];
        ends.sort_by(|p, q| p.0.total_cmp(&q.0));
        assert!((ends[0].0).abs() < 1e-9 && (ends[0].1).abs() < 1e-9);
        assert!((ends[1].0 - 5.0).abs() < 1e-9 && (ends[1].1 - 5.0).abs() < 1e-9);
        assert!(line_in_rect(&R, [0.0, 0.0], 1.0).is_none());
        assert!(line_in_rect(&R, [1.0, 0.0], -20.0).is_none());
    }
}
