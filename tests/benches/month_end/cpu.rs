//! CPU time from `/proc/<pid>/stat` (Linux): user + system time of a whole process (every thread,
//! live or exited) and of its children that have been waited for.

/// Clock ticks per second of the times in `/proc/<pid>/stat`: `USER_HZ`, which Linux fixes at 100
/// on every architecture it exports these files for.
const USER_HZ: f64 = 100.0;

/// CPU seconds of one process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuTimes {
    /// User + system time of the process itself.
    pub own_s: f64,
    /// User + system time of its children that it has waited for.
    pub children_s: f64,
}

/// This process's CPU times; `None` where `/proc` is unavailable.
pub fn own() -> Option<CpuTimes> {
    parse(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// The CPU times of process `pid` (e.g. a child still running); `None` when it cannot be read.
pub fn of_pid(pid: u32) -> Option<CpuTimes> {
    parse(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Parses `utime stime cutime cstime` (fields 14 to 17) from a stat line; the command name in
/// field 2 may hold spaces and parentheses, so fields are counted after its last `)`.
fn parse(stat: &str) -> Option<CpuTimes> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // Field 3 (state) is the first after the name, so field 14 is at index 11.
    let ticks: Vec<f64> = after_name
        .split_whitespace()
        .skip(11)
        .take(4)
        .map(|t| t.parse::<f64>().ok())
        .collect::<Option<_>>()?;
    match ticks.as_slice() {
        [utime, stime, cutime, cstime] => Some(CpuTimes {
            own_s: (utime + stime) / USER_HZ,
            children_s: (cutime + cstime) / USER_HZ,
        }),
        _ => None,
    }
}
