//! What the host asks of the driver, counted per device and stream: kernel
//! launches by name, host synchronisations by call, device and pinned-host
//! allocations and frees, copies by direction (and whether their host side is
//! pinned, pageable or the call blocks) with their bytes, memsets.
//! `cudasim_counts` writes them out, `cudasim_counts_reset` zeroes them;
//! `tensor::cuda::simulator::counts` reads them. The counts are what our code
//! asks of the driver, not what a GPU would spend on it.

use std::collections::BTreeMap;

/// Where an operation was asked for: the context (allocations, context
/// synchronisation, blocking calls) or a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Queue {
    Context,
    Stream(usize),
}

#[derive(Default)]
pub struct Counts {
    /// (device, queue, kind, name) → (calls, bytes).
    map: BTreeMap<(usize, Queue, &'static str, String), (u64, u64)>,
}

impl Counts {
    /// One call of `kind` (`launch`, `sync`, `alloc`, `free`, `htod`, `dtoh`,
    /// `dtod`, `memset`) named `name`, moving `bytes`.
    pub fn add(
        &mut self,
        device: usize,
        queue: Queue,
        kind: &'static str,
        name: &str,
        bytes: usize,
    ) {
        let e = self
            .map
            .entry((device, queue, kind, name.to_string()))
            .or_default();
        e.0 += 1;
        e.1 += bytes as u64;
    }

    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// One line per counter: `device queue kind name calls bytes`, the
    /// queue `ctx`, `default` (a device's null stream) or a stream's handle.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        for ((device, queue, kind, name), (calls, bytes)) in &self.map {
            let q = match queue {
                Queue::Context => "ctx".to_string(),
                Queue::Stream(h) if *h == crate::sim::DEFAULT_STREAM + device => "default".into(),
                Queue::Stream(h) => format!("{h:#x}"),
            };
            out.push_str(&format!("{device} {q} {kind} {name} {calls} {bytes}\n"));
        }
        out
    }
}
