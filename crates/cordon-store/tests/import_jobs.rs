//! Uploads run as jobs kept in the database: their progress is read while they
//! run (on PostgreSQL from another instance too), how they ended is kept, a
//! job whose process stopped reads as interrupted, and nobody reads another
//! user's job.

use std::sync::Arc;
use std::time::Duration;

use cordon_domain::clock::FixedClock;
use cordon_domain::{Actor, Key, Role};
use cordon_store::imports::{Body, ImportKind, JobState, Upload};
use cordon_store::sheets::{SheetFormat, SheetLimits};
use cordon_store::test_support::{engines, resident_file, seed, user};
use cordon_store::{Store, StoreError};

fn upload<'a>(name: &'a str, bytes: &'a [u8]) -> Upload<'a> {
    Upload { name, body: Body::Bytes(bytes), format: SheetFormat::Csv }
}

/// A job begun for `bytes` and run in a task of its own: its id and the task.
async fn start(
    store: &Store,
    actor: &Actor,
    name: &'static str,
    bytes: &[u8],
) -> (i64, tokio::task::JoinHandle<cordon_store::StoreResult<cordon_store::imports::ImportSummary>>) {
    let id = store.begin_import_job(actor, ImportKind::Residents, name).await.unwrap();
    let (store, actor, bytes) = (store.clone(), actor.clone(), bytes.to_vec());
    let running = tokio::spawn(async move {
        let file = upload(name, &bytes);
        store.run_import_job(id, &actor, ImportKind::Residents, file, &SheetLimits::DEFAULT).await
    });
    (id, running)
}

