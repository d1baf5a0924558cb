//! The pictures' settings and what they share between `minimize` and `compare`: the size
//! and region flags, the region around paths that ran away, and the loss curves.

use crate::plot::{self, Bounds, Size};
use anyhow::{bail, Result};
use clap::Args;
use std::path::{Path, PathBuf};

/// The pictures of a descent (shared with `compare`).
#[derive(Debug, Args, Clone)]
pub struct Pictures {
    /// Draw the value per step (above the minimum, log scale, when it is known) to this
    /// SVG or PNG file.
    #[arg(long, value_name = "FILE.svg|png")]
    pub plot_loss: Option<PathBuf>,

    /// Draw the function's filled contours with the path of steps over them (two
    /// variables).
    #[arg(long, value_name = "FILE.svg|png")]
    pub plot_surface: Option<PathBuf>,

    /// Draw the function as a 3-D surface with the path of steps on it (two variables).
    #[arg(long = "plot-3d", value_name = "FILE.svg|png")]
    pub plot_3d: Option<PathBuf>,

    /// Size of the pictures in pixels.
    #[arg(long, value_name = "WxH", default_value = "900x700", value_parser = plot_size)]
    pub plot_size: Size,

    /// The region of the surface pictures [default: around the start, the steps and the
    /// minima].
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        value_name = "XMIN,XMAX,YMIN,YMAX"
    )]
    pub bounds: Option<Vec<f64>>,
}

impl Pictures {
    /// Checks the file names and the region before any run.
    pub fn check(&self, surface_ok: impl Fn(&str) -> Result<()>) -> Result<()> {
        check_picture(self.plot_loss.as_deref())?;
        check_picture(self.plot_surface.as_deref())?;
        check_picture(self.plot_3d.as_deref())?;
        if self.plot_surface.is_some() {
            surface_ok("--plot-surface")?;
        }
        if self.plot_3d.is_some() {
            surface_ok("--plot-3d")?;
        }
        bounds(self.bounds.as_deref())?;
        Ok(())
    }
}

/// Parses `--plot-size WIDTHxHEIGHT`.
pub fn plot_size(s: &str) -> Result<Size, String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("'{s}' is not WIDTHxHEIGHT, e.g. 900x700"))?;
    let px = |v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| format!("'{s}' is not WIDTHxHEIGHT in pixels, e.g. 900x700"))
    };
    Ok(Size {
        width: px(w)?,
        height: px(h)?,
    })
}

/// Checks `--bounds XMIN,XMAX,YMIN,YMAX`.
pub fn bounds(b: Option<&[f64]>) -> Result<Option<Bounds>> {
    let Some(b) = b else { return Ok(None) };
    if b.len() != 4 {
        bail!(
            "--bounds: give XMIN,XMAX,YMIN,YMAX (4 numbers), not {}",
            b.len()
        );
    }
    if !(b.iter().all(|v| v.is_finite()) && b[0] < b[1] && b[2] < b[3]) {
        bail!("--bounds: {b:?} is not two finite increasing ranges XMIN,XMAX,YMIN,YMAX");
    }
    Ok(Some(Bounds {
        x: (b[0], b[1]),
        y: (b[2], b[3]),
    }))
}

/// Checks a picture's file name before a long run, so a typo does not waste it.
pub fn check_picture(path: Option<&Path>) -> Result<()> {
    if let Some(p) = path {
        plot::Format::of(p)?;
    }
    Ok(())
}

