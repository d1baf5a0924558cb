//! Cost surfaces with the paths of steps over them: filled contours seen from above, and a
//! 3-D view.

use super::contour::{self, ColourScale, Grid, BANDS, INFINITE, NO_VALUE};
use super::geom::{clip_polyline, Rect};
use super::render::{
    finite_range, font, pad, quiet_corner, render, short_number, Scene, Size, AXIS_DESC_SIZE,
    LEGEND_SIZE, TICK_LABEL_SIZE,
};
use super::thin::thin;
use super::MAX_POINTS;
use anyhow::{ensure, Result};
use plotters::coord::cartesian::Cartesian3d;
use plotters::coord::ranged3d::ProjectionMatrixBuilder;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::ComposedElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// The plotted region of the (x, y) plane.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    pub x: (f64, f64),
    pub y: (f64, f64),
}

impl Bounds {
    fn check(&self) -> Result<()> {
        for (name, (lo, hi)) in [("x", self.x), ("y", self.y)] {
            ensure!(
                lo.is_finite() && hi.is_finite() && lo < hi,
                "the {name} range of a surface must be finite and increasing, not {lo}..{hi}"
            );
        }
        Ok(())
    }

    /// A region around the paths' points and the minima, with a margin, so the descent
    /// is seen whole with the landscape around it.
    fn around(points: impl IntoIterator<Item = (f64, f64)>) -> Bounds {
        let pts: Vec<(f64, f64)> = points
            .into_iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .collect();
        let Some(x) = finite_range(pts.iter().map(|p| p.0)) else {
            // Nothing to go by: the unit square around the origin.
            return Bounds {
                x: (-1.0, 1.0),
                y: (-1.0, 1.0),
            };
        };
        let y = finite_range(pts.iter().map(|p| p.1)).unwrap_or(x);
        // A path along one axis would give a sliver: make the short side at least a third
        // of the long one, so the landscape across the path shows too.
        let (wx, wy) = (x.1 - x.0, y.1 - y.0);
        let widen = |(lo, hi): (f64, f64), w: f64, other: f64| {
            let want = other / 3.0;
            if w < want {
                let c = 0.5 * (lo + hi);
                (c - 0.5 * want, c + 0.5 * want)
            } else {
                (lo, hi)
            }
        };
        let x = widen(x, wx, wy);
        let y = widen(y, wy, wx);
        Bounds {
            x: pad(x.0, x.1, 0.15),
            y: pad(y.0, y.1, 0.15),
        }
    }

    fn rect(&self) -> Rect {
        Rect {
            x: self.x,
            y: self.y,
        }
    }
}

/// A path of steps, named for the legend (e.g. the optimizer).
#[derive(Clone, Copy, Debug)]
pub struct NamedPath<'a> {
    pub name: &'a str,
    pub points: &'a [(f64, f64)],
}

/// What both views draw: the region, the thinned paths and the minima inside the region.
struct Prepared<'a> {
    bounds: Bounds,
    paths: Vec<(&'a str, Vec<(f64, f64)>)>,
    minima: Vec<(f64, f64)>,
    labels: (&'a str, &'a str),
}

fn prepare<'a>(
    bounds: Option<Bounds>,
    paths: &[NamedPath<'a>],
    minima: &[(f64, f64)],
    labels: (&'a str, &'a str),
) -> Result<Prepared<'a>> {
    let bounds = match bounds {
        Some(b) => b,
        None => Bounds::around(
            paths
                .iter()
                .flat_map(|p| p.points.iter().copied())
                .chain(minima.iter().copied()),
        ),
    };
    bounds.check()?;
    let paths = paths
        .iter()
        .map(|p| {
            // A diverged run's NaN/inf steps cannot be drawn; the finite part still tells.
            let finite: Vec<(f64, f64)> = p
                .points
                .iter()
                .copied()
                .filter(|q| q.0.is_finite() && q.1.is_finite())
                .collect();
            (p.name, thin(&finite, MAX_POINTS))
        })
        .collect();
    let minima = minima
        .iter()
        .copied()
        .filter(|&m| bounds.rect().contains(m))
        .collect();
    Ok(Prepared {
        bounds,
        paths,
        minima,
        labels,
    })
}

/// Draws `f` as filled contours over `bounds` (chosen from the paths and minima when None),
/// with each path of steps over it: start marked by a circle, end by a cross, known
/// minima by stars. Colours follow the log of the cost above its minimum, so narrow
/// valleys show.
pub fn surface(
    path: &Path,
    size: Size,
    f: &dyn Fn(f64, f64) -> f64,
    bounds: Option<Bounds>,
    paths: &[NamedPath],
    minima: &[(f64, f64)],
    labels: (&str, &str),
) -> Result<()> {
    let p = prepare(bounds, paths, minima, labels)?;
    // 200 x 150 cells: finer than the eye needs at 900 px, coarse enough to be quick.
    let grid = Grid::sample(f, p.bounds.x, p.bounds.y, 201, 151);
    let scale = ColourScale::fit(&grid.values);
    render(path, size, &Contours { p, grid, scale })
}

