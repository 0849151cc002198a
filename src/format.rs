//! Human-readable times for the identity page ("in 59 minutes", "3 hours ago").

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
