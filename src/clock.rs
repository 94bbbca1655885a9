//! The simulator's clock. Only this module reads the system time, so time can be set, frozen
//! or advanced for tests of expiry (DESIGN principle 6): `/simulator/clock` drives it.
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use std::sync::{Arc, RwLock};

/// The time source every operation uses: the system time shifted by an offset, or a frozen
/// instant. Cheap to read; shared by every clone.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    state: Arc<RwLock<ClockState>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct ClockState {
    /// Added to the system time while the clock runs.
    offset: Duration,
    /// The instant the clock stands at while frozen.
    frozen: Option<DateTime<Utc>>,
}

/// A time the clock cannot stand at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the clock can only be set between 1970-01-01 and 9999-12-31")]
pub struct OutOfRange;

/// The last instant the clock can stand at: 9999-12-31T23:59:59Z.
fn latest() -> DateTime<Utc> {
    DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn in_range(t: DateTime<Utc>) -> bool {
    use chrono::Datelike;
    (1970..=9999).contains(&t.year())
}

/// What `GET /simulator/clock` shows.
#[derive(Debug, Clone, Copy)]
pub struct ClockReading {
    pub now: DateTime<Utc>,
    pub frozen: bool,
}

impl Clock {
    /// The time, never past the end of 9999: a running clock set near the end stops there
    /// rather than leave the RFC 3339 range timestamps are written in.
    pub fn now(&self) -> DateTime<Utc> {
        let s = self.read();
        s.frozen
            .unwrap_or_else(|| (Utc::now() + s.offset).min(latest()))
    }

    /// `now()` as ARM writes timestamps (`2024-01-01T00:00:00.0000000Z`), which also sorts as text.
    pub fn now_text(&self) -> String {
        arm_time(self.now())
    }

    pub fn reading(&self) -> ClockReading {
        ClockReading {
            now: self.now(),
            frozen: self.read().frozen.is_some(),
        }
    }

    /// Sets the time; a frozen clock stays frozen at it, a running one runs on from it. Refuses
    /// a time outside 1970–9999, which ARM timestamps and token claims cannot carry.
    pub fn set(&self, now: DateTime<Utc>) -> Result<(), OutOfRange> {
        if !in_range(now) {
            return Err(OutOfRange);
        }
        let mut s = self.write();
        match s.frozen {
            Some(_) => s.frozen = Some(now),
            None => s.offset = now - Utc::now(),
        }
        Ok(())
    }

    /// Freezes the clock at its current time, or lets it run on from where it stands.
    pub fn freeze(&self, frozen: bool) {
        let now = self.now();
        let mut s = self.write();
        match (frozen, s.frozen) {
            (true, None) => s.frozen = Some(now),
            (false, Some(at)) => {
                s.frozen = None;
                s.offset = at - Utc::now();
            }
            _ => {}
        }
    }

    /// Moves the clock forward (or back, with a negative number of seconds), within 1970–9999.
    pub fn advance(&self, seconds: i64) -> Result<(), OutOfRange> {
        let by = Duration::try_seconds(seconds).ok_or(OutOfRange)?;
        let target = self.now().checked_add_signed(by).ok_or(OutOfRange)?;
        self.set(target)
    }

    /// Back to the system time.
    pub fn reset(&self) {
        *self.write() = ClockState::default();
    }

    fn read(&self) -> ClockState {
        // A poisoned lock only means a panic elsewhere while holding it; the state is plain data.
        *self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, ClockState> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
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
    fn a_frozen_clock_stands_still_and_advances_by_hand() {
        let clock = Clock::default();
        clock.freeze(true);
        let t = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(clock.now(), t);
        clock.advance(90).unwrap();
        assert_eq!(clock.now(), t + Duration::seconds(90));
        assert_eq!(clock.advance(i64::MAX - 1), Err(OutOfRange));
        assert_eq!(
            clock.now(),
            t + Duration::seconds(90),
            "a refused move changes nothing"
        );
        let at = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        clock.set(at).unwrap();
        assert_eq!(clock.now(), at);
        clock.freeze(false);
        assert!(clock.now() >= at && clock.now() < at + Duration::seconds(5));
        clock.reset();
        assert!(clock.now() < at);
    }

    #[test]
    fn defect10_a_running_clock_set_to_the_last_second_stays_inside_9999() {
        let clock = Clock::default();
        clock
            .set(Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap())
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(clock.now(), latest());
        assert!(clock.now_text().starts_with("9999-12-31T23:59:59"));
    }

    #[test]
    fn arm_time_has_seven_fractional_digits() {
        let t = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(arm_time(t), "2024-01-02T03:04:05.0000000Z");
    }
}
