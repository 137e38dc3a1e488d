//! The CUDA simulator's counts of what the host asked of the driver (kernel
//! launches by name, host synchronisations, device allocations and frees,
//! copies and their bytes), per device and stream, as `cudasim_counts`
//! writes them: read, summed and printed. `None` where the simulator is not
//! loaded; on a real GPU use `nsys` instead.

use super::simulator::{driver_handle, symbol};
use std::collections::BTreeMap;
use std::ffi::c_char;

/// One counter: `calls` calls of `kind` named `name` on `queue` of `device`,
/// moving `bytes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountEntry {
    /// The device ordinal.
    pub device: usize,
    /// `ctx` (the context), `default` (the null stream) or a stream's handle.
    pub queue: String,
    /// `launch`, `sync`, `query`, `alloc`, `free`, `htod`, `dtoh`, `dtod`, `memset`.
    pub kind: String,
    /// The kernel for a launch; the call or the host memory's kind otherwise.
    pub name: String,
    /// Calls counted.
    pub calls: u64,
    /// Bytes they moved or allocated.
    pub bytes: u64,
}

/// Every counter of the simulator since the last reset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DriverCounts {
    /// The counters, by device, queue, kind and name.
    pub entries: Vec<CountEntry>,
}

impl DriverCounts {
    /// Calls of `kind`, over every device, queue and name.
    pub fn calls(&self, kind: &str) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.calls)
            .sum()
    }

    /// Bytes of `kind`'s calls.
    pub fn bytes(&self, kind: &str) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.bytes)
            .sum()
    }

    /// Calls of `kind` by name.
    pub fn by_name(&self, kind: &str) -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for e in self.entries.iter().filter(|e| e.kind == kind) {
            *m.entry(e.name.clone()).or_default() += e.calls;
        }
        m
    }

    /// Kernel launches.
    pub fn launches(&self) -> u64 {
        self.calls("launch")
    }

    /// Calls that make the host wait for the device.
    pub fn syncs(&self) -> u64 {
        self.calls("sync")
    }

    /// Device allocations (not the pinned host buffers).
    pub fn device_allocs(&self) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.kind == "alloc" && e.name.starts_with("device"))
            .map(|e| e.calls)
            .sum()
    }

    /// These counts divided by `steps` and rounded, for a per-step line.
    pub fn per(&self, steps: u64) -> String {
        let s = steps.max(1) as f64;
        let f = |v: u64| {
            let x = v as f64 / s;
            if x.fract() == 0.0 {
                format!("{x}")
            } else {
                format!("{x:.1}")
            }
        };
        format!(
            "{} launches, {} host syncs, {} device allocs, {} frees, host→device {} copies ({} B), \
             device→host {} ({} B), device→device {}, memsets {}",
            f(self.launches()),
            f(self.syncs()),
            f(self.device_allocs()),
            f(self.calls("free")),
            f(self.calls("htod")),
            f(self.bytes("htod")),
            f(self.calls("dtoh")),
            f(self.bytes("dtoh")),
            f(self.calls("dtod")),
            f(self.calls("memset")),
        )
    }

    fn parse(text: &str) -> DriverCounts {
        let entries = text
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let [device, queue, kind, name, calls, bytes] = f.as_slice() else {
                    return None;
                };
                Some(CountEntry {
                    device: device.parse().ok()?,
                    queue: queue.to_string(),
                    kind: kind.to_string(),
                    name: name.to_string(),
                    calls: calls.parse().ok()?,
                    bytes: bytes.parse().ok()?,
                })
            })
            .collect();
        DriverCounts { entries }
    }
}

/// The simulator's counts now (`None` when it is not loaded).
pub fn read() -> Option<DriverCounts> {
    let f = symbol(driver_handle()?, "cudasim_counts");
    if f.is_null() {
        return None;
    }
    // SAFETY: the simulator's exported function of this signature.
    let counts: extern "C" fn(*mut c_char, usize) -> usize = unsafe { std::mem::transmute(f) };
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let need = counts(buf.as_mut_ptr() as *mut c_char, buf.len());
        if need <= buf.len() {
            buf.truncate(need.saturating_sub(1));
            return Some(DriverCounts::parse(&String::from_utf8_lossy(&buf)));
        }
        buf.resize(need, 0);
    }
}

/// Zero the simulator's counts (nothing when it is not loaded).
pub fn reset() {
    let Some(h) = driver_handle() else { return };
    let f = symbol(h, "cudasim_counts_reset");
    if !f.is_null() {
        // SAFETY: the simulator's exported function of this signature.
        let reset: extern "C" fn() = unsafe { std::mem::transmute(f) };
        reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_parse_and_sum() {
        let c = DriverCounts::parse(
            "0 default launch adam_f32 4 0\n0 0x10000010 launch unary_f32 2 0\n\
             0 ctx sync ctx_synchronize 1 0\n0 default htod pinned 1 3136\n0 ctx alloc device 2 4096\n",
        );
        assert_eq!((c.launches(), c.syncs(), c.device_allocs()), (6, 1, 2));
        assert_eq!(c.bytes("htod"), 3136);
        assert_eq!(c.by_name("launch")["adam_f32"], 4);
        assert!(
            c.per(2)
                .starts_with("3 launches, 0.5 host syncs, 1 device allocs"),
            "{}",
            c.per(2)
        );
    }
}