async fn community(store: &Store, name: &str) -> Actor {
    user(store, name, Role::Community, "道外区/仁里街道/民强社区").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_is_read_while_it_runs_and_keeps_how_it_ended_for_its_user_alone() {
    for db in engines().await {
        seed(&db.store).await.unwrap();
        let actor = community(&db.store, "社区").await;
        let other = community(&db.store, "别人").await;
        // Long enough (even in a debug build) for several reads while it runs.
        let bytes = resident_file(1, 100_000, false);
        let (id, running) = start(&db.store, &actor, "居民.csv", &bytes).await;
        // Another instance of Cordon on the same database.
        let elsewhere = Store::connect(&db.database).await.unwrap();
        let (mut seen_here, mut seen_elsewhere) = (Vec::new(), Vec::new());
        while !running.is_finished() {
            seen_here.push(db.store.import_job(&actor, id).await.unwrap());
            seen_elsewhere.push(elsewhere.import_job(&actor, id).await.unwrap());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let summary = running.await.unwrap().unwrap();
        assert_eq!(summary.imported, 100_000, "{}", db.engine);

        // Here, while it ran: running, with rows checked as the import went.
        let here: Vec<_> = seen_here.iter().filter(|j| j.state == JobState::Running).collect();
        assert!(here.iter().any(|j| j.progress.rows_checked > 0), "{}: progress while running", db.engine);
        assert!(here.windows(2).all(|w| w[0].progress.done <= w[1].progress.done), "{}: never back", db.engine);
        if db.engine == "postgres" {
            // Another instance reads the progress its heartbeat writes.
            let there: Vec<_> = seen_elsewhere.iter().filter(|j| j.state == JobState::Running).collect();
            assert!(!there.is_empty(), "{}: running, as read from another instance", db.engine);
            assert!(there.iter().any(|j| j.progress.rows_checked > 0), "{}: another instance's progress", db.engine);
        }

        // Ended: done, its counts kept, for every instance.
        for store in [&db.store, &elsewhere] {
            let job = store.import_job(&actor, id).await.unwrap();
            assert_eq!(job.state, JobState::Done, "{}", db.engine);
            assert_eq!((job.summary.imported, job.progress.rows_written), (100_000, 100_000), "{}", db.engine);
            assert_eq!(job.progress.done, job.progress.total, "{}", db.engine);
            assert!(job.finished_at.is_some());
        }
        // Nobody else reads it, by id or in their list.
        assert!(matches!(db.store.import_job(&other, id).await, Err(StoreError::NotFound)), "{}", db.engine);
        assert!(db.store.import_jobs(&other, 10).await.unwrap().is_empty());
        assert_eq!(db.store.import_jobs(&actor, 10).await.unwrap()[0].id, id);
    }
}

#[tokio::test]
async fn a_rejected_or_refused_file_is_kept_as_such_with_its_report_and_its_reason() {
    for db in engines().await {
        seed(&db.store).await.unwrap();
        let actor = community(&db.store, "社区").await;
        let bad = resident_file(1, 30, true);
        let id = db.store.begin_import_job(&actor, ImportKind::Residents, "坏.csv").await.unwrap();
        let result =
            db.store.run_import_job(id, &actor, ImportKind::Residents, upload("坏.csv", &bad), &SheetLimits::DEFAULT);
        assert!(matches!(result.await, Err(StoreError::Rejected(_))));
        let job = db.store.import_job(&actor, id).await.unwrap();
        assert_eq!((job.state, job.bad_cells), (JobState::Rejected, 30), "{}", db.engine);
        let report = db.store.import_report(&actor, job.report.expect("a kept report")).await.unwrap();
        assert_eq!(report.bad_cells().count(), 30, "{}", db.engine);

        let mut unreadable = resident_file(1, 3, false);
        unreadable.insert(unreadable.len() - 5, 0xFF);
        let id = db.store.begin_import_job(&actor, ImportKind::Residents, "乱码.csv").await.unwrap();
        let file = upload("乱码.csv", &unreadable);
        let result = db.store.run_import_job(id, &actor, ImportKind::Residents, file, &SheetLimits::DEFAULT).await;
        assert!(matches!(result, Err(StoreError::Sheet(_))));
        let job = db.store.import_job(&actor, id).await.unwrap();
        assert_eq!(job.state, JobState::Refused, "{}", db.engine);
        assert_eq!(job.refusal, Some(Key::SheetBadEncoding.with("row", 4usize)), "{}", db.engine);

        // A role that may not import residents begins no job.
        let member = user(&db.store, "组员", Role::SquadMember, "道外区/仁里街道/民强社区/甲小区").await;
        let refused = db.store.begin_import_job(&member, ImportKind::Residents, "x.csv").await;
        assert!(matches!(refused, Err(StoreError::Forbidden)), "{}", db.engine);
    }
}

#[tokio::test]
async fn a_job_whose_process_stopped_reads_as_interrupted() {
    for db in engines().await {
        seed(&db.store).await.unwrap();
        let actor = community(&db.store, "社区").await;
        // Cut off here (its task dropped, as when the server stops mid-import).
        let bytes = resident_file(1, 20_000, false);
        let id = db.store.begin_import_job(&actor, ImportKind::Residents, "居民.csv").await.unwrap();
        let file = upload("居民.csv", &bytes);
        let cut = db.store.run_import_job(id, &actor, ImportKind::Residents, file, &SheetLimits::DEFAULT);
        assert!(tokio::time::timeout(Duration::from_millis(1), cut).await.is_err());
        let job = db.store.import_job(&actor, id).await.unwrap();
        assert_eq!(job.state, JobState::Interrupted, "{}: this process no longer runs it", db.engine);

        // Begun in another process, which stops beating (or, on SQLite, is not this server).
        let clock = FixedClock::at(db.store.now());
        let elsewhere = Store::connect(&db.database).await.unwrap().with_clock(Arc::new(clock.clone()));
        let id = elsewhere.begin_import_job(&actor, ImportKind::Residents, "别处.csv").await.unwrap();
        let later = db.store.with_clock(Arc::new(clock.clone()));
        let expected = if db.engine == "sqlite" { JobState::Interrupted } else { JobState::Running };
        assert_eq!(later.import_job(&actor, id).await.unwrap().state, expected, "{}: just begun", db.engine);
        clock.advance(chrono::Duration::seconds(31));
        assert_eq!(later.import_job(&actor, id).await.unwrap().state, JobState::Interrupted, "{}", db.engine);
        assert_eq!(elsewhere.import_job(&actor, id).await.unwrap().state, JobState::Running, "{}: its own", db.engine);
    }
}

/// A job ends by writing its row and then ceasing to be live here; a page
/// that polls it at that instant read the row still running, found nothing
/// live and said "interrupted" (it happened once in CI). Jobs small enough to
/// end while they are polled, again and again: never interrupted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_read_as_it_ends_reads_as_ended_never_as_interrupted() {
    for db in engines().await {
        seed(&db.store).await.unwrap();
        let actor = community(&db.store, "社区").await;
        let bytes = resident_file(1, 3, false);
        for round in 0..150 {
            let (id, running) = start(&db.store, &actor, "小.csv", &bytes).await;
            // Two pollers, by id and in the list, as the upload page and the API read it.
            loop {
                let finished = running.is_finished();
                let (one, list) = tokio::join!(db.store.import_job(&actor, id), db.store.import_jobs(&actor, 1));
                for job in [one.unwrap(), list.unwrap().remove(0)] {
                    assert_ne!(job.state, JobState::Interrupted, "{}: round {round}", db.engine);
                }
                if finished {
                    break;
                }
            }
            running.await.unwrap().unwrap();
            assert_eq!(db.store.import_job(&actor, id).await.unwrap().state, JobState::Done, "{}", db.engine);
        }
    }
}
