//! A general rate limiter: hits per bucket (what is limited, such as the
//! public compound page) and caller (an address), counted in the database so
//! that every instance behind a load balancer shares one count.
//!
//! Hits are counted per fixed window; the window before weighs in by the
//! share of it that the last `window` still covers (a sliding-window
//! estimate), so a burst at the turn of a window is not let through twice.

use chrono::{DateTime, Duration, Utc};

use crate::{Store, StoreResult};

/// Whether hits within the last window stay within `limit`: the current
/// window's count plus the previous window's, weighted by the part of it
/// that is less than one window ago.
fn within(limit: i64, window_ms: i64, elapsed_ms: i64, previous: i64, current: i64) -> bool {
    let left = i128::from((window_ms - elapsed_ms).clamp(0, window_ms));
    i128::from(previous) * left + i128::from(current) * i128::from(window_ms)
        <= i128::from(limit) * i128::from(window_ms)
}

impl Store {
    /// Counts a hit of `who` in `bucket` and says whether it is within
    /// `limit` hits per `window`. Refused hits count too, so a caller who
    /// keeps hammering stays refused. Rows of windows that can no longer
    /// weigh in are deleted as new windows begin.
    pub async fn hit_rate(&self, bucket: &str, who: &str, limit: i64, window: Duration) -> StoreResult<bool> {
        let now = self.now();
        let window_ms = window.num_milliseconds().max(1);
        let start_ms = now.timestamp_millis().div_euclid(window_ms) * window_ms;
        let start = DateTime::<Utc>::from_timestamp_millis(start_ms).unwrap_or(now);
        let previous_start = start - Duration::milliseconds(window_ms);
        // A window is read as the current one, then as the previous one.
        let expires = start + Duration::milliseconds(2 * window_ms);
        let (who, bucket) = (crate::clean(who), bucket.to_string());
        let (current, previous) = on_pool!(self, |p| {
            // One statement, atomic on both engines: concurrent hits each get their own count.
            let current: i64 = sqlx::query_scalar(
                "INSERT INTO rate_hits (bucket, who, window_start, expires_at, hits) VALUES ($1, $2, $3, $4, 1) \
                 ON CONFLICT (bucket, who, window_start) DO UPDATE SET hits = rate_hits.hits + 1 RETURNING hits",
            )
            .bind(bucket.clone())
            .bind(who.clone())
            .bind(start)
            .bind(expires)
            .fetch_one(p)
            .await?;
            if current == 1 {
                sqlx::query("DELETE FROM rate_hits WHERE expires_at <= $1").bind(now).execute(p).await?;
            }
            let previous: Option<i64> =
                sqlx::query_scalar("SELECT hits FROM rate_hits WHERE bucket = $1 AND who = $2 AND window_start = $3")
                    .bind(bucket.clone())
                    .bind(who.clone())
                    .bind(previous_start)
                    .fetch_optional(p)
                    .await?;
            (current, previous.unwrap_or(0))
        });
        Ok(within(limit, window_ms, now.timestamp_millis() - start_ms, previous, current))
    }
}

#[cfg(test)]
mod tests {
    use super::within;

    #[test]
    fn the_previous_window_weighs_by_the_share_still_inside_the_last_window() {
        // 60 a minute: 60 hits now are fine, the 61st is not.
        assert!(within(60, 60_000, 10_000, 0, 60));
        assert!(!within(60, 60_000, 10_000, 0, 61));
        // 60 hits in the last window, a quarter of the way into this one: three quarters of them still count.
        assert!(within(60, 60_000, 15_000, 60, 15));
        assert!(!within(60, 60_000, 15_000, 60, 16));
        // At the very start of a window the previous one counts in full.
        assert!(!within(60, 60_000, 0, 60, 1));
    }
}
