//! Two-dimensional charts of data: loss curves, a fitted line over its data, and a linear
//! decision boundary between two classes.

use super::geom::{half_plane, line_in_rect, Rect};
use super::render::{
    finite_range, font, pad, palette, quiet_corner, render, short_number, Scene, Size,
    AXIS_DESC_SIZE, LEGEND_SIZE, TICK_LABEL_SIZE,
};
use super::thin::{thin, uniform};
use super::MAX_POINTS;
use anyhow::{bail, ensure, Result};
use plotters::coord::combinators::BindKeyPoints;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// One curve of a loss plot: `values[i]` is the cost after epoch `i + 1`.
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    pub name: &'a str,
    pub values: &'a [f64],
}

/// Draws the cost per epoch of each series, in distinct colours with a legend. The y-axis
/// is logarithmic when `log_scale` is asked and every cost is positive (else linear).
/// NaN and infinite costs (a diverged run) are left out.
pub fn loss_curve(path: &Path, size: Size, series: &[Series], log_scale: bool) -> Result<()> {
    let finite: Vec<(&str, Vec<(f64, f64)>)> = series
        .iter()
        .map(|s| {
            let pts = s
                .values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .map(|(i, &v)| ((i + 1) as f64, v))
                .collect();
            (s.name, pts)
        })
        .collect();
    let Some(y) = finite_range(finite.iter().flat_map(|(_, p)| p.iter().map(|q| q.1))) else {
        bail!("nothing to plot: no series has a finite cost");
    };
    let log = log_scale && y.0 > 0.0;
    // Thin in picture coordinates: on a log axis, distances are between logs.
    let curves: Vec<(&str, Vec<(f64, f64)>)> = finite
        .into_iter()
        .map(|(name, pts)| {
            if !log {
                return (name, thin(&pts, MAX_POINTS));
            }
            let logs: Vec<(f64, f64)> = pts.iter().map(|&(x, v)| (x, v.log10())).collect();
            let kept = thin(&logs, MAX_POINTS);
            (
                name,
                kept.iter().map(|&(x, l)| (x, 10f64.powf(l))).collect(),
            )
        })
        .collect();
    let epochs = series.iter().map(|s| s.values.len()).max().unwrap_or(1) as f64;
    let x = (1.0, epochs.max(2.0));
    let scene = LossCurves { curves, x, y, log };
    render(path, size, &scene)
}

struct LossCurves<'a> {
    curves: Vec<(&'a str, Vec<(f64, f64)>)>,
    x: (f64, f64),
    y: (f64, f64),
    log: bool,
}

impl Scene for LossCurves<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        if self.log {
            // A decade's margin would waste space: 10% of the log range on each side.
            let (l0, l1) = pad(self.y.0.log10(), self.y.1.log10(), 0.05);
            let (lo, hi) = (10f64.powf(l0), 10f64.powf(l1));
            let y = (lo..hi)
                .log_scale()
                .with_key_points(log_ticks(lo, hi))
                .with_light_points(std::iter::empty());
            self.draw_on(root, y, "cost (log scale)", |v| v.log10())
        } else {
            let (y0, y1) = pad(self.y.0, self.y.1, 0.05);
            self.draw_on(root, y0..y1, "cost", |v| v)
        }
    }
}

