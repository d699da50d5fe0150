//! Leases on submission builds, so several instances can share one database. The instance
//! building a batch owns its row's lease and renews it while it works; every write of the
//! build's outcome names the owner, so an instance whose lease was taken over cannot mark the
//! batch done or failed. A batch whose lease ran out (its instance died or hung) is claimed by
//! any instance and built again from the start: a build commits nothing before it is done.

use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::Error;
use crate::db::schema::submissions;
use crate::db::{self, DbConn};

/// A batch claimed this often without finishing (each claim follows a builder that died) is
/// failed rather than tried again: it is likely what kills its builders.
pub const MAX_ATTEMPTS: i32 = 3;

/// This instance's identity in leases and how long a lease lasts.
#[derive(Debug, Clone)]
pub struct Lease {
    owner: String,
    duration: Duration,
}

/// What [`Lease::claim_next`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Claimed {
    /// Nothing waits.
    Nothing,
    /// This batch is now this instance's to build.
    Build(String),
    /// This batch had been tried [`MAX_ATTEMPTS`] times and is now failed.
    GaveUp(String),
}

impl Lease {
    /// A lease for this process: host, process id and a random part, so a restarted process
    /// never mistakes its predecessor's leases for its own.
    pub fn for_this_instance(duration: Duration) -> Lease {
        let host = std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "host".into());
        let random = uuid::Uuid::new_v4().simple().to_string();
        Lease {
            owner: format!("{host}:{}:{}", std::process::id(), &random[..8]),
            duration: duration.max(Duration::from_secs(1)),
        }
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// When a lease taken or renewed now runs out.
    pub fn until(&self) -> NaiveDateTime {
        let d = chrono::Duration::from_std(self.duration).unwrap_or(chrono::Duration::MAX);
        Utc::now().naive_utc() + d
    }

    /// Extends the lease on batch `id`; false when this instance no longer holds it (taken
    /// over, or the batch ended).
    pub fn renew(&self, conn: &mut DbConn, id: &str) -> Result<bool, Error> {
        let n = diesel::update(
            submissions::table
                .find(id)
                .filter(submissions::lease_owner.eq(&self.owner))
                .filter(submissions::status.eq_any(["queued", "running"])),
        )
        .set(submissions::lease_until.eq(Some(self.until())))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Marks batch `id` running, if this instance holds its lease.
    pub fn start(&self, conn: &mut DbConn, id: &str) -> Result<bool, Error> {
        let n = diesel::update(
            submissions::table
                .find(id)
                .filter(submissions::lease_owner.eq(&self.owner))
                .filter(submissions::status.eq_any(["queued", "running"])),
        )
        .set((
            submissions::status.eq("running"),
            submissions::lease_until.eq(Some(self.until())),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Claims the oldest queued or running batch whose lease ran out (or that never had one).
    /// On PostgreSQL the candidate is locked with `FOR UPDATE SKIP LOCKED`, so instances
    /// looking at once take different batches; on SQLite the write transaction serialises them.
    pub fn claim_next(&self, conn: &mut DbConn) -> Result<Claimed, Error> {
        db::transaction(conn, |conn| {
            let now = Utc::now().naive_utc();
            let expired = submissions::lease_until
                .is_null()
                .or(submissions::lease_until.lt(now));
            let candidate: Option<(String, i32)> = match conn {
                DbConn::Postgres(c) => submissions::table
                    .filter(submissions::status.eq_any(["queued", "running"]))
                    .filter(expired)
                    .order(submissions::id.asc())
                    .select((submissions::id, submissions::attempts))
                    .for_update()
                    .skip_locked()
                    .first(c)
                    .optional()?,
                DbConn::Sqlite(c) => submissions::table
                    .filter(submissions::status.eq_any(["queued", "running"]))
                    .filter(expired)
                    .order(submissions::id.asc())
                    .select((submissions::id, submissions::attempts))
                    .first(c)
                    .optional()?,
            };
            let Some((id, attempts)) = candidate else {
                return Ok(Claimed::Nothing);
            };
            // The lease test again in the update: on SQLite two instances may have read the
            // same candidate before either wrote.
            let still_expired = submissions::lease_until
                .is_null()
                .or(submissions::lease_until.lt(now));
            let target = submissions::table
                .find(&id)
                .filter(submissions::status.eq_any(["queued", "running"]))
                .filter(still_expired);
            if attempts >= MAX_ATTEMPTS {
                let n = diesel::update(target)
                    .set((
                        submissions::status.eq("failed"),
                        submissions::error.eq(Some(format!(
                            "its build was interrupted {attempts} times (the service stopped \
                             or restarted while building it); create the submission again"
                        ))),
                        submissions::finished_at.eq(Some(now)),
                        submissions::lease_owner.eq(None::<String>),
                        submissions::lease_until.eq(None::<NaiveDateTime>),
                    ))
                    .execute(conn)?;
                return Ok(if n == 1 {
                    Claimed::GaveUp(id)
                } else {
                    Claimed::Nothing
                });
            }
            let n = diesel::update(target)
                .set((
                    submissions::status.eq("running"),
                    submissions::lease_owner.eq(Some(&self.owner)),
                    submissions::lease_until.eq(Some(self.until())),
                    submissions::attempts.eq(attempts + 1),
                ))
                .execute(conn)?;
            Ok(if n == 1 {
                Claimed::Build(id)
            } else {
                Claimed::Nothing
            })
        })
    }
}