/// Draws `f` as a 3-D surface over `bounds` with the paths of steps on it; heights (and
/// colours) follow the same log scale as [`surface`], so valleys show.
pub fn surface_3d(
    path: &Path,
    size: Size,
    f: &dyn Fn(f64, f64) -> f64,
    bounds: Option<Bounds>,
    paths: &[NamedPath],
    minima: &[(f64, f64)],
    labels: (&str, &str),
) -> Result<()> {
    let p = prepare(bounds, paths, minima, labels)?;
    // Each quad is a polygon: 60 x 60 keeps the SVG small and the shape smooth.
    let grid = Grid::sample(f, p.bounds.x, p.bounds.y, 61, 61);
    let scale = ColourScale::fit(&grid.values);
    let rect = p.bounds.rect();
    let heights = p
        .paths
        .iter()
        .map(|(_, pts)| drape(f, pts, &rect))
        .collect();
    let minima_heights = p.minima.iter().map(|&(x, y)| f(x, y)).collect();
    render(
        path,
        size,
        &Landscape {
            p,
            grid,
            scale,
            heights,
            minima_heights,
        },
    )
}

/// The path as (x, y, f(x, y)) points to draw on the 3-D surface. A straight segment
/// between two far-apart steps would cut through the hills between them, so long segments
/// get intermediate points that follow the surface (as the 2-D picture's straight segment
/// does from above). Points outside `rect` are dropped: there is no surface there.
fn drape(f: &dyn Fn(f64, f64) -> f64, pts: &[(f64, f64)], rect: &Rect) -> Vec<(f64, f64, f64)> {
    // About a grid cell of the 3-D surface per intermediate point; no more than this many
    // points in all, so a wild run cannot blow up the picture.
    const PER_SIDE: f64 = 60.0;
    const MOST: usize = 4 * MAX_POINTS;
    let (wx, wy) = (rect.x.1 - rect.x.0, rect.y.1 - rect.y.0);
    let mut out = Vec::new();
    for (k, &b) in pts.iter().enumerate() {
        if k > 0 && out.len() < MOST {
            let a = pts[k - 1];
            let span = ((b.0 - a.0).abs() / wx).max((b.1 - a.1).abs() / wy);
            let n = (span * PER_SIDE).ceil().min(PER_SIDE) as usize;
            for i in 1..n {
                let t = i as f64 / n as f64;
                let q = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
                if rect.contains(q) {
                    out.push((q.0, q.1, f(q.0, q.1)));
                }
            }
        }
        if rect.contains(b) {
            out.push((b.0, b.1, f(b.0, b.1)));
        }
    }
    out
}

/// Path line widths: a white halo under the coloured line keeps it visible on any colour.
const HALO: u32 = 6;
const LINE: u32 = 3;

/// Colours for paths over the surface: none of them is in viridis (the surface's colours),
/// so no path can blend into the landscape.
const PATH_COLOURS: [RGBColor; 6] = [
    RGBColor(220, 20, 60),
    RGBColor(255, 140, 0),
    RGBColor(0, 0, 0),
    RGBColor(255, 0, 255),
    RGBColor(139, 69, 19),
    RGBColor(128, 128, 128),
];

fn path_colour(k: usize) -> RGBColor {
    PATH_COLOURS[k % PATH_COLOURS.len()]
}
/// Up to this many steps, each step is also dotted, so single steps can be seen.
const DOTS_UP_TO: usize = 300;

fn star(size: f64) -> Vec<(i32, i32)> {
    (0..10)
        .map(|k| {
            let r = if k % 2 == 0 { size } else { 0.45 * size };
            let a = std::f64::consts::PI * (k as f64 / 5.0 - 0.5);
            ((r * a.cos()).round() as i32, (r * a.sin()).round() as i32)
        })
        .collect()
}

/// The element of a star marker: a polygon and its outline, at a point.
type Star<C, DB> = ComposedElement<C, DB, Polygon<(i32, i32)>, PathElement<(i32, i32)>>;

/// A known minimum: a white star with a black outline, visible on any colour.
fn star_marker<C, DB: DrawingBackend>(at: C) -> Star<C, DB> {
    let outline: Vec<(i32, i32)> = star(10.0);
    let mut closed = outline.clone();
    closed.push(outline[0]);
    EmptyElement::at(at)
        + Polygon::new(outline, WHITE.filled())
        + PathElement::new(closed, BLACK.stroke_width(1))
}

struct Contours<'a> {
    p: Prepared<'a>,
    grid: Grid,
    scale: Option<ColourScale>,
}

