//! Calendar days as a finance team in Poland counts them: Europe/Warsaw, with its daylight
//! saving changes (a day is 23 hours on the last Sunday of March and 25 on the last Sunday of
//! October). The store keeps UTC milliseconds; these helpers turn a Warsaw day into its UTC
//! range, so reports bucket by the day the user lived, not by the UTC day.

use chrono::{DateTime, NaiveDate, TimeZone as _};
use chrono_tz::Europe::Warsaw;

/// One Warsaw calendar day as a half-open range of UTC milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalDay {
    /// The date on a Warsaw calendar.
    pub date: NaiveDate,
    /// Its first millisecond (Warsaw midnight), Unix ms.
    pub start_ms: i64,
    /// The next day's first millisecond, Unix ms.
    pub end_ms: i64,
}

/// The Warsaw date holding the instant `ms` (Unix ms); `None` outside chrono's range.
pub fn date_of(ms: i64) -> Option<NaiveDate> {
    DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&Warsaw).date_naive())
}

/// Warsaw midnight starting `date`, as Unix ms. Midnight always exists in Warsaw (the clocks
/// change at 02:00/03:00); `earliest` still answers should the rules ever move it.
pub fn midnight_ms(date: NaiveDate) -> Option<i64> {
    Warsaw
        .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.timestamp_millis())
}

/// `date` as a UTC range.
pub fn day(date: NaiveDate) -> Option<LocalDay> {
    Some(LocalDay {
        date,
        start_ms: midnight_ms(date)?,
        end_ms: midnight_ms(date.succ_opt()?)?,
    })
}

/// The `count` Warsaw days ending with the one holding `now_ms`, oldest first.
pub fn days_ending_at(now_ms: i64, count: u32) -> Vec<LocalDay> {
    let Some(today) = date_of(now_ms) else {
        return Vec::new();
    };
    (0..count)
        .rev()
        .filter_map(|back| today.checked_sub_days(chrono::Days::new(u64::from(back))))
        .filter_map(day)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR_MS: i64 = 3_600_000;

    fn utc_ms(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .expect("test instant")
            .timestamp_millis()
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
    }

    #[test]
    fn winter_and_summer_midnights_are_one_and_two_hours_before_utc_midnight() {
        assert_eq!(
            midnight_ms(date("2026-01-15")),
            Some(utc_ms("2026-01-14T23:00:00Z"))
        );
        assert_eq!(
            midnight_ms(date("2026-07-15")),
            Some(utc_ms("2026-07-14T22:00:00Z"))
        );
    }

    #[test]
    fn the_days_of_the_clock_changes_are_23_and_25_hours_long() {
        let spring = day(date("2026-03-29")).expect("spring day");
        assert_eq!(spring.start_ms, utc_ms("2026-03-28T23:00:00Z"));
        assert_eq!(spring.end_ms - spring.start_ms, 23 * HOUR_MS);
        let autumn = day(date("2026-10-25")).expect("autumn day");
        assert_eq!(autumn.start_ms, utc_ms("2026-10-24T22:00:00Z"));
        assert_eq!(autumn.end_ms - autumn.start_ms, 25 * HOUR_MS);
        let ordinary = day(date("2026-10-26")).expect("ordinary day");
        assert_eq!(ordinary.end_ms - ordinary.start_ms, 24 * HOUR_MS);
    }

    #[test]
    fn instants_near_midnight_fall_on_the_warsaw_date() {
        // 23:30 UTC in winter is already 00:30 the next day in Warsaw.
        assert_eq!(
            date_of(utc_ms("2026-11-20T23:30:00Z")),
            Some(date("2026-11-21"))
        );
        assert_eq!(
            date_of(utc_ms("2026-11-20T22:59:59Z")),
            Some(date("2026-11-20"))
        );
        // Summer: 22:00 UTC is Warsaw midnight.
        assert_eq!(
            date_of(utc_ms("2026-07-14T22:00:00Z")),
            Some(date("2026-07-15"))
        );
        assert_eq!(
            date_of(utc_ms("2026-07-14T21:59:59Z")),
            Some(date("2026-07-14"))
        );
        // The autumn night's repeated hour: 00:30 and 01:30 UTC are both 25 October in Warsaw.
        assert_eq!(
            date_of(utc_ms("2026-10-25T00:30:00Z")),
            Some(date("2026-10-25"))
        );
        assert_eq!(
            date_of(utc_ms("2026-10-25T01:30:00Z")),
            Some(date("2026-10-25"))
        );
    }

    #[test]
    fn days_ending_now_are_contiguous_and_end_with_today() {
        let now = utc_ms("2026-11-20T23:30:00Z");
        let days = days_ending_at(now, 30);
        assert_eq!(days.len(), 30);
        assert_eq!(days.last().map(|d| d.date), Some(date("2026-11-21")));
        assert_eq!(days.first().map(|d| d.date), Some(date("2026-10-23")));
        for pair in days.windows(2) {
            assert_eq!(pair[0].end_ms, pair[1].start_ms, "no gap or overlap");
        }
        let last = days.last().expect("today");
        assert!(last.start_ms <= now && now < last.end_ms);
        // The span holds the 25-hour autumn day: 30 days plus one hour.
        let span = last.end_ms - days[0].start_ms;
        assert_eq!(span, 30 * 24 * HOUR_MS + HOUR_MS);
    }
}
