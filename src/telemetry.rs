//! Logging: tracing to stdout, filtered by `RUST_LOG` (default `info`).
//!
//! `serve` logs through a bounded, batching writer: a line (one per request at `info`) is
//! formatted where it happens and appended to a buffer; a thread of its own writes what has
//! gathered every few milliseconds, so a slow stdout (a terminal, a pipe nobody drains) never
//! holds up an async worker. When the buffer is full, lines are dropped and counted rather than
//! requests delayed. SIGINT and SIGTERM write what is buffered before exit; SIGKILL loses
//! the lines of the last few milliseconds.
//!
//! Written by hand because the standard non-blocking writer (`tracing-appender`) wakes its
//! thread for every line: on two cores those wake-ups cost a tenth of the read throughput.
//! Here a burst of lines costs one wake-up.
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Bytes of log lines waiting for the writer thread at most (some 40,000 request lines).
const BUFFERED_BYTES: usize = 8 << 20;
/// How long the writer thread lets lines gather after the first one arrives.
const GATHER: Duration = Duration::from_millis(10);

/// Installs the global subscriber once, writing synchronously (tests call it per app; later
/// calls are no-ops).
pub fn init(default_filter: &str) {
    install(default_filter, std::io::stdout);
}

/// Installs the global subscriber with the batching writer on stdout. Keep the guard until
/// exit: dropping it writes what is buffered.
pub fn init_batched(default_filter: &str) -> LogGuard {
    let (writer, guard) = batched(std::io::stdout());
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

#[derive(Default)]
struct Pending {
    lines: Vec<u8>,
    dropped: u64,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    pending: Mutex<Pending>,
    arrived: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A panic while holding the lock leaves the buffer whole: keep logging.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The writer the subscriber formats into: each `write` is one formatted line.
#[derive(Clone)]
pub struct BatchWriter(Arc<Shared>);

impl Write for BatchWriter {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut pending = self.0.lock();
        if pending.lines.len() + line.len() > BUFFERED_BYTES {
            pending.dropped += 1;
            return Ok(line.len());
        }
        let first = pending.lines.is_empty();
        pending.lines.extend_from_slice(line);
        drop(pending);
        // Only the first line of a batch wakes the thread; it then waits GATHER for the rest.
        if first {
            self.0.arrived.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> MakeWriter<'w> for BatchWriter {
    type Writer = BatchWriter;
    fn make_writer(&'w self) -> Self::Writer {
        self.clone()
    }
}

/// Writes what is buffered and stops the writer thread when dropped.
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.arrived.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A batching writer onto `out`, and the guard that owns its thread.
pub fn batched<O: Write + Send + 'static>(out: O) -> (BatchWriter, LogGuard) {
    let shared = Arc::new(Shared::default());
    let inner = shared.clone();
    let thread = std::thread::Builder::new()
        .name("mi-sim-log".into())
        .spawn(move || write_batches(&inner, out))
        .ok();
    if thread.is_none() {
        // Without the thread nothing would drain the buffer: say so once, on stderr.
        eprintln!("mi-sim: could not start the log thread; log lines will be dropped");
    }
    (BatchWriter(shared.clone()), LogGuard { shared, thread })
}

fn write_batches(shared: &Shared, mut out: impl Write) {
    let mut batch = Vec::new();
    loop {
        let mut pending = shared.lock();
        while pending.lines.is_empty() && !pending.closed {
            pending = shared
                .arrived
                .wait(pending)
                .unwrap_or_else(|e| e.into_inner());
        }
        if !pending.closed {
            drop(pending);
            std::thread::sleep(GATHER);
            pending = shared.lock();
        }
        // Swap buffers so both keep their capacity.
        std::mem::swap(&mut pending.lines, &mut batch);
        let (dropped, closed) = (std::mem::take(&mut pending.dropped), pending.closed);
        drop(pending);
        // Nowhere to report a failing stdout but stdout: carry on and try the next batch.
        let _ = out.write_all(&batch);
        if dropped > 0 {
            let _ = writeln!(
                out,
                "mi-sim: {dropped} log lines dropped: stdout was not keeping up"
            );
        }
        let _ = out.flush();
        batch.clear();
        if closed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Write` whose bytes the test can read while the writer thread owns it.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_reaches_the_output_in_order_by_the_time_the_guard_drops() {
        let sink = Sink::default();
        let (writer, guard) = batched(sink.clone());
        for i in 0..1000 {
            writer
                .make_writer()
                .write_all(format!("line {i}\n").as_bytes())
                .unwrap();
        }
        drop(guard);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1000);
        assert_eq!((lines[0], lines[999]), ("line 0", "line 999"));
    }

    #[test]
    fn a_full_buffer_drops_lines_and_says_how_many() {
        // The writer thread is blocked on a held sink lock, so nothing drains.
        let sink = Sink::default();
        let held = sink.0.clone();
        let blocked = held.lock().unwrap();
        let (writer, guard) = batched(sink.clone());
        let line = vec![b'x'; 1 << 20];
        let mut w = writer.make_writer();
        // The first write may already be taken by the thread; the buffer then fills again.
        for _ in 0..20 {
            w.write_all(&line).unwrap();
        }
        drop(blocked);
        drop(guard);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("log lines dropped"), "no drop notice");
        assert!(
            text.len() <= 2 * BUFFERED_BYTES + 200,
            "wrote {} bytes",
            text.len()
        );
    }
}
