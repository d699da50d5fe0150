//! Which facilities a token or a write may name: the registered ones, unless the service
//! accepts unknown facilities (a first load, `CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES`).
//!
//! Ids are cached: every authenticated request checks its token's facilities, and a query per
//! request for a table that changes a few times a year would be waste. The database stays the
//! truth: an id missing from the cache is looked up before it is refused (another instance may
//! have registered it), and `POST /facilities` adds its id here.

use std::collections::HashSet;
use std::sync::RwLock;

use crate::abstracts::{Error, ItemError};
use crate::db::DbConn;

/// The rule an item error names when a write names a facility that is not registered.
pub const UNKNOWN_FACILITY_RULE: &str = "unknown-facility";

/// The registered facility ids seen so far, and whether unknown ones are accepted.
#[derive(Debug, Default)]
pub struct Registered {
    accept_unknown: bool,
    known: RwLock<HashSet<String>>,
}

impl Registered {
    /// An empty cache; `accept_unknown` turns every check off.
    pub fn new(accept_unknown: bool) -> Registered {
        Registered {
            accept_unknown,
            known: RwLock::new(HashSet::new()),
        }
    }

    /// Whether facilities that are not registered are accepted (a first load).
    pub fn accepts_unknown(&self) -> bool {
        self.accept_unknown
    }

    /// Notes a facility just registered.
    pub fn add(&self, id: &str) {
        if let Ok(mut known) = self.known.write() {
            known.insert(id.to_string());
        }
    }

    /// The ids of `ids` the cache does not know (all of them are fine when unknown ones are
    /// accepted): what [`Registered::unknown`] must look up.
    pub fn not_cached<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        if self.accept_unknown {
            return Vec::new();
        }
        let Ok(known) = self.known.read() else {
            return ids.into_iter().map(str::to_string).collect();
        };
        let mut missing: Vec<String> = ids
            .into_iter()
            .filter(|id| !known.contains(*id))
            .map(str::to_string)
            .collect();
        missing.sort();
        missing.dedup();
        missing
    }

    /// The ids of `ids` that are not registered (none when unknown ones are accepted); looks
    /// up in the database what the cache does not hold, and caches what it finds.
    pub fn unknown<'a>(
        &self,
        conn: &mut DbConn,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<String>, Error> {
        let missing = self.not_cached(ids);
        if missing.is_empty() {
            return Ok(missing);
        }
        let unknown = super::unknown(conn, &missing)?;
        for id in missing.iter().filter(|id| !unknown.contains(id)) {
            self.add(id);
        }
        Ok(unknown)
    }

    /// Refuses (422, rule `unknown-facility`, at `field`) a write naming a facility that is not
    /// registered.
    pub fn require(&self, conn: &mut DbConn, field: &str, id: &str) -> Result<(), Error> {
        match self.unknown(conn, [id])?.first() {
            None => Ok(()),
            Some(f) => Err(Error::Invalid(vec![ItemError::new(
                field,
                (field == "reportingFacility").then_some(540),
                UNKNOWN_FACILITY_RULE,
                format!(
                    "facility {f} is not registered: a manager registers it (POST /api/v1/facilities)"
                ),
            )])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepting_unknown_checks_nothing() {
        assert!(Registered::new(true).not_cached(["0000000009"]).is_empty());
        let r = Registered::new(false);
        assert_eq!(r.not_cached(["0000000009"]), vec!["0000000009"]);
        r.add("0000000009");
        assert!(r.not_cached(["0000000009"]).is_empty());
    }
}
