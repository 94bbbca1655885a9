//! Logging: tracing to stdout, filtered by `RUST_LOG` (default `info`).
//!
//! `serve` logs through a bounded, non-blocking writer: a line (one per request at `info`) is
//! formatted where it happens and written by a thread of its own, so a slow stdout (a terminal,
//! a pipe nobody drains) never holds up an async worker. When the buffer is full, lines are
//! dropped rather than requests delayed. Writing synchronously cost a fifth of the read
//! throughput on two cores.
use std::io::IsTerminal;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Log lines waiting for the writer thread at most.
const BUFFERED_LINES: usize = 65_536;

/// Installs the global subscriber once, writing synchronously (tests call it per app; later
/// calls are no-ops).
pub fn init(default_filter: &str) {
    install(default_filter, std::io::stdout);
}

/// Installs the global subscriber with the non-blocking writer. Keep the guard until exit: it
/// flushes what is buffered when dropped.
pub fn init_non_blocking(default_filter: &str) -> WorkerGuard {
    let (writer, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(BUFFERED_LINES)
        .lossy(true)
        .thread_name("mi-sim-log")
        .finish(std::io::stdout());
    install(default_filter, writer);
    guard
}

fn install<W>(default_filter: &str, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .with_writer(writer)
        .try_init();
}
