//! Whole-machine CPU accounting from `/proc/stat`, so a bench can say how much of the machine
//! its run had: on a virtual machine the hypervisor may take ("steal") a varying share of the
//! cores, and the same code then measures slower from one run to the next.

/// Cumulative CPU ticks of all cores, from the first line of `/proc/stat`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTicks {
    busy: u64,
    idle: u64,
    steal: u64,
}

impl CpuTicks {
    /// Now; `None` where `/proc/stat` cannot be read (not Linux).
    pub fn now() -> Option<Self> {
        std::fs::read_to_string("/proc/stat").ok().as_deref().and_then(Self::parse)
    }

    /// Fields of the `cpu` line: user nice system idle iowait irq softirq steal [guest…].
    /// Guest time is already counted in user, so it is not added again.
    fn parse(stat: &str) -> Option<Self> {
        let line = stat.lines().next()?.strip_prefix("cpu ")?;
        let f: Vec<u64> = line.split_whitespace().map(str::parse).collect::<Result<_, _>>().ok()?;
        if f.len() < 8 {
            return None;
        }
        Some(Self { busy: f[0] + f[1] + f[2] + f[5] + f[6], idle: f[3] + f[4], steal: f[7] })
    }

    fn total(&self) -> u64 {
        self.busy + self.idle + self.steal
    }

    /// Shares of the interval from `earlier` to `self`, in percent: (busy, stolen, idle).
    pub fn shares_since(&self, earlier: &Self) -> Option<(f64, f64, f64)> {
        let busy = self.busy.checked_sub(earlier.busy)?;
        let idle = self.idle.checked_sub(earlier.idle)?;
        let steal = self.steal.checked_sub(earlier.steal)?;
        let total = (busy + idle + steal) as f64;
        if total == 0.0 {
            return None;
        }
        Some((busy as f64 * 100.0 / total, steal as f64 * 100.0 / total, idle as f64 * 100.0 / total))
    }
}

/// The machine's processor as `/proc/cpuinfo` names it, and how many cores this process may use.
pub fn cpu_model() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown processor".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("CPU: {model}, {cores} cores")
}

/// One line for a bench's output: how the machine's CPU went during a phase.
pub fn describe(start: Option<CpuTicks>, end: Option<CpuTicks>) -> String {
    match start.zip(end).and_then(|(s, e)| e.shares_since(&s)) {
        Some((busy, steal, idle)) => {
            format!("machine CPU: {busy:.0}% busy, {steal:.0}% taken by the hypervisor (steal), {idle:.0}% idle")
        }
        None => "machine CPU: not measured (no /proc/stat)".to_owned(),
    }
}

/// CPU ticks (user + system, in the same unit as `/proc/stat`) this process has used so far.
pub fn process_ticks() -> Option<u64> {
    pid_ticks("self")
}

/// CPU ticks a process (`self` or a pid) has used so far.
fn pid_ticks(pid: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().as_deref().and_then(parse_process_ticks)
}

/// CPU time of a process in milliseconds (USER_HZ, which the proc ABI fixes at 100 per second);
/// NaN where it cannot be read.
pub fn cpu_ms(pid: &str) -> f64 {
    pid_ticks(pid).map_or(f64::NAN, |t| t as f64 * 10.0)
}

/// A `Name:   value kB` line of `/proc/PID/status`.
pub fn status_field(path: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok()
}

/// Resets this process's peak RSS to its current RSS (Linux `clear_refs` 5), so each measured
/// step's peak is its own. Returns false where that is not allowed.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// This process's peak RSS in KiB.
pub fn peak_kib() -> u64 {
    status_field("/proc/self/status", "VmHWM:").unwrap_or(0)
}

/// `utime` and `stime`, the 14th and 15th fields of `/proc/PID/stat`; the second field (the
/// command) may hold spaces and parentheses, so fields are counted from its closing one.
fn parse_process_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// A process's share of the whole machine over an interval, in percent (100: every core).
pub fn process_share(start: Option<CpuTicks>, end: Option<CpuTicks>, a: Option<u64>, b: Option<u64>) -> Option<f64> {
    let total = end?.total().checked_sub(start?.total()).filter(|t| *t > 0)?;
    Some(b?.checked_sub(a?)? as f64 * 100.0 / total as f64)
}

/// How busy the machine was over an interval, in percent.
pub fn busy_share(start: Option<CpuTicks>, end: Option<CpuTicks>) -> Option<f64> {
    end?.shares_since(&start?).map(|(busy, _, _)| busy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_cpu_line() {
        let cases: &[(&str, Option<CpuTicks>)] = &[
            (
                "cpu  100 5 20 300 10 1 4 60 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n",
                Some(CpuTicks { busy: 130, idle: 310, steal: 60 }),
            ),
            ("cpu  1 2 3 4 5 6 7 8\n", Some(CpuTicks { busy: 19, idle: 9, steal: 8 })),
            ("cpu  1 2 3 4 5 6 7\n", None),
            ("cpu0 1 2 3 4 5 6 7 8\n", None),
            ("cpu  1 2 x 4 5 6 7 8\n", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(CpuTicks::parse(input), *want, "{input:?}");
        }
    }

    #[test]
    fn parses_a_process_line() {
        let cases: &[(&str, Option<u64>)] = &[
            ("42 (hotspot) S 1 42 42 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 8 0 5 0 0", Some(325)),
            ("42 (a) b (c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0", Some(10)),
            ("42 (hotspot) S 1 42 42 0 -1 4194560 100 0 0 0 250", None),
            ("42 (hotspot) S 1 42 42 0 -1 4194560 100 0 0 0 x 75", None),
            ("no parenthesis", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_process_ticks(input), *want, "{input:?}");
        }
        let (a, b) = (CpuTicks { busy: 100, idle: 100, steal: 0 }, CpuTicks { busy: 250, idle: 150, steal: 0 });
        assert_eq!(process_share(Some(a), Some(b), Some(10), Some(60)), Some(25.0));
        assert_eq!(process_share(Some(a), Some(a), Some(10), Some(60)), None, "an empty interval");
        assert_eq!(process_share(Some(a), Some(b), None, Some(60)), None);
        assert_eq!(busy_share(Some(a), Some(b)), Some(75.0));
    }

    #[test]
    fn shares_of_an_interval() {
        let a = CpuTicks { busy: 100, idle: 100, steal: 0 };
        let b = CpuTicks { busy: 170, idle: 110, steal: 20 };
        assert_eq!(b.shares_since(&a), Some((70.0, 20.0, 10.0)));
        assert_eq!(a.shares_since(&a), None, "an empty interval has no shares");
        assert_eq!(a.shares_since(&b), None, "counters never go backwards");
        assert_eq!(describe(None, Some(b)), "machine CPU: not measured (no /proc/stat)");
        assert_eq!(describe(Some(a), Some(b)), "machine CPU: 70% busy, 20% taken by the hypervisor (steal), 10% idle");
    }
}
