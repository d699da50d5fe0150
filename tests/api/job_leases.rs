//! Leases on submission builds, driven directly (the process-level take-over is in
//! `faults.rs`): a live lease is left alone, an expired one is claimed once, a holder that
//! lost its lease cannot finish, a batch that keeps killing its builders is failed, and
//! instances claiming at once never take the same batch.

use std::time::Duration;

use diesel::prelude::*;

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::FacilityScope;
use cancer_registry::db::schema::submissions;
use cancer_registry::submissions::export::Selection;
use cancer_registry::submissions::files::{FileStore, StoreKind};
use cancer_registry::submissions::jobs::{self, NewSubmission};
use cancer_registry::submissions::leases::{Claimed, Lease, MAX_ATTEMPTS};

fn lease() -> Lease {
    Lease::for_this_instance(Duration::from_secs(60))
}

async fn queued(app: &TestApp, name: &str, by: &Lease) -> String {
    let rid = app.recipient(name, "other", "A").await;
    let new = NewSubmission {
        recipient: rid,
        record_type: None,
        version: None,
        selection: Selection::default(),
        include_failing: false,
    };
    let mut conn = app.db.conn().unwrap();
    jobs::create(&mut conn, &FacilityScope::All, &new, "leases-test", by)
        .unwrap()
        .id
}

/// As if the holder died a while ago.
fn expire(app: &TestApp, id: &str) {
    let mut conn = app.db.conn().unwrap();
    diesel::update(submissions::table.find(id))
        .set(submissions::lease_until.eq(Some(
            chrono::Utc::now().naive_utc() - chrono::Duration::seconds(5),
        )))
        .execute(&mut *conn)
        .unwrap();
}

both_backends!(expired_leases_are_taken_over, |app: TestApp| async move {
    let t = app.registrar();
    let p = app.patient(&t, patient_items()).await;
    app.tumor(&t, &p, tumor_items()).await;
    let (first, second) = (lease(), lease());
    let id = queued(&app, "State", &first).await;
    let mut conn = app.db.conn().unwrap();
    assert_eq!(second.claim_next(&mut conn).unwrap(), Claimed::Nothing);
    assert!(first.renew(&mut conn, &id).unwrap());

    expire(&app, &id);
    assert_eq!(
        second.claim_next(&mut conn).unwrap(),
        Claimed::Build(id.clone())
    );
    assert_eq!(second.claim_next(&mut conn).unwrap(), Claimed::Nothing);
    assert!(!first.renew(&mut conn, &id).unwrap(), "the first lost it");
    drop(conn);

    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(StoreKind::default_for(app.db.backend()), dir.path().into());
    // The first holder, still running somewhere, cannot finish it nor fail it.
    let lost = jobs::build(&app.db, &store, &id, None, &first).unwrap_err();
    assert!(lost.to_string().contains("lease"), "{lost}");
    let s = jobs::get(&mut app.db.conn().unwrap(), &FacilityScope::All, &id).unwrap();
    assert_eq!(s.status, "running", "{s:?}");
    let done = jobs::build(&app.db, &store, &id, None, &second).unwrap();
    assert_eq!((done.status.as_str(), done.tumors), ("done", 1));
    let mut file = String::new();
    std::io::Read::read_to_string(&mut store.open(&app.db, &id).unwrap(), &mut file).unwrap();
    assert_eq!(file.matches("<Tumor>").count(), 1, "{file}");
});

both_backends!(
    builds_that_keep_dying_are_failed,
    |app: TestApp| async move {
        let id = queued(&app, "State", &lease()).await;
        let mut conn = app.db.conn().unwrap();
        diesel::update(submissions::table.find(&id))
            .set(submissions::attempts.eq(MAX_ATTEMPTS))
            .execute(&mut *conn)
            .unwrap();
        expire(&app, &id);
        assert_eq!(
            lease().claim_next(&mut conn).unwrap(),
            Claimed::GaveUp(id.clone())
        );
        let s = jobs::get(&mut conn, &FacilityScope::All, &id).unwrap();
        assert_eq!(s.status, "failed");
        assert!(
            s.error.unwrap_or_default().contains("interrupted 3 times"),
            "the error says why"
        );
        // A failed batch frees its recipient for the next one.
        drop(conn);
        let t = app.token(cancer_registry::auth::Role::Manager, None);
        let rid = jobs::get(&mut app.db.conn().unwrap(), &FacilityScope::All, &id)
            .unwrap()
            .recipient;
        let r = app
            .post(
                "/api/v1/submissions",
                &t,
                serde_json::json!({ "recipient": rid }),
            )
            .await;
        assert_eq!(r.status.as_u16(), 202, "{}", r.body);
    }
);

both_backends!(
    instances_claiming_at_once_take_different_batches,
    |app: TestApp| async move {
        let owner = lease();
        let mut ids = Vec::new();
        for i in 0..6 {
            let id = queued(&app, &format!("Recipient {i}"), &owner).await;
            expire(&app, &id);
            ids.push(id);
        }
        let claimers: Vec<_> = (0..6)
            .map(|_| {
                let db = app.db.clone();
                std::thread::spawn(move || {
                    let mine = lease();
                    let mut got = Vec::new();
                    for _ in 0..4 {
                        let mut conn = db.conn().unwrap();
                        // SQLite: another claimer's write may hold the lock past the busy wait.
                        if let Ok(Claimed::Build(id)) = mine.claim_next(&mut conn) {
                            got.push(id);
                        }
                    }
                    got
                })
            })
            .collect();
        let mut claimed: Vec<String> = claimers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        claimed.sort();
        let before = claimed.len();
        claimed.dedup();
        assert_eq!(before, claimed.len(), "a batch was claimed twice");
        ids.sort();
        assert_eq!(claimed, ids, "every expired batch was claimed");
    }
);
