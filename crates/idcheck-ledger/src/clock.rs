//! The clocks a ledger reads on this machine.
//!
//! Times that several processes compare (leases, the reuse window, budget days, rate slots)
//! come from the store: PostgreSQL's own clock in the statements themselves; for SQLite and
//! memory, which live on this machine, the machine's clock as the kernel keeps it — read
//! straight from the kernel (vDSO), so a process whose C library clock is faked or shifted
//! (libfaketime, a test harness) still agrees with every other process on the machine.
//!
//! A holder's own deadline for sending a claimed call runs on the boot clock, which counts a
//! suspended machine's sleep and never jumps with the wall clock.

/// Milliseconds since the Unix epoch by this machine's kernel clock.
pub(crate) fn machine_now_ms() -> i64 {
    #[cfg(target_os = "linux")]
    {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
        now.tv_sec
            .saturating_mul(1000)
            .saturating_add(now.tv_nsec / 1_000_000)
    }
    #[cfg(not(target_os = "linux"))]
    {
        chrono::Utc::now().timestamp_millis()
    }
}

/// Milliseconds on a clock that never goes back and counts time asleep (Linux: the boot
/// clock). Only differences between two readings in one process mean anything.
pub(crate) fn boot_ms() -> i64 {
    #[cfg(target_os = "linux")]
    {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
        now.tv_sec
            .saturating_mul(1000)
            .saturating_add(now.tv_nsec / 1_000_000)
    }
    #[cfg(not(target_os = "linux"))]
    {
        use std::sync::OnceLock;
        static START: OnceLock<std::time::Instant> = OnceLock::new();
        let start = *START.get_or_init(std::time::Instant::now);
        i64::try_from(start.elapsed().as_millis()).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_machine_clock_is_the_wall_clock_and_the_boot_clock_advances() {
        let ours = super::machine_now_ms();
        let std = chrono::Utc::now().timestamp_millis();
        assert!((ours - std).abs() < 2_000, "{ours} vs {std}");
        let before = super::boot_ms();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(super::boot_ms() - before >= 19);
    }
}