impl Scene for Contours<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let b = self.p.bounds;
        root.fill(&WHITE)?;
        let (w, _) = root.dim_in_pixel();
        let bar_width = 110.min(w / 4);
        let (main, bar) = root.split_horizontally(w - bar_width);
        let mut chart = ChartBuilder::on(&main)
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(b.x.0..b.x.1, b.y.0..b.y.1)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(self.p.labels.0)
            .y_desc(self.p.labels.1)
            .axis_desc_style(font(AXIS_DESC_SIZE))
            .label_style(font(TICK_LABEL_SIZE))
            .x_label_formatter(&|v| short_number(*v))
            .y_label_formatter(&|v| short_number(*v))
            .draw()?;

        // Filled contours: cells centred on the grid's nodes, each row's runs of one band
        // merged into one rectangle (far fewer SVG elements).
        let g = &self.grid;
        let (nx, ny) = (g.x.len(), g.y.len());
        let half = |v: &[f64], i: usize, up: bool| -> f64 {
            let n = v.len();
            if up {
                if i + 1 < n {
                    0.5 * (v[i] + v[i + 1])
                } else {
                    v[n - 1]
                }
            } else if i > 0 {
                0.5 * (v[i - 1] + v[i])
            } else {
                v[0]
            }
        };
        // A cell's colour: its band; +inf is a wall off the top of the scale and NaN (or
        // -inf) a hole, each in its own colour so neither passes for a level.
        let colour_of = |i: usize, j: usize| -> RGBColor {
            let v = g.at(i, j);
            match &self.scale {
                _ if v == f64::INFINITY => INFINITE,
                Some(s) if v.is_finite() => {
                    contour::band(s.t(v)).map_or(NO_VALUE, contour::band_colour)
                }
                _ => NO_VALUE,
            }
        };
        let mut cells = Vec::new();
        let (mut any_missing, mut any_infinite) = (false, false);
        for j in 0..ny {
            let (y0, y1) = (half(&g.y, j, false), half(&g.y, j, true));
            let mut i = 0;
            while i < nx {
                let colour = colour_of(i, j);
                let start = i;
                while i + 1 < nx && colour_of(i + 1, j) == colour {
                    i += 1;
                }
                any_missing |= colour == NO_VALUE;
                any_infinite |= colour == INFINITE;
                cells.push(Rectangle::new(
                    [(half(&g.x, start, false), y0), (half(&g.x, i, true), y1)],
                    colour.filled(),
                ));
                i += 1;
            }
        }
        chart.draw_series(cells)?;

        // Iso-lines between the bands.
        if let Some(s) = &self.scale {
            let mut lines = Vec::new();
            for k in 1..BANDS {
                let level = s.value(k as f64 / BANDS as f64);
                for line in contour::isolines(g, level) {
                    lines.push(PathElement::new(line, BLACK.mix(0.3).stroke_width(1)));
                }
            }
            chart.draw_series(lines)?;
        }

        for (shown, label, colour) in [
            (any_missing, "no value (NaN)", NO_VALUE),
            (any_infinite, "infinite cost", INFINITE),
        ] {
            if shown {
                chart
                    .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
                    .label(label)
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 6), (x + 18, y + 6)], colour.filled())
                    });
            }
        }
        draw_paths_2d(&mut chart, &self.p)?;
        legend(&mut chart, &self.p)?;

        if let Some(s) = &self.scale {
            colour_bar(&bar, s)?;
        }
        Ok(())
    }
}

/// The paths over the contours: halo, line, step dots, start circle and end cross; then
/// the minima's stars. Each path gets its legend entry.
fn draw_paths_2d<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    p: &Prepared,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let rect = p.bounds.rect();
    for (k, (name, pts)) in p.paths.iter().enumerate() {
        let colour = path_colour(k);
        let pieces = clip_polyline(pts, &rect);
        for piece in &pieces {
            chart.draw_series(LineSeries::new(
                piece.iter().copied(),
                WHITE.stroke_width(HALO),
            ))?;
        }
        for piece in &pieces {
            chart.draw_series(LineSeries::new(
                piece.iter().copied(),
                colour.stroke_width(LINE),
            ))?;
        }
        if pts.len() <= DOTS_UP_TO {
            chart.draw_series(
                pts.iter()
                    .filter(|&&q| rect.contains(q))
                    .map(|&q| Circle::new(q, 2, colour.filled())),
            )?;
        }
        let anno = chart.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?;
        anno.label(*name).legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3))
        });
    }
    let inside = |q: Option<&(f64, f64)>| q.copied().filter(|&q| rect.contains(q));
    let ends = p
        .paths
        .iter()
        .map(|(_, pts)| (inside(pts.first()), inside(pts.last())));
    draw_markers(chart, ends, &p.minima)
}

/// The minima's stars, then each path's start circle and end cross, with legend entries.
/// Paths that share a start get concentric circles (the first path's largest), so every
/// path's colour shows.
fn draw_markers<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    ends: impl Iterator<Item = (Option<CT::From>, Option<CT::From>)>,
    minima: &[CT::From],
) -> Result<()>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
    CT::From: Clone + 'static,
{
    // Under the path's markers: a run that found the minimum ends on its star.
    if !minima.is_empty() {
        chart
            .draw_series(minima.iter().map(|m| star_marker(m.clone())))?
            .label(if minima.len() == 1 {
                "minimum"
            } else {
                "minima"
            })
            .legend(|(x, y)| star_marker((x + 9, y)));
    }
    let mut any = false;
    for (k, (first, last)) in ends.enumerate() {
        let colour = path_colour(k);
        any = true;
        if let Some(first) = first {
            // 10, 6, 3, 3...: rings of the earlier paths' colours stay visible.
            let r = 10i32.saturating_sub(4 * k as i32).max(3);
            let halo = if k == 0 { 2 } else { 1 };
            chart.draw_series([
                Circle::new(first.clone(), r + halo, WHITE.filled()),
                Circle::new(first, r, colour.filled()),
            ])?;
        }
        if let Some(last) = last {
            chart.draw_series([
                Cross::new(last.clone(), 7, WHITE.stroke_width(6)),
                Cross::new(last, 7, colour.stroke_width(3)),
            ])?;
        }
    }
    if any {
        let grey = RGBColor(60, 60, 60);
        chart
            .draw_series(std::iter::empty::<Circle<CT::From, i32>>())?
            .label("start")
            .legend(move |(x, y)| Circle::new((x + 9, y), 6, grey.filled()));
        chart
            .draw_series(std::iter::empty::<Circle<CT::From, i32>>())?
            .label("end")
            .legend(move |(x, y)| Cross::new((x + 9, y), 6, grey.stroke_width(3)));
    }
    Ok(())
}

