//! Any bytes as a Parquet file: reading the header, the size and the columns (as numbers,
//! and the first as text labels) never panics; errors are fine.
#![no_main]

use downhill_io::parquet::{header, load, table_bytes};
use downhill_io::table::Target;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        dir.join(format!("downhill-fuzz-{}.parquet", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    // Panics inside the parquet crate are contained as errors (downhill_io::contain); any
    // other panic still reaches libFuzzer's aborting hook.
    static QUIET: OnceLock<()> = OnceLock::new();
    QUIET.get_or_init(downhill_io::contain::quiet_contained_panics);
    let path = scratch();
    std::fs::write(path, data).expect("the scratch file can be written");
    let _ = table_bytes(path);
    let Ok(head) = header(path) else {
        return;
    };
    let all: Vec<usize> = (0..head.names.len()).collect();
    let _ = load(path, &head, &all, Target::None);
    if let Some((&first, rest)) = all.split_first() {
        let _ = load(path, &head, rest, Target::Text(first));
        let _ = load(path, &head, rest, Target::Numeric(first));
    }
});