/// The region a surface picture shows: `None` (the plot module's choice around the paths
/// and minima) unless some path ran away (`true` beside it: a run that diverged or found
/// no bottom). Then the region is the one around the anchors (start, minima), the other
/// paths and the runaway steps that stayed near them (within twice their scale), and the
/// runaway part leaves the picture at its edge. `same_units`: x and y are in the same units
/// (a function's variables), so the short side is widened to a third of the long one as
/// the plot module does; otherwise (a weight and an intercept) each axis is sized on its
/// own, and a region is always given.
pub fn region(
    anchors: &[(f64, f64)],
    paths: &[(&[(f64, f64)], bool)],
    same_units: bool,
) -> Option<Bounds> {
    let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let calm: Vec<(f64, f64)> = anchors
        .iter()
        .copied()
        .chain(
            paths
                .iter()
                .filter(|(_, runaway)| !runaway)
                .flat_map(|(p, _)| p.iter().copied()),
        )
        .filter(finite)
        .collect();
    let any_runaway = paths.iter().any(|(p, runaway)| *runaway && p.len() > 1);
    if same_units && !any_runaway {
        return None;
    }
    let (ax, ay) = (
        range(calm.iter().map(|p| p.0))?,
        range(calm.iter().map(|p| p.1))?,
    );
    let magnitude = |r: (f64, f64)| r.0.abs().max(r.1.abs()).max(1.0);
    let (sx, sy) = if same_units {
        let s = (ax.1 - ax.0)
            .max(ay.1 - ay.0)
            .max(magnitude(ax))
            .max(magnitude(ay));
        (s, s)
    } else {
        let scale = |r: (f64, f64)| {
            let w = r.1 - r.0;
            if w > 0.0 {
                w
            } else {
                magnitude(r)
            }
        };
        (scale(ax), scale(ay))
    };
    let allowed = |p: &(f64, f64)| {
        p.0 >= ax.0 - 2.0 * sx
            && p.0 <= ax.1 + 2.0 * sx
            && p.1 >= ay.0 - 2.0 * sy
            && p.1 <= ay.1 + 2.0 * sy
    };
    let kept: Vec<(f64, f64)> = paths
        .iter()
        .filter(|(_, runaway)| *runaway)
        .flat_map(|(p, _)| p.iter().copied())
        .filter(|p| finite(p) && allowed(p))
        .chain(calm.iter().copied())
        .collect();
    let mut x = range(kept.iter().map(|p| p.0))?;
    let mut y = range(kept.iter().map(|p| p.1))?;
    if same_units {
        // Square: what matters is the landscape the paths ran off into, all around.
        let (wx, wy) = (x.1 - x.0, y.1 - y.0);
        let widen = |(lo, hi): (f64, f64), w: f64, other: f64| {
            let want = other.max(1e-9);
            if w < want {
                let c = 0.5 * (lo + hi);
                (c - 0.5 * want, c + 0.5 * want)
            } else {
                (lo, hi)
            }
        };
        x = widen(x, wx, wy);
        y = widen(y, wy, wx);
    } else {
        let open = |(lo, hi): (f64, f64)| {
            if hi > lo {
                (lo, hi)
            } else {
                let d = 0.5 * lo.abs().max(1.0);
                (lo - d, hi + d)
            }
        };
        x = open(x);
        y = open(y);
    }
    let pad = |(lo, hi): (f64, f64)| {
        let m = 0.15 * (hi - lo);
        (lo - m, hi + m)
    };
    Some(Bounds {
        x: pad(x),
        y: pad(y),
    })
}

fn range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |r, v| match r {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// What a loss chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossScale {
    /// The value after each step.
    Value,
    /// The value minus the known minimum, on a log axis.
    AboveMinimum,
    /// How far the value fell below the start, on a log axis: for a function unbounded
    /// below, whose values run to -inf and would flatten every other curve.
    Fall,
}

impl LossScale {
    /// Appended to a series' name in the legend.
    pub fn suffix(self) -> &'static str {
        match self {
            LossScale::Value => "",
            LossScale::AboveMinimum => ": value - minimum",
            LossScale::Fall => ": fall below the start",
        }
    }
}

/// The curves of a loss chart, one per run (the value after each step; the start alone for
/// a run of no step): above the known minimum when there is one and every run has a step
/// above it (a log axis has no 0, so steps at the minimum to the last bit are left out),
/// the fall below the start when some run found no bottom, else the values.
pub fn loss_curves(
    runs: &[&[f64]],
    min: Option<f64>,
    unbounded: bool,
) -> (Vec<Vec<f64>>, LossScale) {
    let after = |values: &[f64]| -> Vec<f64> {
        if values.len() > 1 {
            values[1..].to_vec()
        } else {
            values.to_vec()
        }
    };
    let positive = |v: f64| if v > 0.0 { v } else { f64::NAN };
    let all_drawable = |curves: &[Vec<f64>]| curves.iter().all(|c| c.iter().any(|v| v.is_finite()));
    if let (Some(m), false) = (min, unbounded) {
        let above: Vec<Vec<f64>> = runs
            .iter()
            .map(|v| after(v).into_iter().map(|x| positive(x - m)).collect())
            .collect();
        if all_drawable(&above) {
            return (above, LossScale::AboveMinimum);
        }
    }
    if unbounded {
        let fall: Vec<Vec<f64>> = runs
            .iter()
            .map(|v| {
                let f0 = v.first().copied().unwrap_or(f64::NAN);
                after(v).into_iter().map(|x| positive(f0 - x)).collect()
            })
            .collect();
        if all_drawable(&fall) {
            return (fall, LossScale::Fall);
        }
    }
    (runs.iter().map(|v| after(v)).collect(), LossScale::Value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_drops_runaway_steps() {
        let calm = [(1.0, 1.0), (0.5, 0.5)];
        assert!(region(&[(1.0, 1.0)], &[(&calm, false)], true).is_none());
        // Within twice the anchors' scale (1 here) a runaway step counts; beyond, not.
        let wild = [(1.0, 1.0), (2.5, 2.5), (1e10, 1e10)];
        let b = region(&[(1.0, 1.0), (0.0, 0.0)], &[(&wild, true)], true).unwrap();
        assert!(b.x.1 > 2.5 && b.x.1 < 3.0, "{b:?}");
        assert_eq!(b.x, b.y, "square");
        // A calm path far out widens the region; it is never cut.
        let far = [(1.0, 1.0), (-20.0, 1.0)];
        let b = region(&[(1.0, 1.0)], &[(&wild, true), (&far, false)], true).unwrap();
        assert!(b.x.0 < -20.0, "{b:?}");
    }
}
