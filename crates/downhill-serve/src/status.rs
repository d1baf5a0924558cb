//! The pool's bookkeeping: runs waiting for a worker, runs on one, runs ended, and runs
//! cancelled because their client went away; `GET /api/status` shows it.

use crate::api::Problem;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::OwnedSemaphorePermit;

/// What the pool has done since the server started.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    queued: AtomicUsize,
    running: AtomicUsize,
    finished: AtomicU64,
    cancelled: AtomicU64,
    /// The route, the epochs run and the epochs asked of the last cancelled run.
    last_cancelled: Mutex<Option<Value>>,
}

/// Counts a request as queued until it is dropped (it got a worker or its client left).
struct Waiting(Arc<Stats>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.queued.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A worker of the pool, held by one run: counted running until dropped, then finished or,
/// after [`Slot::cancelled`], cancelled. The worker is free again once the slot is dropped.
pub(crate) struct Slot {
    stats: Arc<Stats>,
    cancelled: Option<Value>,
    _permit: OwnedSemaphorePermit,
}

impl Slot {
    /// The run stopped early because its client went away, after `epochs` of the `of` asked.
    pub(crate) fn cancelled(&mut self, route: &str, epochs: usize, of: usize) {
        self.cancelled = Some(json!({ "route": route, "epochs": epochs, "of": of }));
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // The outcome is counted before the run stops counting as running, so that a
        // reader who sees it ended also sees how.
        match self.cancelled.take() {
            Some(what) => {
                if let Ok(mut last) = self.stats.last_cancelled.lock() {
                    *last = Some(what);
                }
                self.stats.cancelled.fetch_add(1, Ordering::SeqCst);
            }
            None => {
                self.stats.finished.fetch_add(1, Ordering::SeqCst);
            }
        }
        self.stats.running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits for a worker of the pool, counted as queued meanwhile.
pub(crate) async fn admit(state: &AppState) -> Result<Slot, Problem> {
    state.stats.queued.fetch_add(1, Ordering::SeqCst);
    let waiting = Waiting(state.stats.clone());
    let permit = state.pool.clone().acquire_owned().await.map_err(|_| {
        Problem::with(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "error": "the server is shutting down" }),
        )
    })?;
    state.stats.running.fetch_add(1, Ordering::SeqCst);
    drop(waiting);
    Ok(Slot {
        stats: state.stats.clone(),
        cancelled: None,
        _permit: permit,
    })
}

/// Set when the request that started a run is dropped: axum drops a handler's future when
/// its client closes the connection, and the run, on a thread of its own, reads this flag
/// at every step.
#[derive(Debug, Clone, Default)]
pub(crate) struct Gone(Arc<AtomicBool>);

impl Gone {
    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Sets its [`Gone`] when dropped, with the handler's future that holds it.
pub(crate) struct OnDrop(pub(crate) Gone);

impl Drop for OnDrop {
    fn drop(&mut self) {
        (self.0).0.store(true, Ordering::Relaxed);
    }
}

/// `GET /api/status`: the pool's workers, the runs queued and running now, the runs
/// finished and cancelled so far, and the last cancelled run.
pub(crate) async fn status(State(state): State<AppState>) -> Json<Value> {
    let s = &state.stats;
    let last = s.last_cancelled.lock().ok().and_then(|l| l.clone());
    Json(json!({
        "workers": state.workers,
        "idle": state.pool.available_permits(),
        "queued": s.queued.load(Ordering::SeqCst),
        "running": s.running.load(Ordering::SeqCst),
        "finished": s.finished.load(Ordering::SeqCst),
        "cancelled": s.cancelled.load(Ordering::SeqCst),
        "last_cancelled": last,
    }))
}
