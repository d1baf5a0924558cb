//! The downhill playground: a web page and a JSON API over the library's race of optimizers
//! on a function (`downhill compare`), served by axum.
//!
//! - `GET /` the page (HTML, JS and CSS embedded in the binary);
//! - `GET /api/functions`, `GET /api/optimizers`: what the page offers;
//! - `POST /api/compare`: a race, answered as `downhill compare --json` answers, plus each
//!   run's path;
//! - `POST /api/surface`: a function's values on a grid, for the contours;
//! - `GET /api/datasets`: the shipped data sets (embedded), with their columns;
//! - `POST /api/table`: an uploaded CSV's columns, or its error with line and column;
//! - `POST /api/fit`: a fit (`downhill fit`'s flags as JSON), its epochs streamed as
//!   server-sent events;
//! - `GET /api/status`: the pool's runs, queued, running, finished and cancelled.
//!
//! Every run is capped in steps ([`MAX_EPOCHS`]) and time ([`MAX_SECONDS`]) and runs on a
//! bounded pool, so that a burst of requests queues instead of starving the machine.

mod api;
mod assets;
mod datasets;
mod fit;
mod status;
mod table;

pub use api::{
    CompareRequest, SurfaceRequest, MAX_BODY, MAX_EPOCHS, MAX_GRID, MAX_POINTS, MAX_SECONDS,
};
pub use fit::MAX_FIT_SECONDS;
pub use table::MAX_UPLOAD;

use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The address to listen on (`127.0.0.1`).
    pub host: String,
    /// The port (0: any free one).
    pub port: u16,
    /// Races run at once; more wait their turn [0: one per core].
    pub workers: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            host: "127.0.0.1".into(),
            port: 8765,
            workers: 0,
        }
    }
}

/// What the handlers share: the permits of the pool that runs races and fits, and its
/// bookkeeping.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub(crate) pool: Arc<Semaphore>,
    pub(crate) workers: usize,
    pub(crate) stats: Arc<status::Stats>,
}

/// The playground's routes, with `workers` races at once (0: one per core).
pub fn router(workers: usize) -> Router {
    let workers = if workers == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        workers
    };
    let state = AppState {
        pool: Arc::new(Semaphore::new(workers)),
        workers,
        stats: Arc::default(),
    };
    // Uploads (a CSV as the body, or inside a fit's JSON) have a larger cap of their own.
    let data = Router::new()
        .route("/api/table", post(table::upload))
        .route("/api/fit", post(fit::fit))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD + MAX_BODY))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_UPLOAD + MAX_BODY,
        ));
    let small = Router::new()
        .route("/", get(assets::index))
        .route("/app.js", get(assets::script))
        .route("/data.js", get(assets::data_script))
        .route("/view3d.js", get(assets::view3d_script))
        .route("/style.css", get(assets::style))
        .route("/api/functions", get(api::functions))
        .route("/api/optimizers", get(api::optimizers))
        .route("/api/compare", post(api::compare))
        .route("/api/surface", post(api::surface))
        .route("/api/datasets", get(datasets::list))
        .route("/api/status", get(status::status))
        // The Json extractor answers 413 past this; a race's description is small.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY));
    small.merge(data).fallback(api::not_found).with_state(state)
}

/// Binds `opts.host:opts.port`, calls `listening` with the address, then serves until
/// Ctrl-C. A busy port is an error of kind `AddrInUse`.
pub async fn serve(opts: ServeOptions, listening: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind((opts.host.as_str(), opts.port)).await?;
    listening(listener.local_addr()?);
    axum::serve(listener, router(opts.workers))
        .with_graceful_shutdown(async {
            // Without a signal handler there is nothing to wait for but the process's end.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await
}

/// [`serve`] on a runtime of its own, for a caller without one (the command line).
pub fn serve_blocking(
    opts: ServeOptions,
    listening: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(opts, listening))
}
