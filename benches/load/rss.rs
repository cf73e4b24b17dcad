//! Resident memory of a process from `/proc/<pid>/status`: `VmRSS` now and `VmHWM`, the peak
//! since the last reset (writing `5` to `/proc/<pid>/clear_refs`).

#[derive(Debug, Clone, Copy, Default)]
pub struct Rss {
    pub peak_kib: u64,
    pub current_kib: u64,
}

pub fn of(pid: u32) -> Rss {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Rss {
        peak_kib: field("VmHWM:"),
        current_kib: field("VmRSS:"),
    }
}

/// Resets the peak; false if the kernel refused.
pub fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}