/// Tick values for a log axis over `lo..hi` (0 < lo < hi): 1, 2 and 5 times powers of ten;
/// only powers of ten on long ranges, more steps on short ones. (Plotters' own log ticks
/// start at the first power of ten, which leaves the bottom of most loss curves blank.)
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    const MOST: usize = 12;
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let pick = |mantissas: &[f64]| -> Vec<f64> {
        (k0..=k1)
            .flat_map(|k| mantissas.iter().map(move |m| m * 10f64.powi(k)))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    let mut ticks = pick(&[1.0, 2.0, 5.0]);
    if ticks.len() > MOST {
        ticks = pick(&[1.0]);
        while ticks.len() > MOST {
            ticks = ticks.into_iter().step_by(2).collect();
        }
    } else if ticks.len() < 4 {
        ticks = pick(&[1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    }
    if ticks.len() < 2 {
        // A sliver of a decade: evenly spaced in log, whatever the values.
        let (a, b) = (lo.ln(), hi.ln());
        ticks = (0..5)
            .map(|i| (a + (b - a) * i as f64 / 4.0).exp())
            .collect();
    }
    ticks
}

impl LossCurves<'_> {
    fn draw_on<DB, Y>(
        &self,
        root: &DrawingArea<DB, Shift>,
        y: Y,
        y_desc: &str,
        picture_y: impl Fn(f64) -> f64,
    ) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(root)
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(self.x.0..self.x.1, y)?;
        chart
            .configure_mesh()
            .light_line_style(BLACK.mix(0.02))
            .bold_line_style(BLACK.mix(0.15))
            .x_desc("epoch")
            .y_desc(y_desc)
            .axis_desc_style(font(AXIS_DESC_SIZE))
            .label_style(font(TICK_LABEL_SIZE))
            .x_label_formatter(&|v| short_number(*v))
            .y_label_formatter(&|v| short_number(*v))
            .draw()?;
        for (k, (name, pts)) in self.curves.iter().enumerate() {
            let colour = palette(k);
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), colour.stroke_width(2)))?
                .label(*name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
                });
            // A lone value would be an invisible line: mark it.
            if pts.len() == 1 {
                chart.draw_series(pts.iter().map(|&q| Circle::new(q, 4, colour.filled())))?;
            }
        }
        let (p0, p1) = (picture_y(self.y.0), picture_y(self.y.1));
        let corner = quiet_corner(
            self.curves
                .iter()
                .flat_map(|(_, p)| p.iter().map(|&(x, v)| (x, picture_y(v)))),
            self.x,
            pad(p0, p1, 0.05),
        );
        chart
            .configure_series_labels()
            .position(corner)
            .margin(12)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.5))
            .label_font(font(LEGEND_SIZE))
            .draw()?;
        Ok(())
    }
}

/// The finite (x, y) pairs, thinned to at most [`MAX_POINTS`] by even subsampling.
fn data_points(x: &[f64], y: &[f64]) -> Result<Vec<(f64, f64)>> {
    ensure!(
        x.len() == y.len(),
        "x has {} values but y has {}",
        x.len(),
        y.len()
    );
    let pts: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .map(|(&a, &b)| (a, b))
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    ensure!(!pts.is_empty(), "nothing to plot: no finite data points");
    Ok(uniform(&pts, MAX_POINTS))
}

fn data_rect(pts: &[(f64, f64)], margin: f64) -> Rect {
    let x = finite_range(pts.iter().map(|p| p.0)).unwrap_or((0.0, 1.0));
    let y = finite_range(pts.iter().map(|p| p.1)).unwrap_or((0.0, 1.0));
    Rect {
        x: pad(x.0, x.1, margin),
        y: pad(y.0, y.1, margin),
    }
}

fn signed(v: f64) -> String {
    if v < 0.0 {
        format!("- {}", short_number(-v))
    } else {
        format!("+ {}", short_number(v))
    }
}

/// Draws the data as points and the line `y = slope * x + intercept` across them.
pub fn fit_line(
    path: &Path,
    size: Size,
    x: &[f64],
    y: &[f64],
    slope: f64,
    intercept: f64,
    labels: (&str, &str),
) -> Result<()> {
    ensure!(
        slope.is_finite() && intercept.is_finite(),
        "the fitted line is not finite (slope {slope}, intercept {intercept})"
    );
    let points = data_points(x, y)?;
    let rect = data_rect(&points, 0.08);
    let line = line_in_rect(&rect, [slope, -1.0], intercept);
    let scene = FitLine {
        points,
        rect,
        line,
        equation: format!("fit: y = {} x {}", short_number(slope), signed(intercept)),
        labels,
    };
    render(path, size, &scene)
}

struct FitLine<'a> {
    points: Vec<(f64, f64)>,
    rect: Rect,
    line: Option<((f64, f64), (f64, f64))>,
    equation: String,
    labels: (&'a str, &'a str),
}

