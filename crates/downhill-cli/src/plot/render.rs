//! What every picture shares: the output format from the file's extension, the size, the
//! bundled font, the colours, and rendering to memory then writing atomically.

use anyhow::{anyhow, bail, ensure, Context, Result};
use downhill_io::atomic;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

/// The output format, chosen by the file's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

impl Format {
    /// `.svg` or `.png` (any case); anything else is an error that names the extension.
    pub fn of(path: &Path) -> Result<Format> {
        let Some(ext) = path.extension() else {
            bail!(
                "cannot tell the picture format of {}: it has no extension (use .svg or .png)",
                path.display()
            );
        };
        match ext.to_string_lossy().to_ascii_lowercase().as_str() {
            "svg" => Ok(Format::Svg),
            "png" => Ok(Format::Png),
            _ => bail!(
                "unsupported picture format '.{}' for {}: use .svg or .png",
                ext.to_string_lossy(),
                path.display()
            ),
        }
    }
}

/// A picture's size in pixels (the PNG's size, the SVG's viewBox).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

impl Default for Size {
    fn default() -> Self {
        Size {
            width: 900,
            height: 700,
        }
    }
}

impl Size {
    /// Smaller leaves no room for the axes and legend; larger is a memory hazard (3 bytes
    /// a pixel in memory before encoding).
    const MIN: (u32, u32) = (300, 200);
    const MAX: u32 = 8_000;

    fn check(self) -> Result<()> {
        ensure!(
            (Self::MIN.0..=Self::MAX).contains(&self.width)
                && (Self::MIN.1..=Self::MAX).contains(&self.height),
            "a picture of {}x{} pixels is not possible: width must be {}..={} and height {}..={}",
            self.width,
            self.height,
            Self::MIN.0,
            Self::MAX,
            Self::MIN.1,
            Self::MAX
        );
        Ok(())
    }
}

/// A picture that can be drawn on any plotters backend (SVG and bitmap alike).
pub(crate) trait Scene {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static;
}

/// Draws `scene` in memory, then writes it to `path` atomically, so a failure at any point
/// leaves no file (and no partial one).
pub(crate) fn render(path: &Path, size: Size, scene: &impl Scene) -> Result<()> {
    let format = Format::of(path)?;
    size.check()?;
    register_font()?;
    let (w, h) = (size.width, size.height);
    let bytes = match format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
                scene.draw(&root)?;
                root.present()?;
            }
            svg.into_bytes()
        }
        Format::Png => {
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
                scene.draw(&root)?;
                root.present()?;
            }
            encode_png(&rgb, w, h)?
        }
    };
    atomic::write(path, |out| {
        out.write_all(&bytes)?;
        Ok(())
    })
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut encoder = png::Encoder::new(&mut data, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().context("cannot encode PNG")?;
    writer.write_image_data(rgb).context("cannot encode PNG")?;
    writer.finish().context("cannot encode PNG")?;
    Ok(data)
}

/// DejaVu Sans (Bitstream Vera licence, see assets/DejaVuSans-LICENSE.txt): bundled so
/// that pictures look the same everywhere and need no fontconfig.
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Font family name used by every text in the pictures.
pub(crate) const FONT_FAMILY: &str = "sans-serif";

fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(anyhow!("the bundled font cannot be read"))
    }
}

/// Text sizes, in pixels, for a picture of the default size.
pub(crate) const AXIS_DESC_SIZE: u32 = 20;
pub(crate) const TICK_LABEL_SIZE: u32 = 15;
pub(crate) const LEGEND_SIZE: u32 = 16;

pub(crate) fn font(size: u32) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&BLACK)
}

