//! The router write-out's progress: how many writes are done, told to the caller's callback and
//! recorded on the cycle's row (the admin's sync status) while the writes go on.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::context::{Stage, SyncContext};
use crate::router::ops::{ApplyReport, Change};

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
