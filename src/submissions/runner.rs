//! Runs submission builds: the one an instance just accepted, at once, and any batch whose
//! builder died, once its lease runs out. Every instance watches for the latter, so a batch
//! is finished by whichever instance is alive.

use std::sync::Arc;
use std::time::Duration;

use super::files::FileStore;
use super::jobs;
use super::leases::{Claimed, Lease};
use super::slots::{JobSlots, Slot};
use crate::db::Db;
use crate::edits::ReferenceTables;

/// The slot holder of builds taken over from other instances: they count against this
/// instance's limit, one at a time, never against a user's.
const TAKEN_OVER: &str = "(builds taken over)";

/// What a build needs, shared by the instance's builds.
#[derive(Clone)]
pub struct Builds {
    pub db: Db,
    pub store: Arc<FileStore>,
    pub lease: Arc<Lease>,
    pub tables: Option<Arc<ReferenceTables>>,
}

impl Builds {
    /// Builds batch `id` (leased to this instance) on a thread of its own, holding `slot`
    /// until it ends.
    pub fn spawn(&self, id: String, slot: Slot) {
        let builds = self.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("submission-{}", &id[id.len().saturating_sub(8)..]))
            .spawn(move || {
                let _slot = slot;
                let tables = builds.tables.as_deref();
                if let Err(e) = jobs::build(&builds.db, &builds.store, &id, tables, &builds.lease) {
                    log::error!("submission {id} failed: {e}");
                }
            });
        if let Err(e) = spawned {
            // Its lease runs out and another look (here or on another instance) takes it.
            log::error!("cannot start a submission build: {e}");
        }
    }

    /// Looks for batches to take over every half lease, for as long as the process lives.
    pub fn watch(self, slots: JobSlots) {
        let every =
            (self.lease.duration() / 2).clamp(Duration::from_millis(200), Duration::from_secs(15));
        let spawned = std::thread::Builder::new()
            .name("submission-watch".into())
            .spawn(move || loop {
                std::thread::sleep(every);
                self.take_over_one(&slots);
            });
        if let Err(e) = spawned {
            log::error!("cannot watch for interrupted submissions: {e}");
        }
    }

    /// Claims and starts one batch whose lease ran out, if this instance has a free slot.
    /// Returns whether it started one.
    pub fn take_over_one(&self, slots: &JobSlots) -> bool {
        let Ok(slot) = slots.take(TAKEN_OVER) else {
            return false;
        };
        let claimed = self
            .db
            .conn()
            .map_err(super::Error::from)
            .and_then(|mut conn| self.lease.claim_next(&mut conn));
        match claimed {
            Ok(Claimed::Build(id)) => {
                log::warn!(
                    "submission {id}: its builder stopped; building it again on {}",
                    self.lease.owner()
                );
                self.spawn(id, slot);
                true
            }
            Ok(Claimed::GaveUp(id)) => {
                log::error!("submission {id}: interrupted too often, marked failed");
                false
            }
            Ok(Claimed::Nothing) => false,
            Err(e) => {
                log::warn!("cannot look for interrupted submissions: {e}");
                false
            }
        }
    }
}
