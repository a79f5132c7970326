//! Time as the core sees it: a [`Timestamp`] handed in by whoever calls, never read from the
//! system here. The façade is given a [`Clock`]; tests give it a [`FixedClock`].

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A UTC instant with millisecond precision. Written as RFC 3339 (`2026-11-21T10:23:35.123Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(i64);

/// A string that is not an RFC 3339 time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an RFC 3339 time (e.g. 2026-11-21T10:00:00Z)")]
pub struct BadTimestamp(pub String);

impl Timestamp {
    /// From milliseconds since the Unix epoch.
    pub const fn from_unix_millis(ms: i64) -> Timestamp {
        Timestamp(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// This instant plus `ms` milliseconds (saturating).
    pub const fn plus_millis(self, ms: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }

    /// Parse RFC 3339 (any offset; kept as UTC, truncated to milliseconds).
    pub fn parse(s: &str) -> Result<Timestamp, BadTimestamp> {
        let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| BadTimestamp(s.to_owned()))?;
        let ms = t.unix_timestamp_nanos() / 1_000_000;
        i64::try_from(ms)
            .map(Timestamp)
            .map_err(|_| BadTimestamp(s.to_owned()))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = i128::from(self.0) * 1_000_000;
        match OffsetDateTime::from_unix_timestamp_nanos(nanos) {
            Ok(t) => write!(
                f,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.millisecond()
            ),
            Err(_) => write!(f, "@{}ms", self.0),
        }
    }
}

/// On the desktop app's boundary a timestamp is its RFC 3339 string, as serde writes it.
#[cfg(feature = "specta")]
impl specta::Type for Timestamp {
    fn definition(types: &mut specta::Types) -> specta::datatype::DataType {
        <String as specta::Type>::definition(types)
    }
}

impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date-time",
            "description": "RFC 3339 UTC time with milliseconds, e.g. 2026-11-21T10:23:35.123Z"
        })
    }
}

impl TryFrom<String> for Timestamp {
    type Error = BadTimestamp;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Timestamp::parse(&s)
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.to_string()
    }
}

/// Where the current time comes from.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// A clock that stands still unless advanced; for tests and reproducible demos. Each reading
/// advances it by `step` milliseconds so that successive events stay ordered.
#[derive(Debug)]
pub struct FixedClock {
    now: AtomicI64,
    step: i64,
}

impl FixedClock {
    /// A clock at `start` that advances `step_millis` on every reading.
    pub fn new(start: Timestamp, step_millis: i64) -> FixedClock {
        FixedClock {
            now: AtomicI64::new(start.0),
            step: step_millis,
        }
    }

    /// Move the clock forward.
    pub fn advance(&self, millis: i64) {
        self.now.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.now.fetch_add(self.step, Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_rfc3339_with_millis() {
        let t = Timestamp::parse("2026-11-21T10:23:35.123Z").unwrap();
        assert_eq!(t.to_string(), "2026-11-21T10:23:35.123Z");
        assert_eq!(
            Timestamp::parse("2026-11-21T12:23:35.123+02:00").unwrap(),
            t
        );
        assert!(Timestamp::parse("yesterday").is_err());
    }

    #[test]
    fn fixed_clock_steps() {
        let c = FixedClock::new(Timestamp::from_unix_millis(1000), 5);
        assert_eq!(c.now().unix_millis(), 1000);
        assert_eq!(c.now().unix_millis(), 1005);
        c.advance(100);
        assert_eq!(c.now().unix_millis(), 1110);
    }
}
