//! Pictures of gradient descent: loss curves, fitted lines, decision boundaries, and cost
//! surfaces (filled contours and 3-D) with the paths of steps drawn over them.
//!
//! Every function takes plain data (`f64` slices and closures) and writes an SVG or a PNG,
//! chosen by the file's extension, atomically. Text is drawn with a bundled font through
//! plotters' `ab_glyph` support, so no system fonts or libraries are needed.

mod contour;
mod curves;
mod geom;
mod render;
mod surface;
mod thin;

pub use curves::{boundary, fit_line, loss_curve, Series};
pub use render::{Format, Size};
pub use surface::{surface, surface_3d, Bounds, NamedPath};
pub use thin::thin;

/// No series is drawn with more points than this: runs can have millions of steps, and a
/// picture cannot show more than a few thousand anyway.
pub const MAX_POINTS: usize = 5_000;

#[cfg(test)]
pub(crate) mod scenes {
    //! Classic test functions and made-up descent paths over them, shared by the tests and
    //! the gallery.

    pub fn rosenbrock(x: f64, y: f64) -> f64 {
        (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)
    }

    pub fn beale(x: f64, y: f64) -> f64 {
        (1.5 - x + x * y).powi(2)
            + (2.25 - x + x * y * y).powi(2)
            + (2.625 - x + x * y * y * y).powi(2)
    }

    pub fn saddle(x: f64, y: f64) -> f64 {
        x * x - y * y
    }

    fn gradient(f: &dyn Fn(f64, f64) -> f64, (x, y): (f64, f64)) -> (f64, f64) {
        let h = 1e-6;
        (
            (f(x + h, y) - f(x - h, y)) / (2.0 * h),
            (f(x, y + h) - f(x, y - h)) / (2.0 * h),
        )
    }

    /// Gradient descent with momentum: `steps` steps from `start`.
    pub fn momentum(
        f: &dyn Fn(f64, f64) -> f64,
        start: (f64, f64),
        lr: f64,
        beta: f64,
        steps: usize,
    ) -> Vec<(f64, f64)> {
        let mut p = start;
        let mut v = (0.0, 0.0);
        let mut path = vec![p];
        for _ in 0..steps {
            let g = gradient(f, p);
            v = (beta * v.0 - lr * g.0, beta * v.1 - lr * g.1);
            p = (p.0 + v.0, p.1 + v.1);
            path.push(p);
        }
        path
    }

    /// Adam: scale-free steps, so it copes with Beale's steep start.
    pub fn adam(
        f: &dyn Fn(f64, f64) -> f64,
        start: (f64, f64),
        lr: f64,
        steps: usize,
    ) -> Vec<(f64, f64)> {
        let (b1, b2, eps) = (0.9, 0.999, 1e-8);
        let mut p = start;
        let (mut m, mut s) = ((0.0, 0.0), (0.0, 0.0));
        let mut path = vec![p];
        for t in 1..=steps {
            let g = gradient(f, p);
            m = (b1 * m.0 + (1.0 - b1) * g.0, b1 * m.1 + (1.0 - b1) * g.1);
            s = (
                b2 * s.0 + (1.0 - b2) * g.0 * g.0,
                b2 * s.1 + (1.0 - b2) * g.1 * g.1,
            );
            let c1 = 1.0 - b1.powi(t as i32);
            let c2 = 1.0 - b2.powi(t as i32);
            p = (
                p.0 - lr * (m.0 / c1) / ((s.0 / c2).sqrt() + eps),
                p.1 - lr * (m.1 / c1) / ((s.1 / c2).sqrt() + eps),
            );
            path.push(p);
        }
        path
    }
}

#[cfg(test)]
mod gallery {
    //! Renders every kind of picture on realistic data into a folder, to look at:
    //! `DOWNHILL_GALLERY=/tmp/gallery cargo test -p downhill-cli gallery -- --ignored`.

    use super::scenes::*;
    use super::*;
    use std::path::PathBuf;