/// Distinct colours for series and paths (Tableau 10, red first since it stands out on
/// both white and the surface's colours).
const PALETTE: [RGBColor; 10] = [
    RGBColor(214, 39, 40),
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

pub(crate) fn palette(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The corner of the plot (in data coordinates `x`, `y`) with the fewest of `points`
/// near it: where a legend hides the least.
pub(crate) fn quiet_corner(
    points: impl IntoIterator<Item = (f64, f64)>,
    x: (f64, f64),
    y: (f64, f64),
) -> SeriesLabelPosition {
    // Legends take about 40% of the width and 30% of the height, at most.
    let (wx, wy) = (0.4 * (x.1 - x.0), 0.3 * (y.1 - y.0));
    let mut counts = [0usize; 4];
    for (px, py) in points {
        let right = px >= x.1 - wx;
        let left = px <= x.0 + wx;
        let top = py >= y.1 - wy;
        let bottom = py <= y.0 + wy;
        counts[0] += usize::from(top && right);
        counts[1] += usize::from(top && left);
        counts[2] += usize::from(bottom && right);
        counts[3] += usize::from(bottom && left);
    }
    let corners = [
        SeriesLabelPosition::UpperRight,
        SeriesLabelPosition::UpperLeft,
        SeriesLabelPosition::LowerRight,
        SeriesLabelPosition::LowerLeft,
    ];
    // `min_by_key` keeps the first of equals: upper right is preferred.
    let best = (0..4).min_by_key(|&i| counts[i]).unwrap_or(0);
    corners[best].clone()
}

/// A number for a tick label: short, three significant digits, exponent when needed.
pub(crate) fn short_number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.2e}");
        // "1.00e3" reads better as "1e3".
        return s.replace(".00e", "e").replace("0e", "e");
    }
    let digits = (2 - a.log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The smallest and largest finite values, or None if there are none.
pub(crate) fn finite_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Widens `(lo, hi)` by `margin` of its width on both sides; a single value gets a unit-ish
/// range around it, so the axis is never empty.
pub(crate) fn pad(lo: f64, hi: f64, margin: f64) -> (f64, f64) {
    let w = hi - lo;
    if w > 0.0 && w.is_finite() {
        (lo - margin * w, hi + margin * w)
    } else {
        let r = if lo.abs() > 0.0 { 0.5 * lo.abs() } else { 1.0 };
        (lo - r, hi + r)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The decoded PNG: width, height and RGB(A) pixels.
    pub(crate) fn read_png(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
        let file = std::fs::File::open(path).expect("open png");
        let decoder = png::Decoder::new(std::io::BufReader::new(file));
        let mut reader = decoder.read_info().expect("png header");
        let mut buf = vec![0; reader.output_buffer_size().expect("png size")];
        let info = reader.next_frame(&mut buf).expect("png data");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        let pixels = buf[..info.buffer_size()]
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect();
        (info.width, info.height, pixels)
    }

    pub(crate) fn distinct_colours(pixels: &[[u8; 3]]) -> usize {
        pixels.iter().collect::<HashSet<_>>().len()
    }

    /// How many pixels are (nearly) `c`.
    pub(crate) fn count_colour(pixels: &[[u8; 3]], c: RGBColor) -> usize {
        pixels
            .iter()
            .filter(|p| {
                (p[0] as i32 - c.0 as i32).abs()
                    + (p[1] as i32 - c.1 as i32).abs()
                    + (p[2] as i32 - c.2 as i32).abs()
                    <= 6
            })
            .count()
    }

    /// The parsed SVG's text, checked to be well-formed XML with an `svg` root of `size`.
    pub(crate) fn read_svg(path: &Path, size: Size) -> String {
        let text = std::fs::read_to_string(path).expect("read svg");
        {
            let doc = roxmltree::Document::parse(&text).expect("SVG is well-formed XML");
            let root = doc.root_element();
            assert_eq!(root.tag_name().name(), "svg");
            assert_eq!(
                root.attribute("viewBox"),
                Some(format!("0 0 {} {}", size.width, size.height).as_str())
            );
        }
        text
    }

    /// `(stroke colour, point count)` of every polyline in the SVG.
    pub(crate) fn polylines(svg: &str) -> Vec<(String, usize)> {
        let doc = roxmltree::Document::parse(svg).expect("SVG is well-formed XML");
        doc.descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .map(|n| {
                (
                    n.attribute("stroke").unwrap_or("").to_ascii_uppercase(),
                    n.attribute("points")
                        .unwrap_or("")
                        .split_whitespace()
                        .count(),
                )
            })
            .collect()
    }

    /// All text drawn in the SVG.
    pub(crate) fn texts(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).expect("SVG is well-formed XML");
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text().map(|t| t.trim().to_string()))
            .collect()
    }

    pub(crate) fn hex(c: RGBColor) -> String {
        format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
    }

    struct Blank;
    impl Scene for Blank {
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
        where
            DB::ErrorType: 'static,
        {
            root.fill(&WHITE)?;
            Ok(())
        }
    }

    struct Failing;
    impl Scene for Failing {
        fn draw<DB: DrawingBackend>(&self, _root: &DrawingArea<DB, Shift>) -> Result<()>
        where
            DB::ErrorType: 'static,
        {
            bail!("drawing failed")
        }
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn format_comes_from_the_extension() {
        assert_eq!(Format::of(Path::new("a/b.svg")).ok(), Some(Format::Svg));
        assert_eq!(Format::of(Path::new("b.PNG")).ok(), Some(Format::Png));
        let e = Format::of(Path::new("plot.jpeg")).unwrap_err().to_string();
        assert!(e.contains("'.jpeg'"), "{e}");
        let e = Format::of(Path::new("plot")).unwrap_err().to_string();
        assert!(e.contains("no extension"), "{e}");
    }

    #[test]
    fn unknown_extension_writes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = render(&dir.path().join("x.gif"), Size::default(), &Blank).unwrap_err();
        assert!(e.to_string().contains("'.gif'"), "{e}");
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn failures_leave_no_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Drawing fails: nothing is written at all.
        let target = dir.path().join("x.png");
        assert!(render(&target, Size::default(), &Failing).is_err());
        // The size is impossible.
        let tiny = Size {
            width: 10,
            height: 10,
        };
        assert!(render(&target, tiny, &Blank).is_err());
        assert!(entries(dir.path()).is_empty());
        // Writing fails at the rename (the target is a directory): the temporary file
        // is removed and the directory is untouched.
        let busy = dir.path().join("busy.svg");
        std::fs::create_dir(&busy).expect("mkdir");
        let e = render(&busy, Size::default(), &Blank).unwrap_err();
        assert!(format!("{e:#}").contains("busy.svg"), "{e:#}");
        assert_eq!(entries(dir.path()), vec!["busy.svg".to_string()]);
        assert!(entries(&busy).is_empty());
        // A directory that does not exist.
        let missing = dir.path().join("no/such/dir/x.svg");
        assert!(render(&missing, Size::default(), &Blank).is_err());
        assert!(!missing.exists());
    }

    #[test]
    fn writes_the_requested_size() {
        let dir = tempfile::tempdir().expect("tempdir");
        let size = Size {
            width: 640,
            height: 480,
        };
        let png = dir.path().join("x.png");
        render(&png, size, &Blank).expect("png");
        let (w, h, pixels) = read_png(&png);
        assert_eq!((w, h), (640, 480));
        assert_eq!(distinct_colours(&pixels), 1);
        let svg = dir.path().join("x.svg");
        render(&svg, size, &Blank).expect("svg");
        read_svg(&svg, size);
        // Only the two pictures: no temporary files left behind.
        assert_eq!(entries(dir.path()), vec!["x.png", "x.svg"]);
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short_number(0.0), "0");
        assert_eq!(short_number(1.0), "1");
        assert_eq!(short_number(12.345), "12.3");
        assert_eq!(short_number(0.012345), "0.0123");
        assert_eq!(short_number(-2.5), "-2.5");
        assert_eq!(short_number(123456.0), "1.23e5");
        assert_eq!(short_number(1e-5), "1e-5");
    }

    #[test]
    fn legend_goes_where_the_points_are_not() {
        let x = (0.0, 10.0);
        let y = (0.0, 10.0);
        let pts = [(9.0, 9.0), (1.0, 9.0), (9.0, 1.0)];
        assert!(matches!(
            quiet_corner(pts, x, y),
            SeriesLabelPosition::LowerLeft
        ));
        assert!(matches!(
            quiet_corner([], x, y),
            SeriesLabelPosition::UpperRight
        ));
    }
}
