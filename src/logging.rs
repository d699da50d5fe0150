//! The service's log: env_logger's lines, written to standard error by a thread of their own.
//! While serving, every request logs a line; writing each as it came was a `write` per request
//! on the worker that answered it (a twentieth of an audited read's CPU). Lines wait in memory
//! for [`FLUSH_EVERY`] at most, or until [`FLUSH_AT`] bytes gather, and go out in one write;
//! a warning or an error goes out at once. A process killed outright (SIGKILL) loses the
//! access lines of its last moments, as with a web server's buffered access log.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a line waits at most.
const FLUSH_EVERY: Duration = Duration::from_millis(20);

/// Bytes after which a line's writer writes them out at once.
const FLUSH_AT: usize = 64 << 10;

/// Log lines not yet written.
#[derive(Clone, Default)]
pub struct Lines(Arc<Mutex<Vec<u8>>>);

impl Lines {
    /// Writes out what is buffered.
    pub fn flush(&self) {
        let data = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        if !data.is_empty() {
            let _ = std::io::stderr().lock().write_all(&data);
        }
    }
}

struct Buffered(Lines);

impl Write for Buffered {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let full = {
            let mut buf = (self.0).0.lock().unwrap_or_else(|e| e.into_inner());
            buf.extend_from_slice(bytes);
            buf.len() >= FLUSH_AT
        };
        if full {
            self.0.flush();
        }
        Ok(bytes.len())
    }

    /// env_logger flushes after each line: the thread does.
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts the log (level from `RUST_LOG`, `info` by default). `buffered` (a long-running
/// server): lines are written by a thread; call [`Lines::flush`] before exiting. Otherwise
/// (commands) each line is written as it comes.
pub fn init(buffered: bool) -> Option<Lines> {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if !buffered {
        builder.init();
        return None;
    }
    let lines = Lines::default();
    let writer = lines.clone();
    let spawned = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || loop {
            std::thread::sleep(FLUSH_EVERY);
            writer.flush();
        });
    if spawned.is_err() {
        builder.init();
        return None;
    }
    let inner = builder
        .target(env_logger::Target::Pipe(Box::new(Buffered(lines.clone()))))
        .build();
    log::set_max_level(inner.filter());
    let logger = Logger {
        inner,
        lines: lines.clone(),
    };
    if log::set_boxed_logger(Box::new(logger)).is_err() {
        return None;
    }
    Some(lines)
}

/// env_logger's logger, writing warnings and errors out at once (with the lines before them):
/// they matter most when the process is about to die.
struct Logger {
    inner: env_logger::Logger,
    lines: Lines,
}

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.inner.matches(record) {
            return;
        }
        self.inner.log(record);
        if record.level() <= log::Level::Warn {
            self.lines.flush();
        }
    }

    fn flush(&self) {
        self.lines.flush();
    }
}
