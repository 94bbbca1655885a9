//! The simulator's clock. Only this module reads the system time, so time can later be set,
//! frozen or advanced for tests of expiry (DESIGN principle 6).
use chrono::{DateTime, SecondsFormat, Utc};

/// The time source every operation uses.
#[derive(Debug, Clone, Default)]
pub struct Clock;

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// `now()` as ARM writes timestamps (`2024-01-01T00:00:00.0000000Z`), which also sorts as text.
    pub fn now_text(&self) -> String {
        arm_time(self.now())
    }
}

/// A timestamp in ARM's format.
pub fn arm_time(t: DateTime<Utc>) -> String {
    let s = t.to_rfc3339_opts(SecondsFormat::Nanos, true);
    // Nanos gives 9 fractional digits; ARM writes 7 (.NET ticks).
    format!("{}Z", &s[..s.len() - 3])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn arm_time_has_seven_fractional_digits() {
        let t = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(arm_time(t), "2024-01-02T03:04:05.0000000Z");
    }
}
