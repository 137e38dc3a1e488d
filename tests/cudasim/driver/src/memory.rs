//! Device and pinned host memory: host pages, each allocation between guard
//! pages and ending right at the one above it, so that a kernel reading or
//! writing past the end (or before the start) faults at once; new blocks
//! filled with NaN bytes, so that reading memory nobody wrote shows up in the
//! results; freed blocks unmapped (kept inaccessible, in quarantine) for a
//! while, so that a use after free faults too.

use std::collections::{BTreeMap, VecDeque};

pub const PAGE: usize = 4096;
/// Allocations end at a multiple of this below the guard page: the
/// alignment kernels may rely on for vector loads (float4).
const ALIGN: usize = 16;
const QUARANTINE_BYTES: usize = 512 << 20;
const QUARANTINE_BLOCKS: usize = 16_384;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Device,
    PinnedHost,
}

#[derive(Debug)]
pub struct Block {
    map: usize,
    map_len: usize,
    pub size: usize,
    pub kind: Kind,
    pub freed: bool,
}

#[derive(Default)]
pub struct Memory {
    /// Checks switched off (CUDASIM_DISABLE): no NaN fill, no guards.
    pub no_nan_fill: bool,
    pub no_guards: bool,
    /// By start address: live blocks and quarantined (freed) ones.
    blocks: BTreeMap<usize, Block>,
    quarantine: VecDeque<usize>,
    quarantined_bytes: usize,
    pub live_device_bytes: usize,
}

impl Memory {
    pub fn new(no_nan_fill: bool, no_guards: bool) -> Memory {
        Memory {
            no_nan_fill,
            no_guards,
            ..Memory::default()
        }
    }
}

fn round_up(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

impl Memory {
    /// A new block of `size` bytes filled with 0xFF (NaN as f32 and f64).
    pub fn alloc(&mut self, size: usize, kind: Kind) -> Option<usize> {
        let padded = round_up(size.max(1), ALIGN);
        let data = round_up(padded, PAGE);
        let map_len = data + 2 * PAGE;
        // SAFETY: a fresh anonymous mapping; only its middle is made accessible.
        let (map, start) = unsafe {
            let map = libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            );
            if map == libc::MAP_FAILED {
                return None;
            }
            let rw = (map as usize + PAGE) as *mut libc::c_void;
            let (at, len) = if self.no_guards {
                (map, map_len)
            } else {
                (rw, data)
            };
            if libc::mprotect(at, len, libc::PROT_READ | libc::PROT_WRITE) != 0 {
                libc::munmap(map, map_len);
                return None;
            }
            if !self.no_nan_fill {
                std::ptr::write_bytes(rw as *mut u8, 0xFF, data);
            }
            (map as usize, map as usize + PAGE + data - padded)
        };
        self.blocks.insert(
            start,
            Block {
                map,
                map_len,
                size,
                kind,
                freed: false,
            },
        );
        if kind == Kind::Device {
            self.live_device_bytes += size;
        }
        Some(start)
    }

    /// Free the block that starts at `ptr` (of `kind`); false if there is none.
    pub fn free(&mut self, ptr: usize, kind: Kind) -> bool {
        let Some(b) = self.blocks.get_mut(&ptr) else {
            return false;
        };
        if b.freed || b.kind != kind {
            return false;
        }
        b.freed = true;
        let (map, map_len, size) = (b.map, b.map_len, b.size);
        if kind == Kind::Device {
            self.live_device_bytes -= size;
        }
        if self.no_guards {
            return true; // left mapped and readable: a use after free goes unseen
        }
        // SAFETY: the block's own mapping: its pages are given back to the
        // system and made inaccessible, the address range stays reserved.
        unsafe {
            libc::madvise(map as *mut libc::c_void, map_len, libc::MADV_DONTNEED);
            libc::mprotect(map as *mut libc::c_void, map_len, libc::PROT_NONE);
        }
        self.quarantine.push_back(ptr);
        self.quarantined_bytes += map_len;
        while self.quarantined_bytes > QUARANTINE_BYTES || self.quarantine.len() > QUARANTINE_BLOCKS
        {
            let Some(old) = self.quarantine.pop_front() else {
                break;
            };
            if let Some(b) = self.blocks.remove(&old) {
                self.quarantined_bytes -= b.map_len;
                // SAFETY: the mapping of a freed block that nothing refers to.
                unsafe { libc::munmap(b.map as *mut libc::c_void, b.map_len) };
            }
        }
        true
    }

    /// The live block of `kind` holding all of [ptr, ptr + len), if any.
    pub fn live_range(&self, ptr: usize, len: usize, kind: Kind) -> bool {
        match self.blocks.range(..=ptr).next_back() {
            Some((&start, b)) => {
                !b.freed
                    && b.kind == kind
                    && ptr.checked_add(len).is_some_and(|e| e <= start + b.size)
            }
            None => false,
        }
    }

    /// Whether `ptr` lies inside any live pinned host block.
    pub fn is_pinned(&self, ptr: usize, len: usize) -> bool {
        self.live_range(ptr, len, Kind::PinnedHost)
    }

    /// Where `addr` lies relative to the nearest block, for fault reports.
    pub fn describe(&self, addr: usize) -> String {
        let below = self.blocks.range(..=addr).next_back();
        let above = self.blocks.range(addr + 1..).next();
        let what = |b: &Block| {
            let k = match b.kind {
                Kind::Device => "device",
                Kind::PinnedHost => "pinned host",
            };
            format!(
                "{}{}-byte {k} allocation",
                if b.freed { "freed " } else { "" },
                b.size
            )
        };
        let mut best: Option<(usize, String)> = None;
        let mut consider = |dist: usize, text: String| {
            if best.as_ref().is_none_or(|(d, _)| dist < *d) {
                best = Some((dist, text));
            }
        };
        if let Some((&start, b)) = below {
            let end = start + b.size;
            if addr < end {
                consider(0, format!("byte {} of a {}", addr - start, what(b)));
            } else {
                consider(
                    addr - end,
                    format!(
                        "{} bytes past the end of a {} at {start:#x}",
                        addr - end,
                        what(b)
                    ),
                );
            }
        }
        if let Some((&start, b)) = above {
            consider(
                start - addr,
                format!(
                    "{} bytes before the start of a {} at {start:#x}",
                    start - addr,
                    what(b)
                ),
            );
        }
        match best {
            Some((d, text)) if d < (1 << 20) => text,
            _ => "not near any allocation".to_string(),
        }
    }
}
