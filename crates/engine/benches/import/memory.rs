//! Resident memory of this process from `/proc/self/status` (Linux): the current resident set
//! (`VmRSS`) and its high-water mark since the process started (`VmHWM`).

/// One reading of this process's resident memory, in kibibytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// Resident set now.
    pub rss_kib: u64,
    /// Largest resident set since the process started (never goes down).
    pub peak_kib: u64,
}

impl Memory {
    /// Reads `/proc/self/status`; `None` where it does not exist or lacks the fields.
    pub fn now() -> Option<Memory> {
        parse(&std::fs::read_to_string("/proc/self/status").ok()?)
    }
}

/// Extracts `VmRSS` and `VmHWM` from the text of a `/proc/<pid>/status` file.
fn parse(status: &str) -> Option<Memory> {
    let field = |name: &str| {
        status.lines().find_map(|line| {
            let value = line.strip_prefix(name)?.strip_prefix(':')?;
            value.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()
        })
    };
    Some(Memory {
        rss_kib: field("VmRSS")?,
        peak_kib: field("VmHWM")?,
    })
}

/// Kibibytes as mebibytes, for printing.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
