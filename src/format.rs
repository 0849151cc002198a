//! Human-readable times for the identity page ("in 59 minutes", "3 hours ago").

/// A wall-clock time as `2026-11-28 16:05:09 UTC+01:00`: unambiguous in every locale,
/// and built from `Date`'s getters because the first `toLocaleString` call costs the
/// sign-in about 15 ms of ICU start-up. `offset_minutes` is east of UTC (the negation
/// of JavaScript's `getTimezoneOffset`).
pub fn clock_time(date: [u32; 6], offset_minutes: i32) -> String {
    let [year, month, day, hour, minute, second] = date;
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let offset = offset_minutes.unsigned_abs();
    format!(
        "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02} UTC{sign}{:02}:{:02}",
        offset / 60,
        offset % 60
    )
}

/// `target - now` in words. Pure, so it is tested on the host.
pub fn relative_time(target: u64, now: u64) -> String {
    let (delta, future) = if target >= now {
        (target - now, true)
    } else {
        (now - target, false)
    };
    let (count, unit) = match delta {
        0 => return "just now".into(),
        1..=59 => {
            return if future {
                "in a few seconds".into()
            } else {
                "just now".into()
            }
        }
        60..=3_599 => (delta / 60, "minute"),
        3_600..=86_399 => (delta / 3_600, "hour"),
        _ => (delta / 86_400, "day"),
    };
    let plural = if count == 1 { "" } else { "s" };
    if future {
        format!("in {count} {unit}{plural}")
    } else {
        format!("{count} {unit}{plural} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::clock_time;

    #[test]
    fn clock_time_is_iso_like_with_the_offset() {
        assert_eq!(
            clock_time([2026, 11, 28, 16, 5, 9], 60),
            "2026-11-28 16:05:09 UTC+01:00"
        );
        assert_eq!(
            clock_time([2026, 1, 2, 3, 4, 5], -330),
            "2026-01-02 03:04:05 UTC-05:30"
        );
        assert_eq!(
            clock_time([2026, 1, 2, 3, 4, 5], 0),
            "2026-01-02 03:04:05 UTC+00:00"
        );
    }

    use super::relative_time;

    #[test]
    fn words_for_past_and_future() {
        assert_eq!(relative_time(100, 100), "just now");
        assert_eq!(relative_time(130, 100), "in a few seconds");
        assert_eq!(relative_time(100, 130), "just now");
        assert_eq!(relative_time(100 + 3_599, 100), "in 59 minutes");
        assert_eq!(relative_time(100 + 60, 100), "in 1 minute");
        assert_eq!(relative_time(100, 100 + 7_200), "2 hours ago");
        assert_eq!(relative_time(100, 100 + 86_400 * 3), "3 days ago");
    }
}
