//! Any bytes as a CSV file: the quick path and the `csv`-crate path read the same rows and
//! values (bit for bit), or both refuse the file with the same message (same line); and
//! neither panics.
#![no_main]

use arbitrary::Arbitrary;
use downhill_io::csv::{header, load_both_ways};
use downhill_io::table::{Loaded, Target};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

#[derive(Arbitrary, Debug)]
struct Input {
    /// Which of the first 8 columns are features (bit j: column j).
    features: u8,
    /// No target, a numeric or a text one, and which column.
    target: u8,
    text: Vec<u8>,
}

/// One file per fuzzing process, rewritten for every input: the quick path maps a file.
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        dir.join(format!("downhill-fuzz-{}.csv", std::process::id()))
    })
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn same(quick: &Loaded, careful: &Loaded, text: &[u8]) {
    assert_eq!(
        quick.rows,
        careful.rows,
        "rows of {:?}",
        String::from_utf8_lossy(text)
    );
    assert_eq!(
        bits(&quick.x),
        bits(&careful.x),
        "x of {:?}",
        String::from_utf8_lossy(text)
    );
    assert_eq!(
        bits(&quick.y),
        bits(&careful.y),
        "y of {:?}",
        String::from_utf8_lossy(text)
    );
    assert_eq!(
        quick.labels,
        careful.labels,
        "labels of {:?}",
        String::from_utf8_lossy(text)
    );
}

fuzz_target!(|input: Input| {
    let path = scratch();
    std::fs::write(path, &input.text).expect("the scratch file can be written");
    let Ok(head) = header(path) else {
        return;
    };
    let width = head.names.len();
    let features: Vec<usize> = (0..width.min(8))
        .filter(|j| input.features >> j & 1 == 1)
        .collect();
    let column = usize::from(input.target / 3) % width;
    let target = match input.target % 3 {
        0 => Target::None,
        1 => Target::Numeric(column),
        _ => Target::Text(column),
    };
    let (quick, careful) = load_both_ways(path, &head, &features, target);
    match (quick, careful) {
        (Ok(None), _) => {}
        (Ok(Some(q)), Ok(c)) => same(&q, &c, &input.text),
        (Err(q), Err(c)) => assert_eq!(
            q.to_string(),
            c.to_string(),
            "errors of {:?}",
            String::from_utf8_lossy(&input.text)
        ),
        (q, c) => panic!(
            "the paths disagree on {:?}: quick {:?}, careful {:?}",
            String::from_utf8_lossy(&input.text),
            q.map(|l| l.map(|l| l.rows)),
            c.map(|l| l.rows)
        ),
    }
});