/// The legend, in the corner where it hides the fewest steps.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    p: &Prepared,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let corner = quiet_corner(
        p.paths
            .iter()
            .flat_map(|(_, pts)| pts.iter().copied())
            .chain(p.minima.iter().copied()),
        p.bounds.x,
        p.bounds.y,
    );
    chart
        .configure_series_labels()
        .position(corner)
        .margin(10)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.5))
        .label_font(font(LEGEND_SIZE))
        .draw()?;
    Ok(())
}

/// The colour bar: the bands, labelled with the costs at their positions.
fn colour_bar<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, s: &ColourScale) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let mut bar = ChartBuilder::on(area)
        .margin_top(15)
        .margin_bottom(15)
        .margin_right(5)
        .x_label_area_size(50)
        .right_y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
    bar.draw_series((0..BANDS).map(|k| {
        Rectangle::new(
            [
                (0.0, k as f64 / BANDS as f64),
                (1.0, (k + 1) as f64 / BANDS as f64),
            ],
            contour::band_colour(k).filled(),
        )
    }))?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(BANDS / 2 + 1)
        .label_style(font(TICK_LABEL_SIZE))
        .y_label_formatter(&|t| short_number(s.value(*t)))
        .draw()?;
    let title = if s.is_log() { "cost (log)" } else { "cost" };
    area.draw_text(
        title,
        &font(TICK_LABEL_SIZE),
        (5, area.dim_in_pixel().1 as i32 - 40),
    )?;
    Ok(())
}

struct Landscape<'a> {
    p: Prepared<'a>,
    grid: Grid,
    scale: Option<ColourScale>,
    /// Each path as (x, y, cost) points, see [`drape`].
    heights: Vec<Vec<(f64, f64, f64)>>,
    minima_heights: Vec<f64>,
}

type Coord3d = Cartesian3d<RangedCoordf64, RangedCoordf64, RangedCoordf64>;
type Point3 = (f64, f64, f64);

/// Views tried for the 3-D picture, all from above at the same pitch, one from each
/// diagonal: the first that hides the fewest steps is used.
const YAWS: [f64; 4] = [0.75, 2.35, -2.35, -0.75];
const PITCH: f64 = 0.5;

fn project(coord: &Coord3d, p: Point3) -> (f64, f64, f64) {
    let (px, py) = coord.translate(&p);
    (
        px as f64,
        py as f64,
        coord.projected_depth(&p.0, &p.1, &p.2) as f64,
    )
}

/// How many of `points` the surface hides in `coord`'s projection, by a coarse depth
/// buffer of the quads. Plotters draws in order with no depth test, so a hidden step would
/// be painted over the hill that hides it: better to look from where it is not hidden.
fn hidden(coord: &Coord3d, quads: &[[Point3; 4]], points: &[Point3]) -> usize {
    // Depth-buffer cells of CELL pixels; depths within TOLERANCE pixels count as on the
    // surface (the path lies on it).
    const CELL: f64 = 3.0;
    const TOLERANCE: f64 = 12.0;
    let projected: Vec<[(f64, f64, f64); 4]> = quads
        .iter()
        .map(|q| [0, 1, 2, 3].map(|k| project(coord, q[k])))
        .collect();
    let Some((x0, x1)) = finite_range(projected.iter().flatten().map(|p| p.0)) else {
        return 0;
    };
    let Some((y0, y1)) = finite_range(projected.iter().flatten().map(|p| p.1)) else {
        return 0;
    };
    let w = ((x1 - x0) / CELL) as usize + 1;
    let h = ((y1 - y0) / CELL) as usize + 1;
    let mut nearest = vec![f64::INFINITY; w * h];
    let cell = |x: f64, y: f64| (((x - x0) / CELL), ((y - y0) / CELL));
    for q in &projected {
        for tri in [[q[0], q[1], q[2]], [q[0], q[2], q[3]]] {
            let c: Vec<(f64, f64, f64)> = tri
                .iter()
                .map(|&(x, y, d)| {
                    let (cx, cy) = cell(x, y);
                    (cx, cy, d)
                })
                .collect();
            let area =
                (c[1].0 - c[0].0) * (c[2].1 - c[0].1) - (c[2].0 - c[0].0) * (c[1].1 - c[0].1);
            if area.abs() < 1e-9 {
                continue;
            }
            let lo_x = c
                .iter()
                .map(|p| p.0)
                .fold(f64::INFINITY, f64::min)
                .floor()
                .max(0.0) as usize;
            let hi_x = (c
                .iter()
                .map(|p| p.0)
                .fold(f64::NEG_INFINITY, f64::max)
                .ceil() as usize)
                .min(w - 1);
            let lo_y = c
                .iter()
                .map(|p| p.1)
                .fold(f64::INFINITY, f64::min)
                .floor()
                .max(0.0) as usize;
            let hi_y = (c
                .iter()
                .map(|p| p.1)
                .fold(f64::NEG_INFINITY, f64::max)
                .ceil() as usize)
                .min(h - 1);
            for cy in lo_y..=hi_y {
                for cx in lo_x..=hi_x {
                    let (px, py) = (cx as f64, cy as f64);
                    // Barycentric weights; the cell counts if it is inside the triangle.
                    let w1 = ((c[2].0 - c[0].0) * (py - c[0].1)
                        - (px - c[0].0) * (c[2].1 - c[0].1))
                        / -area;
                    let w2 = ((c[1].0 - c[0].0) * (py - c[0].1)
                        - (px - c[0].0) * (c[1].1 - c[0].1))
                        / area;
                    let w0 = 1.0 - w1 - w2;
                    if w0 < -1e-9 || w1 < -1e-9 || w2 < -1e-9 {
                        continue;
                    }
                    let d = w0 * c[0].2 + w1 * c[1].2 + w2 * c[2].2;
                    let k = cy * w + cx;
                    nearest[k] = nearest[k].min(d);
                }
            }
        }
    }
    points
        .iter()
        .filter(|&&p| {
            let (x, y, d) = project(coord, p);
            let (cx, cy) = cell(x, y);
            let (cx, cy) = (cx.round(), cy.round());
            if cx < 0.0 || cy < 0.0 || cx as usize >= w || cy as usize >= h {
                return false;
            }
            nearest[cy as usize * w + cx as usize] < d - TOLERANCE
        })
        .count()
}

