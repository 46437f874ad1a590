//! Generating TIDs: a clock that hands out unique, never-decreasing [`Tid`]s.
//!
//! The [`Tid`] type itself lives in [`crate::syntax`] and is re-exported here.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub use crate::syntax::Tid;

/// Largest timestamp a TID can carry (53 bits of microseconds).
const MAX_MICROS: u64 = (1 << 53) - 1;

/// Microseconds since the Unix epoch from the system clock (0 if the clock is before 1970).
fn system_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// A random 10-bit clock identifier, from the standard library's per-process random hash keys
/// (seeded from OS randomness) mixed with the time and a counter.
fn random_clock_id() -> u16 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(system_micros());
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() & 0x3ff) as u16
}

type TimeSource = Box<dyn Fn() -> u64 + Send + Sync>;

/// Hands out TIDs that never repeat and never go backwards, even when the wall clock does.
///
/// Each call takes the current time in microseconds; if that is not after the timestamp of the
/// last TID issued, the last timestamp plus one microsecond is used instead. The clock is
/// thread-safe (`&self`, lock-free) and the clock identifier is fixed for its lifetime. Share
/// one clock per process (see [`next_tid`]) so TIDs from the same process are ordered.
pub struct TidClock {
    clock_id: u16,
    /// Timestamp (microseconds) of the last TID issued; `u64::MAX` before the first.
    last: AtomicU64,
    now: TimeSource,
}

impl TidClock {
    /// A clock on the system time with a random clock identifier.
    pub fn new() -> Self {
        Self::with_clock_id(random_clock_id())
    }

    /// A clock on the system time with the given clock identifier (low 10 bits used).
    pub fn with_clock_id(clock_id: u16) -> Self {
        Self::with_time_source(clock_id, system_micros)
    }

    /// A clock reading microseconds since the Unix epoch from `now` (for tests, or a
    /// coarser or simulated clock). Only the low 10 bits of `clock_id` are used.
    pub fn with_time_source(clock_id: u16, now: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        TidClock {
            clock_id: clock_id & 0x3ff,
            last: AtomicU64::new(u64::MAX),
            now: Box::new(now),
        }
    }

    /// The 10-bit clock identifier in every TID from this clock.
    pub fn clock_id(&self) -> u16 {
        self.clock_id
    }

    /// The next TID: later than every TID this clock issued before.
    ///
    /// # Panics
    ///
    /// If the 53-bit timestamp space is exhausted (the year 2255, or a time source that has
    /// run that far ahead), since no later TID exists.
    pub fn next_tid(&self) -> Tid {
        let now = (self.now)().min(MAX_MICROS);
        let mut last = self.last.load(Ordering::Relaxed);
        loop {
            let micros = if last == u64::MAX || now > last {
                now
            } else {
                assert!(last < MAX_MICROS, "tid timestamp space exhausted");
                last + 1
            };
            match self
                .last
                .compare_exchange_weak(last, micros, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return Tid::from_parts(micros, self.clock_id),
                Err(current) => last = current,
            }
        }
    }
}

impl Default for TidClock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for TidClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TidClock")
            .field("clock_id", &self.clock_id)
            .field("last_micros", &self.last.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The next TID from a process-wide [`TidClock`] on the system time with a random clock id.
pub fn next_tid() -> Tid {
    static CLOCK: LazyLock<TidClock> = LazyLock::new(TidClock::new);
    CLOCK.next_tid()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Arc;

    /// A settable fake clock.
    fn fake_clock(start: u64) -> (Arc<AtomicU64>, TidClock) {
        let time = Arc::new(AtomicU64::new(start));
        let source = Arc::clone(&time);
        let clock = TidClock::with_time_source(5, move || source.load(Ordering::SeqCst));
        (time, clock)
    }

    #[test]
    fn follows_the_time_source_when_it_moves_forward() {
        let (time, clock) = fake_clock(1_000);
        let a = clock.next_tid();
        assert_eq!((a.timestamp_micros(), a.clock_id()), (1_000, 5));
        time.store(2_000, Ordering::SeqCst);
        assert_eq!(clock.next_tid().timestamp_micros(), 2_000);
    }

    #[test]
    fn never_repeats_or_goes_backwards_when_the_clock_stalls_or_steps_back() {
        let (time, clock) = fake_clock(1_000_000);
        let mut previous = clock.next_tid();
        // Stalled clock, then a step back of half a second, then forward again but still
        // behind the last TID, then past it.
        for (t, expect) in [
            (1_000_000, 1_000_001),
            (1_000_000, 1_000_002),
            (500_000, 1_000_003),
            (500_001, 1_000_004),
            (1_000_002, 1_000_005),
            (2_000_000, 2_000_000),
        ] {
            time.store(t, Ordering::SeqCst);
            let tid = clock.next_tid();
            assert_eq!(tid.timestamp_micros(), expect, "clock at {t}");
            assert!(tid > previous, "{tid} after {previous}");
            assert!(tid.as_str() > previous.as_str());
            previous = tid;
        }
    }

    #[test]
    fn a_time_source_at_zero_still_yields_increasing_tids() {
        let (_time, clock) = fake_clock(0);
        let a = clock.next_tid();
        let b = clock.next_tid();
        assert_eq!((a.timestamp_micros(), b.timestamp_micros()), (0, 1));
    }

    #[test]
    fn unique_and_ordered_per_thread_across_threads() {
        let clock = Arc::new(TidClock::with_clock_id(1023));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let clock = Arc::clone(&clock);
                std::thread::spawn(move || {
                    let tids: Vec<Tid> = (0..5_000).map(|_| clock.next_tid()).collect();
                    assert!(tids.windows(2).all(|w| w[0] < w[1]), "per-thread order");
                    tids
                })
            })
            .collect();
        let mut all = HashSet::new();
        for t in threads {
            for tid in t.join().unwrap() {
                assert_eq!(tid.clock_id(), 1023);
                assert!(all.insert(tid), "duplicate {tid}");
            }
        }
        assert_eq!(all.len(), 20_000);
    }

    #[test]
    fn unique_across_threads_with_a_frozen_clock() {
        let (_time, clock) = fake_clock(42);
        let clock = Arc::new(clock);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let clock = Arc::clone(&clock);
                std::thread::spawn(move || (0..2_000).map(|_| clock.next_tid()).collect::<Vec<_>>())
            })
            .collect();
        let mut all: Vec<Tid> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 8_000);
        assert_eq!(all[0].timestamp_micros(), 42);
        assert_eq!(all[7_999].timestamp_micros(), 42 + 7_999);
    }

    #[test]
    fn system_clock_tids_are_recent_and_random_ids_fit_ten_bits() {
        let before = system_micros();
        let tid = next_tid();
        assert!(tid.timestamp_micros() >= before);
        assert!(next_tid() > tid);
        for _ in 0..100 {
            assert!(TidClock::new().clock_id() < 1024);
        }
        assert_eq!(TidClock::with_clock_id(0xffff).clock_id(), 1023);
    }
}
