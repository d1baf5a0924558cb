//! `downhill serve`: the playground (the `downhill-serve` crate) on a local port.

use anyhow::{bail, Result};
use clap::Args;
use downhill_serve::ServeOptions;
use std::io::ErrorKind;
use std::net::IpAddr;

/// Examples for `--help`.
pub const EXAMPLES: &str = "\
Examples:
  downhill serve
  downhill serve --port 9000 --open

The page races optimizers on a named function or a formula, as `downhill compare` does,
and fits models to the shipped data sets or an uploaded CSV, as `downhill fit` does; its API
(GET /api/functions, /api/optimizers, /api/datasets; POST /api/compare, /api/surface,
/api/table, /api/fit) is in the README.";

/// Arguments of `downhill serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on; anything but a loopback address lets other machines in.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,

    /// The port to listen on (0: any free one).
    #[arg(long, default_value_t = 8765)]
    pub port: u16,

    /// Open the page in a web browser.
    #[arg(long)]
    pub open: bool,
}

/// Runs `downhill serve` until Ctrl-C.
pub fn run(args: &ServeArgs) -> Result<()> {
    let loopback =
        args.host == "localhost" || args.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        eprintln!(
            "downhill: warning: --host {} lets other machines run computations on this one; 127.0.0.1 keeps the playground to this machine",
            args.host
        );
    }
    let opts = ServeOptions {
        host: args.host.clone(),
        port: args.port,
        workers: 0,
    };
    let open = args.open;
    let result = downhill_serve::serve_blocking(opts, |addr| {
        let url = format!("http://{addr}/");
        println!("downhill playground at {url} (Ctrl-C to stop)");
        if open {
            open_browser(&url);
        }
    });
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AddrInUse => bail!(
            "port {} on {} is busy: choose another with --port",
            args.port,
            args.host
        ),
        Err(e) => bail!("cannot serve on {}:{}: {e}", args.host, args.port),
    }
}

/// Asks the desktop to open `url`; failing that, the URL printed above is enough.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener).arg(url).spawn() {
        eprintln!("downhill: warning: could not open a browser ({opener}: {e}); open {url}");
    }
}
