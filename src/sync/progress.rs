//! A cycle's stages as it runs, and the router write-out's progress: told to the caller's
//! callback and recorded on the cycle's row (the admin's sync status).

use std::sync::atomic::{AtomicUsize, Ordering};

use super::run::SyncContext;
use crate::router::ops::{ApplyReport, Change};

/// A stage of a cycle, reported as it starts (`hotspot sync --now` shows them on a terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The router snapshot and the database load run side by side.
    Reading,
    Charging {
        hosts: usize,
        users: usize,
        devices: usize,
    },
    /// Reported as the writes start (`done` 0), then as they go on.
    WritingRouter {
        done: usize,
        changes: usize,
    },
}

impl Stage {
    /// A stage beginning, not a progress report within one.
    pub fn is_start(&self) -> bool {
        !matches!(self, Stage::WritingRouter { done, .. } if *done > 0)
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stage::Reading => write!(f, "reading the router and loading users and devices"),
            Stage::Charging { hosts, users, devices } => {
                write!(f, "{hosts} hosts, {users} users, {devices} devices planned; charging usage")
            }
            Stage::WritingRouter { done: 0, changes } => write!(f, "usage committed; writing {changes} router changes"),
            Stage::WritingRouter { done, changes } => {
                write!(f, "usage committed; writing {changes} router changes, {done} done")
            }
        }
    }
}

pub type Progress = std::sync::Arc<dyn Fn(Stage) + Send + Sync>;

/// Applies the cycle's router writes, reporting how many are done every `progress_every` while
/// they run (a first sight or a mass change on a slow router takes minutes). The reports run
/// beside the writes, never holding them up.
pub(super) async fn write_reporting(ctx: &SyncContext, run_id: i64, changes: Vec<Change>) -> ApplyReport {
    let total = changes.len();
    let done = AtomicUsize::new(0);
    let finished = tokio::sync::Notify::new();
    let apply = async {
        let report = ctx.router.apply_counting(changes, &done).await;
        // A stored permit: the reporter sees it even while it is busy recording a report.
        finished.notify_one();
        report
    };
    let reporter = async {
        loop {
            tokio::select! {
                () = finished.notified() => break,
                () = tokio::time::sleep(ctx.progress_every) => {
                    let n = done.load(Ordering::Relaxed);
                    if n > 0 && n < total {
                        ctx.report(run_id, Stage::WritingRouter { done: n, changes: total }).await;
                    }
                }
            }
        }
    };
    tokio::join!(apply, reporter).0
}
