//! Accounts under attack, in the store on both engines: the rate limiter
//! counted in the database, the one-time password, and sessions ended by a
//! password change.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use cordon_domain::Role;
use cordon_domain::clock::FixedClock;
use cordon_store::test_support::{PASSWORD, TestDb, engines, user};
use cordon_store::{Database, StoreError};

/// Rows left in the rate limiter's table, read past the store.
async fn rate_rows(db: &TestDb) -> i64 {
    let sql = "SELECT COUNT(*) FROM rate_hits";
    match &db.database {
        Database::Sqlite { data_dir } => {
            let pool =
                sqlx::SqlitePool::connect(&format!("sqlite://{}", data_dir.join("cordon.db").display())).await.unwrap();
            let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        }
        Database::Postgres { url } => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        }
    }
}

/// Ten seconds into a minute.
fn early_in_a_minute() -> DateTime<Utc> {
    let now = Utc::now().timestamp();
    DateTime::from_timestamp(now - now % 60 + 10, 0).unwrap()
}

#[tokio::test]
async fn the_rate_limiter_lets_exactly_the_limit_through_from_parallel_callers_and_cleans_up() {
    for mut db in engines().await {
        let engine = db.engine;
        let clock = FixedClock::at(early_in_a_minute());
        db.store = db.store.with_clock(Arc::new(clock.clone()));
        let minute = Duration::minutes(1);
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..30 {
            let store = db.store.clone();
            set.spawn(async move { store.hit_rate("test", "10.0.0.1", 10, Duration::minutes(1)).await.unwrap() });
        }
        let allowed = set.join_all().await.into_iter().filter(|ok| *ok).count();
        assert_eq!(allowed, 10, "{engine}: exactly the limit of 30 hits at once");
        let s = &db.store;
        assert!(s.hit_rate("test", "10.0.0.2", 10, minute).await.unwrap(), "{engine}: another caller");
        assert!(s.hit_rate("other", "10.0.0.1", 10, minute).await.unwrap(), "{engine}: another bucket");
        clock.advance(Duration::seconds(40));
        assert!(!s.hit_rate("test", "10.0.0.1", 10, minute).await.unwrap(), "{engine}: same minute");
        // Early in the next minute most of the last one still weighs in.
        clock.advance(Duration::seconds(20));
        assert!(!s.hit_rate("test", "10.0.0.1", 10, minute).await.unwrap(), "{engine}: the last minute weighs in");
        clock.advance(Duration::minutes(2));
        assert!(s.hit_rate("test", "10.0.0.1", 10, minute).await.unwrap(), "{engine}: open again");
        assert_eq!(rate_rows(&db).await, 1, "{engine}: windows that cannot weigh in any more are gone");
    }
}

#[tokio::test]
async fn a_one_time_password_signs_in_once_even_when_two_try_at_the_same_instant() {
    for db in engines().await {
        let engine = db.engine;
        let once = db.store.ensure_admin().await.unwrap().expect("an empty database");
        assert!(db.store.ensure_admin().await.unwrap().is_none(), "{engine}: only on an empty database");
        let (a, b) = (db.store.clone(), db.store.clone());
        let (first, second) = tokio::join!(a.authenticate("admin", &once), b.authenticate("admin", &once));
        let signed: Vec<_> = [first.unwrap(), second.unwrap()].into_iter().flatten().collect();
        assert_eq!(signed.len(), 1, "{engine}: one sign-in of two at once");
        assert!(signed[0].one_time, "{engine}: it says the password must be changed");
        let s = &db.store;
        assert!(s.authenticate("admin", &once).await.unwrap().is_none(), "{engine}: spent");
        let admin = signed[0].actor.clone();
        assert!(matches!(
            s.change_password(&admin, "not it at all", "the admin's own", None).await,
            Err(StoreError::Invalid(_))
        ));
        s.change_password(&admin, &once, "the admin's own", None).await.unwrap();
        let again = s.authenticate("admin", "the admin's own").await.unwrap().expect("the new password");
        assert!(!again.one_time, "{engine}: a normal account now");
        assert!(s.authenticate("admin", "the admin's own").await.unwrap().is_some(), "{engine}: and again");
        assert!(s.authenticate("admin", &once).await.unwrap().is_none(), "{engine}");
    }
}

#[tokio::test]
async fn a_password_change_ends_only_the_users_other_sessions() {
    for db in engines().await {
        let engine = db.engine;
        let s = &db.store;
        let a = user(s, "a", Role::Command, "city").await;
        let b = user(s, "b", Role::Command, "city").await;
        let later = Utc::now() + Duration::hours(1);
        for (id, owner) in [("a1", a.user_id), ("a2", a.user_id), ("a3", a.user_id), ("b1", b.user_id)] {
            assert!(s.session_create(id, "{}", Some(owner), later).await.unwrap());
        }
        s.change_password(&a, PASSWORD, "another password", Some("a2")).await.unwrap();
        assert!(s.session_load("a2").await.unwrap().is_some(), "{engine}: the one changing stays");
        assert!(s.session_load("a1").await.unwrap().is_none() && s.session_load("a3").await.unwrap().is_none());
        assert_eq!(s.session_count(b.user_id).await.unwrap(), 1, "{engine}: another user's stays");
        s.set_password("a", "the operator's reset").await.unwrap();
        assert_eq!(s.session_count(a.user_id).await.unwrap(), 0, "{engine}: the operator's reset ends them all");
        assert_eq!(s.session_count(b.user_id).await.unwrap(), 1, "{engine}");
    }
}