fn plane_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    r: &Rect,
    labels: (&str, &str),
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(r.x.0..r.x.1, r.y.0..r.y.1)?;
    chart
        .configure_mesh()
        .light_line_style(BLACK.mix(0.02))
        .bold_line_style(BLACK.mix(0.15))
        .x_desc(labels.0)
        .y_desc(labels.1)
        .axis_desc_style(font(AXIS_DESC_SIZE))
        .label_style(font(TICK_LABEL_SIZE))
        .x_label_formatter(&|v| short_number(*v))
        .y_label_formatter(&|v| short_number(*v))
        .draw()?;
    Ok(chart)
}

fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    points: impl IntoIterator<Item = (f64, f64)>,
    r: &Rect,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(quiet_corner(points, r.x, r.y))
        .margin(12)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.5))
        .label_font(font(LEGEND_SIZE))
        .draw()?;
    Ok(())
}

impl Scene for FitLine<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let mut chart = plane_chart(root, &self.rect, self.labels)?;
        let data = palette(1);
        let fit = palette(0);
        chart
            .draw_series(
                self.points
                    .iter()
                    .map(|&p| Circle::new(p, 3, data.mix(0.7).filled())),
            )?
            .label("data")
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, data.filled()));
        let anno = match self.line {
            Some((a, b)) => chart.draw_series(LineSeries::new([a, b], fit.stroke_width(3)))?,
            None => chart.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?,
        };
        anno.label(self.equation.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], fit.stroke_width(3)));
        // Where the line is, a legend would hide it too.
        let line_pts = self
            .line
            .map(|(a, b)| {
                (0..=20).map(move |k| {
                    let t = k as f64 / 20.0;
                    (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
                })
            })
            .into_iter()
            .flatten();
        draw_legend(
            &mut chart,
            self.points.iter().copied().chain(line_pts),
            &self.rect,
        )
    }
}

/// Draws two classes of points (`positive[i]` tells the class of `points[i]`) in two
/// colours and shapes, each side of the decision line `w . p + b = 0` lightly shaded in its
/// class's colour. `class_names` are (negative, positive).
#[allow(clippy::too_many_arguments)] // each is one plain datum the picture needs
pub fn boundary(
    path: &Path,
    size: Size,
    points: &[(f64, f64)],
    positive: &[bool],
    w: [f64; 2],
    b: f64,
    axis_labels: (&str, &str),
    class_names: (&str, &str),
) -> Result<()> {
    ensure!(
        points.len() == positive.len(),
        "{} points but {} labels",
        points.len(),
        positive.len()
    );
    let labelled: Vec<((f64, f64), bool)> = points
        .iter()
        .copied()
        .zip(positive.iter().copied())
        .filter(|(p, _)| p.0.is_finite() && p.1.is_finite())
        .collect();
    ensure!(
        !labelled.is_empty(),
        "nothing to plot: no finite data points"
    );
    let labelled = uniform(&labelled, MAX_POINTS);
    let pts: Vec<(f64, f64)> = labelled.iter().map(|q| q.0).collect();
    let rect = data_rect(&pts, 0.08);
    let scene = Boundary {
        labelled,
        rect,
        w,
        b,
        axis_labels,
        class_names,
    };
    render(path, size, &scene)
}

struct Boundary<'a> {
    labelled: Vec<((f64, f64), bool)>,
    rect: Rect,
    w: [f64; 2],
    b: f64,
    axis_labels: (&'a str, &'a str),
    class_names: (&'a str, &'a str),
}

