//! Waking up for the next pass: a debounced file-system watcher on a shared folder, a polling
//! interval for a bucket (or a folder whose file system sends no notifications, as SMB shares
//! often do not), and Ctrl-C.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher as _};

use crate::SyncError;

/// Why a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Files arrived or changed (after the debounce).
    Changed,
    /// The polling interval passed.
    Interval,
    /// Someone asked to stop (Ctrl-C).
    Stop,
}

/// Waits between passes.
pub struct Waiter {
    rx: Receiver<()>,
    tx: Sender<()>,
    _watcher: Option<notify::RecommendedWatcher>,
    stop: Arc<AtomicBool>,
    debounce: Duration,
}

impl std::fmt::Debug for Waiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waiter")
            .field("watching", &self._watcher.is_some())
            .finish_non_exhaustive()
    }
}

impl Waiter {
    /// A waiter that watches `folder` (when given) for arriving files, debounced by `debounce`,
    /// and ends early when `stop` is set.
    pub fn new(
        folder: Option<&Path>,
        debounce: Duration,
        stop: Arc<AtomicBool>,
    ) -> Result<Waiter, SyncError> {
        let (tx, rx) = channel();
        let watcher = match folder {
            None => None,
            Some(dir) => {
                let tx = tx.clone();
                let mut w =
                    notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
                        if let Ok(ev) = res
                            && !matches!(ev.kind, notify::EventKind::Access(_))
                        {
                            let _ = tx.send(());
                        }
                    })
                    .map_err(|e| {
                        SyncError::Transfer(format!("cannot watch {}: {e}", dir.display()))
                    })?;
                w.watch(dir, RecursiveMode::Recursive).map_err(|e| {
                    SyncError::Offline(format!("cannot watch {}: {e}", dir.display()))
                })?;
                Some(w)
            }
        };
        Ok(Waiter {
            rx,
            tx,
            _watcher: watcher,
            stop,
            debounce,
        })
    }

    /// Something that wakes the waiter from another thread (a local change, say).
    pub fn waker(&self) -> Sender<()> {
        self.tx.clone()
    }

    /// Wait until files arrive (then until they have been quiet for the debounce), the interval
    /// passes, or a stop is asked for.
    pub fn wait(&self, interval: Duration) -> Wake {
        let deadline = Instant::now() + interval;
        let tick = Duration::from_millis(100);
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return Wake::Stop;
            }
            let now = Instant::now();
            if now >= deadline {
                return Wake::Interval;
            }
            match self.rx.recv_timeout(tick.min(deadline - now)) {
                Ok(()) => return self.settle(),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Wake::Stop,
            }
        }
    }

    /// Let a burst of changes finish: wait until nothing has changed for the debounce.
    fn settle(&self) -> Wake {
        let mut quiet_since = Instant::now();
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return Wake::Stop;
            }
            let left = self.debounce.saturating_sub(quiet_since.elapsed());
            if left.is_zero() {
                return Wake::Changed;
            }
            match self.rx.recv_timeout(left.min(Duration::from_millis(100))) {
                Ok(()) => quiet_since = Instant::now(),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Wake::Changed,
            }
        }
    }
}

/// Set `stop` on Ctrl-C (SIGINT) instead of dying mid-pass; a second Ctrl-C ends the process.
pub fn stop_on_interrupt(stop: Arc<AtomicBool>) -> Result<(), SyncError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SyncError::Transfer(format!("cannot listen for Ctrl-C: {e}")))?;
    std::thread::Builder::new()
        .name("ctrl-c".into())
        .spawn(move || {
            rt.block_on(async {
                if tokio::signal::ctrl_c().await.is_ok() {
                    stop.store(true, Ordering::SeqCst);
                    eprintln!("\nstopping after this pass (Ctrl-C again to stop at once)");
                }
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            });
        })
        .map_err(|e| SyncError::Transfer(format!("cannot listen for Ctrl-C: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_arriving_wakes_the_waiter_and_stop_ends_it() {
        let dir = tempfile::tempdir().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let w = Waiter::new(Some(dir.path()), Duration::from_millis(200), stop.clone()).unwrap();
        assert_eq!(w.wait(Duration::from_millis(200)), Wake::Interval);
        let path = dir.path().join("x");
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            std::fs::write(path, b"x").unwrap();
        });
        assert_eq!(w.wait(Duration::from_secs(10)), Wake::Changed);
        writer.join().unwrap();
        stop.store(true, Ordering::SeqCst);
        assert_eq!(w.wait(Duration::from_secs(10)), Wake::Stop);
    }
}