    #[test]
    #[ignore = "writes pictures to look at"]
    fn gallery() {
        let dir = PathBuf::from(
            std::env::var("DOWNHILL_GALLERY").unwrap_or_else(|_| "/tmp/downhill-gallery".into()),
        );
        std::fs::create_dir_all(&dir).expect("gallery dir");
        let size = Size::default();
        let xy = ("x", "y");

        let rb = momentum(&rosenbrock, (-1.2, 1.0), 1e-3, 0.9, 3000);
        let rb_paths = [NamedPath {
            name: "momentum (lr 1e-3, 0.9)",
            points: &rb,
        }];
        for ext in ["png", "svg"] {
            surface(
                &dir.join(format!("rosenbrock.{ext}")),
                size,
                &rosenbrock,
                None,
                &rb_paths,
                &[(1.0, 1.0)],
                xy,
            )
            .expect("rosenbrock");
            surface_3d(
                &dir.join(format!("rosenbrock-3d.{ext}")),
                size,
                &rosenbrock,
                None,
                &rb_paths,
                &[(1.0, 1.0)],
                xy,
            )
            .expect("rosenbrock 3d");
        }

        let b1 = adam(&beale, (3.0, 4.0), 0.05, 2000);
        let b2 = momentum(&beale, (3.0, 4.0), 1e-5, 0.95, 5000);
        let beale_paths = [
            NamedPath {
                name: "adam (lr 0.05)",
                points: &b1,
            },
            NamedPath {
                name: "momentum (lr 1e-5, 0.95)",
                points: &b2,
            },
        ];
        surface(
            &dir.join("beale.png"),
            size,
            &beale,
            None,
            &beale_paths,
            &[(3.0, 0.5)],
            xy,
        )
        .expect("beale");
        surface_3d(
            &dir.join("beale-3d.png"),
            size,
            &beale,
            None,
            &beale_paths,
            &[(3.0, 0.5)],
            xy,
        )
        .expect("beale 3d");

        let sd = momentum(&saddle, (-2.0, 0.01), 0.02, 0.5, 80);
        let saddle_paths = [NamedPath {
            name: "gradient descent",
            points: &sd,
        }];
        let bounds = Some(Bounds {
            x: (-3.0, 3.0),
            y: (-3.0, 3.0),
        });
        surface(
            &dir.join("saddle.png"),
            size,
            &saddle,
            bounds,
            &saddle_paths,
            &[],
            xy,
        )
        .expect("saddle");
        surface_3d(
            &dir.join("saddle-3d.png"),
            size,
            &saddle,
            bounds,
            &saddle_paths,
            &[],
            xy,
        )
        .expect("saddle 3d");

        // A cost undefined for x < 0 and infinite beyond y = 1.5: grey holes and a wall.
        let holes = |x: f64, y: f64| {
            if x < 0.0 {
                f64::NAN
            } else if y > 1.5 {
                f64::INFINITY
            } else {
                (x - 1.0).powi(2) + 3.0 * (y - 0.5).powi(2)
            }
        };
        let hp = momentum(&holes, (0.2, 1.4), 0.05, 0.5, 60);
        let holes_paths = [NamedPath {
            name: "momentum",
            points: &hp,
        }];
        let hb = Some(Bounds {
            x: (-1.0, 2.0),
            y: (-1.0, 2.0),
        });
        surface(
            &dir.join("holes.png"),
            size,
            &holes,
            hb,
            &holes_paths,
            &[(1.0, 0.5)],
            xy,
        )
        .expect("holes");
        surface_3d(
            &dir.join("holes-3d.png"),
            size,
            &holes,
            hb,
            &holes_paths,
            &[(1.0, 0.5)],
            xy,
        )
        .expect("holes 3d");

        let train: Vec<f64> = (0..300)
            .map(|i| {
                0.05 + 2.0 * (-(i as f64) / 40.0).exp() + 0.01 * ((i * 7919) % 13) as f64 / 13.0
            })
            .collect();
        let valid: Vec<f64> = (0..300)
            .map(|i| 0.12 + 2.1 * (-(i as f64) / 45.0).exp() + 0.0004 * i as f64)
            .collect();
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
        loss_curve(&dir.join("loss.png"), size, &series, true).expect("loss");

        let xs: Vec<f64> = (0..80).map(|i| i as f64 / 8.0).collect();
        let ys: Vec<f64> = xs
            .iter()
            .enumerate()
            .map(|(i, x)| 1.5 * x + 2.0 + ((i * 37) % 11) as f64 / 5.0 - 1.0)
            .collect();
        fit_line(
            &dir.join("fit.png"),
            size,
            &xs,
            &ys,
            1.49,
            2.03,
            ("area (m²)", "price (k€)"),
        )
        .expect("fit");

        let mut pts = Vec::new();
        let mut labels = Vec::new();
        for i in 0..120 {
            let a = (i as f64 * 2.399_963).sin() * 2.0;
            let b = (i as f64 * 1.618_034).cos() * 2.0;
            let positive = i % 2 == 0;
            let shift = if positive { 1.2 } else { -1.2 };
            pts.push((a + shift, b + 0.5 * shift));
            labels.push(positive);
        }
        boundary(
            &dir.join("boundary.png"),
            size,
            &pts,
            &labels,
            [1.0, 0.6],
            -0.1,
            ("feature 1", "feature 2"),
            ("negative", "positive"),
        )
        .expect("boundary");
    }
}