impl Scene for Landscape<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let b = self.p.bounds;
        root.fill(&WHITE)?;
        // Height is the position on the colour scale (0..1); the axis shows costs.
        // Nothing finite to scale: every quad is a wall or a hole anyway.
        let s = self.scale.unwrap_or(ColourScale::UNIT);
        let h = |v: f64| -> Option<f64> {
            if v.is_finite() {
                Some(s.t(v))
            } else if v == f64::INFINITY {
                Some(1.0)
            } else {
                None
            }
        };

        // The quads with all four corners known, and the paths lifted a hair above the
        // surface so they are not lost in it.
        let g = &self.grid;
        let (nx, ny) = (g.x.len(), g.y.len());
        let mut quads: Vec<[Point3; 4]> = Vec::new();
        // Quads touching an infinite cost: drawn in the "infinite" colour, as in 2-D.
        let mut walls: Vec<bool> = Vec::new();
        for j in 0..ny - 1 {
            for i in 0..nx - 1 {
                let corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
                let mut q = [(0.0, 0.0, 0.0); 4];
                let mut known = true;
                for (k, &(a, c)) in corners.iter().enumerate() {
                    match h(g.at(a, c)) {
                        Some(z) => q[k] = (g.x[a], z, g.y[c]),
                        None => known = false,
                    }
                }
                if known {
                    quads.push(q);
                    walls.push(corners.iter().any(|&(a, c)| g.at(a, c) == f64::INFINITY));
                }
            }
        }
        let lifted: Vec<Vec<Point3>> = self
            .heights
            .iter()
            .map(|pts| {
                pts.iter()
                    .filter_map(|&(x, y, v)| h(v).map(|z| (x, z + 0.01, y)))
                    .collect()
            })
            .collect();

        let mut chart = ChartBuilder::on(root).margin(20).build_cartesian_3d(
            b.x.0..b.x.1,
            0.0..1.0,
            b.y.0..b.y.1,
        )?;
        let view = |yaw: f64| {
            move |mut pb: ProjectionMatrixBuilder| {
                pb.yaw = yaw;
                pb.pitch = PITCH;
                pb.scale = 0.8;
                pb.into_matrix()
            }
        };
        let all_steps: Vec<Point3> = lifted.iter().flatten().copied().collect();
        let mut best = (usize::MAX, YAWS[0]);
        for yaw in YAWS {
            chart.with_projection(view(yaw));
            let n = hidden(chart.as_coord_spec(), &quads, &all_steps);
            if n < best.0 {
                best = (n, yaw);
            }
        }
        chart.with_projection(view(best.1));

        let value_label = |t: &f64| short_number(s.value(*t));
        let number = |v: &f64| short_number(*v);
        chart
            .configure_axes()
            .light_grid_style(BLACK.mix(0.06))
            .max_light_lines(3)
            .label_style(font(TICK_LABEL_SIZE))
            .x_formatter(&number)
            .z_formatter(&number)
            .y_formatter(&value_label)
            .draw()?;

        // Far quads first, so near ones cover them (plotters has no depth buffer).
        let coord = chart.as_coord_spec().clone();
        let mut ordered: Vec<(i32, &[Point3; 4], bool)> = quads
            .iter()
            .zip(&walls)
            .map(|(q, &wall)| {
                let c = q.iter().fold((0.0, 0.0, 0.0), |a, p| {
                    (a.0 + p.0 / 4.0, a.1 + p.1 / 4.0, a.2 + p.2 / 4.0)
                });
                (coord.projected_depth(&c.0, &c.1, &c.2), q, wall)
            })
            .collect();
        ordered.sort_by_key(|o| std::cmp::Reverse(o.0));
        chart.draw_series(ordered.into_iter().map(|(_, q, wall)| {
            let mean = q.iter().map(|p| p.1).sum::<f64>() / 4.0;
            let colour = if wall {
                INFINITE
            } else {
                contour::colour(mean)
            };
            Polygon::new(q.to_vec(), colour.filled())
        }))?;

        for (k, ((name, _), pts)) in self.p.paths.iter().zip(&lifted).enumerate() {
            let colour = path_colour(k);
            chart.draw_series(LineSeries::new(
                pts.iter().copied(),
                WHITE.stroke_width(HALO),
            ))?;
            chart
                .draw_series(LineSeries::new(
                    pts.iter().copied(),
                    colour.stroke_width(LINE),
                ))?
                .label(*name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3))
                });
        }
        if walls.contains(&true) {
            chart
                .draw_series(std::iter::empty::<Polygon<Point3>>())?
                .label("infinite cost")
                .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], INFINITE.filled()));
        }
        let minima: Vec<Point3> = self
            .p
            .minima
            .iter()
            .zip(&self.minima_heights)
            .filter_map(|(&(x, y), &v)| h(v).map(|z| (x, z + 0.01, y)))
            .collect();
        // Only where the run really starts or ends inside the plot.
        let rect = b.rect();
        let inside = |q: Option<&(f64, f64)>| q.is_some_and(|&q| rect.contains(q));
        let ends = self.p.paths.iter().zip(&lifted).map(|((_, pts), l)| {
            (
                l.first().copied().filter(|_| inside(pts.first())),
                l.last().copied().filter(|_| inside(pts.last())),
            )
        });
        draw_markers(&mut chart, ends, &minima)?;

        // Axis names: plotters' 3-D axes have none. Each goes below the middle of the
        // front edge its ticks are on (the lower one on screen), pushed outwards.
        let (x_mid, y_mid) = (0.5 * (b.x.0 + b.x.1), 0.5 * (b.y.0 + b.y.1));
        let centre = coord.translate(&(x_mid, 0.0, y_mid));
        let outside = |a: Point3, c: Point3| -> (i32, i32) {
            let (pa, pc) = (coord.translate(&a), coord.translate(&c));
            let edge = if pa.1 >= pc.1 { pa } else { pc };
            let (dx, dy) = ((edge.0 - centre.0) as f64, (edge.1 - centre.1) as f64);
            let n = dx.hypot(dy).max(1.0);
            (
                edge.0 + (55.0 * dx / n) as i32,
                edge.1 + (55.0 * dy / n) as i32,
            )
        };
        let centred = font(AXIS_DESC_SIZE).pos(Pos::new(HPos::Center, VPos::Center));
        let x_at = outside((x_mid, 0.0, b.y.0), (x_mid, 0.0, b.y.1));
        let y_at = outside((b.x.0, 0.0, y_mid), (b.x.1, 0.0, y_mid));
        root.draw(&Text::new(
            self.p.labels.0.to_string(),
            x_at,
            centred.clone(),
        ))?;
        root.draw(&Text::new(self.p.labels.1.to_string(), y_at, centred))?;
        let cost = if s.is_log() {
            "height and colour: cost (log scale)"
        } else {
            "height and colour: cost"
        };
        root.draw(&Text::new(cost, (20, 20), font(AXIS_DESC_SIZE)))?;

        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .margin(10)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.5))
            .label_font(font(LEGEND_SIZE))
            .draw()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::render::tests::{
        count_colour, distinct_colours, hex, polylines, read_png, read_svg, texts,
    };
    use super::super::scenes::{beale, momentum, rosenbrock};
    use super::*;

    fn rosenbrock_run() -> Vec<(f64, f64)> {
        momentum(&rosenbrock, (-1.2, 1.0), 1e-3, 0.9, 400)
    }

    /// Total points of the polylines stroked in `colour` (the path's pieces).
    fn points_in(svg: &str, colour: RGBColor) -> usize {
        polylines(svg)
            .iter()
            .filter(|(c, _)| *c == hex(colour))
            .map(|(_, n)| n)
            .sum()
    }

    #[test]
    fn surface_svg_shows_every_step_and_the_markers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("rosenbrock.svg");
        let run = rosenbrock_run();
        let paths = [NamedPath {
            name: "momentum",
            points: &run,
        }];
        let size = Size::default();
        surface(
            &out,
            size,
            &rosenbrock,
            None,
            &paths,
            &[(1.0, 1.0)],
            ("x", "y"),
        )
        .expect("surface");
        let svg = read_svg(&out, size);
        // The whole run is inside the automatic bounds: one polyline with every step (and
        // the legend's 2-point sample line).
        assert_eq!(points_in(&svg, path_colour(0)), run.len() + 2);
        // Start circle in the path's colour, a star for the minimum, a legend naming all.
        assert!(svg.contains(&format!("fill=\"{}\"", hex(path_colour(0)))));
        let words = texts(&svg);
        for w in [
            "momentum",
            "start",
            "end",
            "minimum",
            "x",
            "y",
            "cost (log)",
        ] {
            assert!(words.iter().any(|t| t == w), "no {w:?} in {words:?}");
        }
        // Filled contours: many cells in several colours, and iso-lines.
        let doc = roxmltree::Document::parse(&svg).expect("xml");
        let fills: std::collections::HashSet<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("rect"))
            .filter_map(|n| n.attribute("fill"))
            .collect();
        assert!(fills.len() > BANDS, "{} fills", fills.len());
    }

    #[test]
    fn surface_png_has_the_size_asked_and_shows_the_paths() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("beale.png");
        let a = momentum(&beale, (3.0, 4.0), 1e-5, 0.9, 300);
        let b = vec![(3.0, 4.0), (2.0, 1.0), (3.0, 0.5)];
        let paths = [
            NamedPath {
                name: "a",
                points: &a,
            },
            NamedPath {
                name: "b",
                points: &b,
            },
        ];
        let size = Size {
            width: 640,
            height: 480,
        };
        surface(&out, size, &beale, None, &paths, &[(3.0, 0.5)], ("x", "y")).expect("surface");
        let (w, h, pixels) = read_png(&out);
        assert_eq!((w, h), (640, 480));
        assert!(distinct_colours(&pixels) > 100);
        assert!(count_colour(&pixels, path_colour(0)) > 100);
        assert!(count_colour(&pixels, path_colour(1)) > 100);
    }

    #[test]
    fn long_runs_are_thinned() {
        let dir = tempfile::tempdir().expect("tempdir");
        let run: Vec<(f64, f64)> = (0..200_000)
            .map(|i| {
                let t = i as f64 / 2_000.0;
                (
                    2.0 * (-0.05 * t).exp() * t.cos(),
                    2.0 * (-0.05 * t).exp() * t.sin(),
                )
            })
            .collect();
        let paths = [NamedPath {
            name: "spiral",
            points: &run,
        }];
        let bowl = |x: f64, y: f64| x * x + y * y;
        for name in ["flat.svg", "3d.svg"] {
            let out = dir.path().join(name);
            let draw = if name == "flat.svg" {
                surface
            } else {
                surface_3d
            };
            draw(&out, Size::default(), &bowl, None, &paths, &[], ("x", "y")).expect(name);
            let svg = read_svg(&out, Size::default());
            let n = points_in(&svg, path_colour(0));
            // The 3-D path adds points along long segments (4 x at most).
            assert!((100..=4 * MAX_POINTS + 10).contains(&n), "{name}: {n}");
        }
    }

    #[test]
    fn nan_and_infinite_costs_are_grey_not_a_failure() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = |x: f64, y: f64| {
            if x < 0.0 {
                f64::NAN
            } else if y > 1.5 {
                f64::INFINITY
            } else {
                x.ln() + y * y
            }
        };
        let run = vec![(1.0, 1.0), (0.5, 0.5), (0.2, 0.0)];
        let paths = [NamedPath {
            name: "run",
            points: &run,
        }];
        let bounds = Some(Bounds {
            x: (-1.0, 2.0),
            y: (-2.0, 2.0),
        });
        let out = dir.path().join("holes.svg");
        surface(&out, Size::default(), &f, bounds, &paths, &[], ("x", "y")).expect("surface");
        let svg = read_svg(&out, Size::default());
        assert!(svg.contains(&format!("fill=\"{}\"", hex(NO_VALUE))));
        assert!(svg.contains(&format!("fill=\"{}\"", hex(INFINITE))));
        let words = texts(&svg);
        assert!(words.iter().any(|t| t == "no value (NaN)"), "{words:?}");
        assert!(words.iter().any(|t| t == "infinite cost"), "{words:?}");
        let out = dir.path().join("holes-3d.png");
        surface_3d(&out, Size::default(), &f, bounds, &paths, &[], ("x", "y")).expect("3d");
        let (_, _, pixels) = read_png(&out);
        assert!(distinct_colours(&pixels) > 50);
        // Nothing finite at all still draws (grey), without a colour bar.
        let out = dir.path().join("nothing.png");
        let nan = |_: f64, _: f64| f64::NAN;
        surface(&out, Size::default(), &nan, None, &[], &[], ("x", "y")).expect("all NaN");
        surface_3d(&out, Size::default(), &nan, None, &[], &[], ("x", "y")).expect("all NaN");
    }

    #[test]
    fn surface_3d_draws_the_path_on_the_surface() {
        let dir = tempfile::tempdir().expect("tempdir");
        let run = rosenbrock_run();
        let paths = [NamedPath {
            name: "momentum",
            points: &run,
        }];
        let out = dir.path().join("r.svg");
        surface_3d(
            &out,
            Size::default(),
            &rosenbrock,
            None,
            &paths,
            &[(1.0, 1.0)],
            ("a", "b"),
        )
        .expect("3d");
        let svg = read_svg(&out, Size::default());
        // Every step, plus the points that drape long steps over the surface.
        let n = points_in(&svg, path_colour(0));
        assert!(n >= run.len(), "{n} < {}", run.len());
        let words = texts(&svg);
        for w in ["momentum", "start", "end", "minimum", "a", "b"] {
            assert!(words.iter().any(|t| t == w), "no {w:?} in {words:?}");
        }
        let doc = roxmltree::Document::parse(&svg).expect("xml");
        let quads = doc
            .descendants()
            .filter(|n| n.has_tag_name("polygon"))
            .count();
        assert!(quads >= 60 * 60, "{quads} polygons");

        let out = dir.path().join("r.png");
        let size = Size {
            width: 1200,
            height: 800,
        };
        surface_3d(
            &out,
            size,
            &rosenbrock,
            None,
            &paths,
            &[(1.0, 1.0)],
            ("a", "b"),
        )
        .expect("3d");
        let (w, h, pixels) = read_png(&out);
        assert_eq!((w, h), (1200, 800));
        assert!(distinct_colours(&pixels) > 100);
        assert!(count_colour(&pixels, path_colour(0)) > 100);
    }

    #[test]
    fn bounds_come_from_the_paths_and_minima() {
        let run = [(0.0, 0.0), (2.0, 1.0)];
        let b = Bounds::around(run.iter().copied().chain([(3.0, 2.0)]));
        assert!(b.x.0 < 0.0 && b.x.1 > 3.0, "{b:?}");
        assert!(b.y.0 < 0.0 && b.y.1 > 2.0, "{b:?}");
        // A path along the x-axis still gets some y range; a single point a square.
        let b = Bounds::around([(0.0, 5.0), (9.0, 5.0)]);
        assert!(b.y.1 - b.y.0 >= 3.0, "{b:?}");
        let b = Bounds::around([(1.0, 1.0), (f64::NAN, 3.0)]);
        assert!(
            b.x.0 < 1.0 && b.x.1 > 1.0 && b.y.0 < 1.0 && b.y.1 > 1.0,
            "{b:?}"
        );
        assert!(Bounds::around([]).check().is_ok());
    }

    #[test]
    fn bad_bounds_are_an_error_and_write_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("x.png");
        for bad in [
            Bounds {
                x: (1.0, 1.0),
                y: (0.0, 1.0),
            },
            Bounds {
                x: (0.0, 1.0),
                y: (f64::NAN, 1.0),
            },
        ] {
            let e = surface(
                &out,
                Size::default(),
                &rosenbrock,
                Some(bad),
                &[],
                &[],
                ("x", "y"),
            );
            assert!(e.is_err());
            let e = surface_3d(
                &out,
                Size::default(),
                &rosenbrock,
                Some(bad),
                &[],
                &[],
                ("x", "y"),
            );
            assert!(e.is_err());
        }
        let e = surface(
            &dir.path().join("x.jpg"),
            Size::default(),
            &rosenbrock,
            None,
            &[],
            &[],
            ("x", "y"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("'.jpg'"), "{e}");
        assert!(std::fs::read_dir(dir.path()).expect("dir").next().is_none());
    }

    #[test]
    fn paths_outside_the_bounds_are_cut_not_drawn_over_the_axes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let run = [(-5.0, 0.0), (0.0, 0.0), (0.5, 0.5), (5.0, 5.0)];
        let paths = [NamedPath {
            name: "run",
            points: &run,
        }];
        let bounds = Some(Bounds {
            x: (-1.0, 1.0),
            y: (-1.0, 1.0),
        });
        let out = dir.path().join("cut.svg");
        let bowl = |x: f64, y: f64| x * x + y * y;
        surface(
            &out,
            Size::default(),
            &bowl,
            bounds,
            &paths,
            &[],
            ("x", "y"),
        )
        .expect("surface");
        let svg = read_svg(&out, Size::default());
        // Entering at x = -1, two steps inside, leaving at (1, 1): one piece of 4 points,
        // and neither the start nor the end (both outside) is marked. (+2: the legend.)
        assert_eq!(points_in(&svg, path_colour(0)), 4 + 2);
        let doc = roxmltree::Document::parse(&svg).expect("xml");
        let marked = doc
            .descendants()
            .filter(|n| n.has_tag_name("circle") || n.has_tag_name("line"))
            .filter(|n| {
                n.attribute("fill") == Some(hex(path_colour(0)).as_str())
                    || n.attribute("stroke") == Some(hex(path_colour(0)).as_str())
            })
            .count();
        assert_eq!(marked, 2, "only the two step dots inside");
    }

    #[test]
    fn drape_follows_the_surface_along_long_steps() {
        let rect = Rect {
            x: (0.0, 1.0),
            y: (0.0, 1.0),
        };
        let f = |x: f64, y: f64| x + 10.0 * y;
        let long = drape(&f, &[(0.0, 0.0), (1.0, 1.0)], &rect);
        assert!(long.len() > 50);
        assert_eq!(long[0], (0.0, 0.0, 0.0));
        assert_eq!(long[long.len() - 1], (1.0, 1.0, 11.0));
        for &(x, y, z) in &long {
            assert!((z - f(x, y)).abs() < 1e-12);
        }
        let short = drape(&f, &[(0.5, 0.5), (0.501, 0.5)], &rect);
        assert_eq!(short.len(), 2);
        assert!(drape(&f, &[(2.0, 2.0)], &rect).is_empty());
    }

    #[test]
    fn a_point_behind_a_wall_is_hidden_and_one_before_it_is_not() {
        let coord: Coord3d = Cartesian3d::with_projection(
            0.0..1.0,
            0.0..1.0,
            0.0..1.0,
            (0..800, 0..600),
            |mut pb| {
                pb.yaw = YAWS[0];
                pb.pitch = PITCH;
                pb.into_matrix()
            },
        );
        // This view looks from the (x, z) = (1, 1) corner (it is the nearest).
        let near = project(&coord, (1.0, 0.0, 1.0)).2;
        let far = project(&coord, (0.0, 0.0, 0.0)).2;
        assert!(near < far);
        // A full-height wall across z = 0.9, between the viewer and the middle.
        let wall = [[
            (0.0, 0.0, 0.9),
            (1.0, 0.0, 0.9),
            (1.0, 1.0, 0.9),
            (0.0, 1.0, 0.9),
        ]];
        let behind = (0.5, 0.1, 0.5);
        let before = (0.5, 0.1, 0.95);
        assert_eq!(hidden(&coord, &wall, &[behind]), 1);
        assert_eq!(hidden(&coord, &wall, &[before]), 0);
        assert_eq!(hidden(&coord, &wall, &[behind, before, behind]), 2);
        assert_eq!(hidden(&coord, &[], &[behind]), 0);
    }
}
