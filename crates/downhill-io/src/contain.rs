//! Panics inside the Parquet decoder, contained as errors.
//!
//! The `parquet` and `arrow` crates still panic on some damaged files instead of returning
//! an error (upstream knows: apache/arrow-rs#9742 asks for a fuzzer for exactly this, and our
//! own fuzz target keeps finding such paths). A damaged file is normal input here, so every
//! call into their decoders runs inside `contain`, which turns a panic into an error naming
//! the file. [`quiet_contained_panics`] keeps the panic hook from printing what is about to be
//! reported as that one-line error.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    static CONTAINING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`; a panic inside it becomes the error `what` followed by the panic's message.
pub(crate) fn contain<T>(
    what: impl FnOnce() -> String,
    f: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let outer = CONTAINING.with(|c| c.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    CONTAINING.with(|c| c.set(outer));
    result.unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "an unknown failure".to_string());
        Err(anyhow::anyhow!("{}: {message}", what()))
    })
}

/// Wraps the current panic hook so that it stays silent for panics that `contain` turns into
/// errors, and runs as before for every other panic. Call once, early (the CLI's `main`; a fuzz
/// target, after libFuzzer's own hook).
pub fn quiet_contained_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !CONTAINING.with(Cell::get) {
            previous(info);
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_and_a_result_passes_through() {
        let err = contain(
            || "t.parquet: damaged".into(),
            || -> anyhow::Result<()> { panic!("offset out of bounds") },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "t.parquet: damaged: offset out of bounds");
        assert_eq!(contain(String::new, || Ok(7)).unwrap(), 7);
        assert!(!CONTAINING.with(Cell::get));
    }
}
