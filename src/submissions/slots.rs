//! Slots for the heavy jobs (submission builds, imports): a limit for the whole instance and
//! one per user. A submission build holds two pooled connections for minutes and an import
//! holds the writer, so without a limit one user's jobs took every connection and every other
//! user's reads got 503. A job over a limit is refused at once (429), never queued behind
//! the others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Why a job got no slot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{limit} jobs (submission builds and imports) already run on this instance; retry when one has finished")]
    Instance { limit: usize },
    #[error(
        "you already run {limit} jobs (submission builds and imports); retry when one has finished"
    )]
    User { limit: usize },
}

#[derive(Debug, Default)]
struct Running {
    total: usize,
    by_user: HashMap<String, usize>,
}

/// The job limits of one instance (several instances on one PostgreSQL database each keep
/// their own, sized to their own pool).
#[derive(Debug, Clone)]
pub struct JobSlots {
    running: Arc<Mutex<Running>>,
    per_instance: usize,
    per_user: usize,
}

/// A running job's slot, given back when dropped (the job ended, failed or panicked).
#[derive(Debug)]
pub struct Slot {
    running: Arc<Mutex<Running>>,
    user: String,
}

impl JobSlots {
    /// Limits of at least one job each.
    pub fn new(per_instance: usize, per_user: usize) -> JobSlots {
        JobSlots {
            running: Arc::default(),
            per_instance: per_instance.max(1),
            per_user: per_user.max(1),
        }
    }

    /// The default for a pool of `pool_size` connections: jobs may take at most half of it
    /// (a build holds two connections), the rest stays for everyone's reads and writes.
    pub fn for_pool(pool_size: u32, per_instance: Option<usize>, per_user: Option<usize>) -> Self {
        let share = (pool_size as usize / 4).max(1);
        JobSlots::new(per_instance.unwrap_or(share), per_user.unwrap_or(1))
    }

    /// A slot for a job of `user`, or why there is none.
    pub fn take(&self, user: &str) -> Result<Slot, Refused> {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if running.total >= self.per_instance {
            return Err(Refused::Instance {
                limit: self.per_instance,
            });
        }
        let mine = running.by_user.get(user).copied().unwrap_or(0);
        if mine >= self.per_user {
            return Err(Refused::User {
                limit: self.per_user,
            });
        }
        running.total += 1;
        running.by_user.insert(user.to_string(), mine + 1);
        Ok(Slot {
            running: self.running.clone(),
            user: user.to_string(),
        })
    }

    /// How many jobs run now.
    pub fn running(&self) -> usize {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        running.total = running.total.saturating_sub(1);
        if let Some(n) = running.by_user.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                running.by_user.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_user_and_per_instance() {
        let slots = JobSlots::new(3, 2);
        let a1 = slots.take("a").unwrap();
        let _a2 = slots.take("a").unwrap();
        assert_eq!(slots.take("a").unwrap_err(), Refused::User { limit: 2 });
        let b1 = slots.take("b").unwrap();
        assert_eq!(slots.take("c").unwrap_err(), Refused::Instance { limit: 3 });
        drop(b1);
        let _c = slots.take("c").unwrap();
        drop(a1);
        assert_eq!(slots.running(), 2);
        let _a3 = slots.take("a").unwrap();
        assert_eq!(slots.running(), 3);
    }

    #[test]
    fn a_panicking_job_gives_its_slot_back() {
        let slots = JobSlots::new(1, 1);
        let slot = slots.take("a").unwrap();
        let r = std::thread::spawn(move || {
            let _held = slot;
            panic!("job failed");
        })
        .join();
        assert!(r.is_err());
        assert_eq!(slots.running(), 0);
        assert!(slots.take("b").is_ok());
    }

    #[test]
    fn default_share_of_the_pool() {
        let sqlite = JobSlots::for_pool(8, None, None);
        assert_eq!((sqlite.per_instance, sqlite.per_user), (2, 1));
        let pg = JobSlots::for_pool(16, None, None);
        assert_eq!(pg.per_instance, 4);
        assert_eq!(JobSlots::for_pool(2, None, None).per_instance, 1);
    }
}