impl Scene for Boundary<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let mut chart = plane_chart(root, &self.rect, self.axis_labels)?;
        let neg = palette(1);
        let pos = palette(0);
        let line = line_in_rect(&self.rect, self.w, self.b);
        if line.is_some() {
            for (side, colour) in [(false, neg), (true, pos)] {
                let poly = half_plane(&self.rect, self.w, self.b, side);
                if poly.len() >= 3 {
                    chart.draw_series([Polygon::new(poly, colour.mix(0.1).filled())])?;
                }
            }
        }
        let (neg_name, pos_name) = self.class_names;
        chart
            .draw_series(
                self.labelled
                    .iter()
                    .filter(|q| !q.1)
                    .map(|&(p, _)| Circle::new(p, 4, neg.filled())),
            )?
            .label(neg_name)
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, neg.filled()));
        chart
            .draw_series(
                self.labelled
                    .iter()
                    .filter(|q| q.1)
                    .map(|&(p, _)| TriangleMarker::new(p, 6, pos.filled())),
            )?
            .label(pos_name)
            .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 6, pos.filled()));
        let description = format!(
            "boundary: {} x {} y {} = 0",
            short_number(self.w[0]),
            signed(self.w[1]),
            signed(self.b)
        );
        let anno = match line {
            Some((a, c)) => chart.draw_series(LineSeries::new([a, c], BLACK.stroke_width(2)))?,
            None => chart.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?,
        };
        let text = if line.is_some() {
            description
        } else {
            format!("{description} (outside the plot)")
        };
        anno.label(text)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2)));
        let line_pts = line
            .map(|(a, c)| {
                (0..=20).map(move |k| {
                    let t = k as f64 / 20.0;
                    (a.0 + t * (c.0 - a.0), a.1 + t * (c.1 - a.1))
                })
            })
            .into_iter()
            .flatten();
        draw_legend(
            &mut chart,
            self.labelled.iter().map(|q| q.0).chain(line_pts),
            &self.rect,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::render::tests::{
        count_colour, distinct_colours, hex, polylines, read_png, read_svg, texts,
    };
    use super::*;

    fn lines_in(svg: &str, colour: RGBColor) -> Vec<usize> {
        polylines(svg)
            .into_iter()
            .filter(|(c, _)| *c == hex(colour))
            .map(|(_, n)| n)
            .collect()
    }

    fn count_tag(svg: &str, tag: &str, fill: RGBColor) -> usize {
        let doc = roxmltree::Document::parse(svg).expect("xml");
        doc.descendants()
            .filter(|n| n.has_tag_name(tag) && n.attribute("fill") == Some(hex(fill).as_str()))
            // Opaque only: the shaded half-planes are the same colour, faint.
            .filter(|n| n.attribute("opacity") == Some("1"))
            .count()
    }

    /// Black 2-point lines 2 px wide: the decision line and its legend sample (the axes
    /// and ticks are 1 px).
    fn decision_lines(svg: &str) -> usize {
        let doc = roxmltree::Document::parse(svg).expect("xml");
        doc.descendants()
            .filter(|n| {
                n.has_tag_name("polyline")
                    && n.attribute("stroke") == Some("#000000")
                    && n.attribute("stroke-width") == Some("2")
                    && n.attribute("points").map(|p| p.split_whitespace().count()) == Some(2)
            })
            .count()
    }

    fn decay(n: usize, scale: f64) -> Vec<f64> {
        (0..n)
            .map(|i| scale * (-(i as f64) / 50.0).exp() + 0.01)
            .collect()
    }

    #[test]
    fn loss_curves_draw_every_series_with_a_legend() {
        let dir = tempfile::tempdir().expect("tempdir");
        let train = decay(300, 2.0);
        let valid = decay(120, 2.5);
        let series = [
            Series {
                name: "training",
                values: &train,
            },
            Series {
                name: "validation",
                values: &valid,
            },
        ];
        let size = Size::default();
        let out = dir.path().join("loss.svg");
        loss_curve(&out, size, &series, true).expect("loss");
        let svg = read_svg(&out, size);
        // Each curve in its own colour, with every epoch; the legend's sample is 2 points.
        assert_eq!(lines_in(&svg, palette(0)), vec![300, 2]);
        assert_eq!(lines_in(&svg, palette(1)), vec![120, 2]);
        let words = texts(&svg);
        for w in ["training", "validation", "epoch", "cost (log scale)"] {
            assert!(words.iter().any(|t| t == w), "no {w:?} in {words:?}");
        }

        let out = dir.path().join("loss.png");
        let size = Size {
            width: 500,
            height: 400,
        };
        loss_curve(&out, size, &series, true).expect("loss");
        let (w, h, pixels) = read_png(&out);
        assert_eq!((w, h), (500, 400));
        assert!(distinct_colours(&pixels) > 20);
        assert!(count_colour(&pixels, palette(0)) > 200);
        assert!(count_colour(&pixels, palette(1)) > 100);
    }

    #[test]
    fn log_scale_falls_back_to_linear_and_skips_non_finite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let values = [3.0, 1.0, f64::NAN, 0.0, -1.0, f64::INFINITY, -2.0];
        let series = [Series {
            name: "shifted",
            values: &values,
        }];
        let out = dir.path().join("lin.svg");
        loss_curve(&out, Size::default(), &series, true).expect("loss");
        let svg = read_svg(&out, Size::default());
        let words = texts(&svg);
        assert!(words.iter().any(|t| t == "cost"), "{words:?}");
        assert!(!words.iter().any(|t| t == "cost (log scale)"));
        assert_eq!(lines_in(&svg, palette(0)), vec![5, 2]);
        // Nothing finite: an error, and no file.
        let nan = [f64::NAN];
        let out = dir.path().join("nan.svg");
        let e = loss_curve(
            &out,
            Size::default(),
            &[Series {
                name: "x",
                values: &nan,
            }],
            true,
        );
        assert!(e.is_err());
        assert!(!out.exists());
    }

    #[test]
    fn log_ticks_are_round_and_cover_the_range() {
        assert_eq!(log_ticks(0.04, 2.5), vec![0.05, 0.1, 0.2, 0.5, 1.0, 2.0]);
        assert_eq!(log_ticks(1e-9, 1e3).len(), 7);
        assert!(log_ticks(1e-30, 1e30).len() <= 12);
        let short = log_ticks(1.1, 3.5);
        assert_eq!(short, vec![1.5, 2.0, 3.0]);
        let sliver = log_ticks(1.01, 1.02);
        assert_eq!(sliver.len(), 5);
        assert!(sliver.iter().all(|v| (1.01..=1.02).contains(v)));
    }

    #[test]
    fn long_loss_curves_are_thinned() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A noisy million-epoch run: the noise defeats the "did not move" pass.
        let values: Vec<f64> = (0..1_000_000u64)
            .map(|i| 1.0 / (1.0 + i as f64) + 0.1 * ((i * 7919) % 101) as f64 / 101.0)
            .collect();
        let series = [Series {
            name: "sgd",
            values: &values,
        }];
        let out = dir.path().join("long.svg");
        loss_curve(&out, Size::default(), &series, true).expect("loss");
        let svg = read_svg(&out, Size::default());
        let lines = lines_in(&svg, palette(0));
        assert_eq!(lines.len(), 2);
        assert!(lines[0] <= MAX_POINTS && lines[0] > 1000, "{lines:?}");
    }

    #[test]
    fn fit_line_draws_the_points_and_the_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let x: Vec<f64> = (0..50).map(|i| i as f64 / 5.0).collect();
        let y: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(i, x)| 2.0 * x + 1.0 + if i % 2 == 0 { 0.3 } else { -0.3 })
            .collect();
        let size = Size::default();
        let out = dir.path().join("fit.svg");
        fit_line(&out, size, &x, &y, 2.0, 1.0, ("size", "price")).expect("fit");
        let svg = read_svg(&out, size);
        // 50 data points (and the legend's), and the line as one 2-point polyline.
        let data = palette(1);
        let doc = roxmltree::Document::parse(&svg).expect("xml");
        let dots = doc
            .descendants()
            .filter(|n| n.has_tag_name("circle"))
            .count();
        assert_eq!(dots, 51);
        assert_eq!(lines_in(&svg, palette(0)), vec![2, 2]);
        let words = texts(&svg);
        for w in ["data", "fit: y = 2 x + 1", "size", "price"] {
            assert!(words.iter().any(|t| t == w), "no {w:?} in {words:?}");
        }

        let out = dir.path().join("fit.png");
        fit_line(&out, size, &x, &y, 2.0, 1.0, ("size", "price")).expect("fit");
        let (w, h, pixels) = read_png(&out);
        assert_eq!((w, h), (900, 700));
        assert!(distinct_colours(&pixels) > 20);
        assert!(count_colour(&pixels, palette(0)) > 500, "the line");
        // The dots are drawn at 70% over white.
        let over_white = |c: u8| (0.7 * c as f64 + 0.3 * 255.0).round() as u8;
        let dot = RGBColor(over_white(data.0), over_white(data.1), over_white(data.2));
        assert!(count_colour(&pixels, dot) > 300, "the dots");
    }

    #[test]
    fn fit_line_rejects_bad_input() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("fit.png");
        let l = ("x", "y");
        assert!(fit_line(&out, Size::default(), &[1.0, 2.0], &[1.0], 1.0, 0.0, l).is_err());
        assert!(fit_line(&out, Size::default(), &[1.0], &[1.0], f64::NAN, 0.0, l).is_err());
        assert!(fit_line(&out, Size::default(), &[f64::NAN], &[1.0], 1.0, 0.0, l).is_err());
        let e = fit_line(
            &dir.path().join("fit.bmp"),
            Size::default(),
            &[1.0],
            &[1.0],
            1.0,
            0.0,
            l,
        )
        .unwrap_err();
        assert!(e.to_string().contains("'.bmp'"), "{e}");
        assert!(!out.exists());
        // A single point still makes a picture.
        fit_line(&out, Size::default(), &[1.0], &[1.0], 1.0, 0.0, l).expect("one point");
    }

    #[test]
    fn boundary_shows_both_classes_and_the_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut points = Vec::new();
        let mut positive = Vec::new();
        for i in 0..40 {
            let t = i as f64 / 40.0 * std::f64::consts::TAU;
            let pos = i % 4 != 0;
            let c = if pos { 1.5 } else { -1.5 };
            points.push((c + t.cos(), c + t.sin()));
            positive.push(pos);
        }
        let size = Size::default();
        let out = dir.path().join("b.svg");
        boundary(
            &out,
            size,
            &points,
            &positive,
            [1.0, 1.0],
            0.0,
            ("u", "v"),
            ("no", "yes"),
        )
        .expect("boundary");
        let svg = read_svg(&out, size);
        // 10 negatives as circles, 30 positives as triangles (+1 each in the legend).
        assert_eq!(count_tag(&svg, "circle", palette(1)), 11);
        assert_eq!(count_tag(&svg, "polygon", palette(0)), 31);
        // The decision line, black, across the plot (+ legend sample).
        assert_eq!(decision_lines(&svg), 2);
        let words = texts(&svg);
        for w in ["no", "yes", "u", "v", "boundary: 1 x + 1 y + 0 = 0"] {
            assert!(words.iter().any(|t| t == w), "no {w:?} in {words:?}");
        }

        let out = dir.path().join("b.png");
        boundary(
            &out,
            size,
            &points,
            &positive,
            [1.0, 1.0],
            0.0,
            ("u", "v"),
            ("no", "yes"),
        )
        .expect("boundary");
        let (w, h, pixels) = read_png(&out);
        assert_eq!((w, h), (900, 700));
        assert!(distinct_colours(&pixels) > 20);
        assert!(count_colour(&pixels, palette(0)) > 300);
        assert!(count_colour(&pixels, palette(1)) > 100);
    }

    #[test]
    fn boundary_rejects_mismatched_labels_and_survives_a_zero_weight() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("b.svg");
        let l = ("x", "y");
        let c = ("a", "b");
        let e = boundary(
            &out,
            Size::default(),
            &[(0.0, 0.0)],
            &[],
            [1.0, 0.0],
            0.0,
            l,
            c,
        );
        assert!(e.is_err());
        assert!(!out.exists());
        // w = 0: no line, said so in the legend.
        let pts = [(0.0, 0.0), (1.0, 1.0)];
        boundary(
            &out,
            Size::default(),
            &pts,
            &[true, false],
            [0.0, 0.0],
            1.0,
            l,
            c,
        )
        .expect("no line");
        let svg = read_svg(&out, Size::default());
        assert!(texts(&svg)
            .iter()
            .any(|t| t.ends_with("(outside the plot)")));
        assert_eq!(decision_lines(&svg), 1, "only the legend's sample");
    }
}
