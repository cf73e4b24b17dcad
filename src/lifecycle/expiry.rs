//! When a rule makes an object expire, for the expirer and for the `x-amz-expiration`
//! header of GET, HEAD, PUT, CopyObject and CompleteMultipartUpload.
//!
//! AWS adds the rule's days to the object's creation time and rounds up to the next
//! midnight UTC. With a shortened day (`lifecycle_day_secs`, for tests and demos) there is
//! no rounding: an object expires `days × day` after its creation.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Expiry, Lifecycle};

const REAL_DAY: Duration = Duration::from_secs(86_400);

/// `days` days of length `day` after `since`, rounded up to midnight UTC with the real day.
pub fn after_days(since: SystemTime, days: u64, day: Duration) -> SystemTime {
    let due = since + day.saturating_mul(u32::try_from(days).unwrap_or(u32::MAX));
    if day != REAL_DAY {
        return due;
    }
    let secs = due
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let midnight = secs.div_ceil(REAL_DAY.as_secs()) * REAL_DAY.as_secs();
    UNIX_EPOCH + Duration::from_secs(midnight)
}

impl Expiry {
    /// When an object created at `since` expires under this action.
    pub fn due(&self, since: SystemTime, day: Duration) -> SystemTime {
        match *self {
            Expiry::Days(days) => after_days(since, days, day),
            Expiry::Date(date) => date,
        }
    }
}

impl Lifecycle {
    /// When the current version described expires, and by which rule: the earliest of the
    /// enabled rules with an `Expiration` whose filter it falls under.
    pub fn expiration_of(
        &self,
        key: &str,
        tags: &[(String, String)],
        size: u64,
        created: SystemTime,
        day: Duration,
    ) -> Option<(SystemTime, &str)> {
        self.rules
            .iter()
            .filter(|r| r.enabled && r.filter.matches(key, tags, size))
            .filter_map(|r| r.expiration.map(|e| (e.due(created, day), r.id.as_str())))
            .min_by_key(|(due, _)| *due)
    }
}

/// The `x-amz-expiration` header's value.
pub fn header_value(due: SystemTime, rule_id: &str) -> String {
    format!(
        "expiry-date=\"{}\", rule-id=\"{}\"",
        httpdate::fmt_http_date(due),
        rule_id
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_day_rounds_up_to_midnight_and_a_test_day_does_not() {
        let t = UNIX_EPOCH + Duration::from_secs(10 * 86_400 + 3_600);
        assert_eq!(
            after_days(t, 1, REAL_DAY),
            UNIX_EPOCH + Duration::from_secs(12 * 86_400)
        );
        assert_eq!(
            after_days(t, 2, Duration::from_secs(1)),
            t + Duration::from_secs(2)
        );
        assert_eq!(
            header_value(UNIX_EPOCH + Duration::from_secs(12 * 86_400), "r1"),
            "expiry-date=\"Tue, 13 Jan 1970 00:00:00 GMT\", rule-id=\"r1\""
        );
    }
}
