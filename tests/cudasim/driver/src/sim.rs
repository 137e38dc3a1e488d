//! The simulator's state behind one lock, and streams as queues: work queued
//! on a stream runs only when the host synchronises it (stream, event or
//! context), reads back from it into pageable memory, destroys it, or when
//! another stream that runs waits on an event recorded after that work.

use crate::config::{Checks, Config};
use crate::counts::Counts;
use crate::exec::Launch;
use crate::fiber::Stack;
use crate::memory::Memory;
use crate::module::{Function, LoadedModule};
use cudarc::driver::sys::CUresult;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// Where a host→device copy reads.
pub enum Source {
    /// Pinned host memory: read when the copy runs, as the GPU's DMA does.
    Pinned(usize),
    /// Pageable memory, copied when the copy was queued (the real driver
    /// stages it before returning).
    Staged(Vec<u8>),
}

pub enum Op {
    Launch(Box<Launch>),
    HtoD {
        dst: usize,
        src: Source,
        bytes: usize,
    },
    DtoH {
        dst: usize,
        src: usize,
        bytes: usize,
    },
    DtoD {
        dst: usize,
        src: usize,
        bytes: usize,
    },
    Memset {
        dst: usize,
        value: u8,
        bytes: usize,
    },
    Record {
        event: usize,
        seq: u64,
    },
    Wait {
        stream: usize,
        seq: u64,
    },
    Free {
        ptr: usize,
    },
}

pub struct Stream {
    pub device: usize,
    queue: VecDeque<(u64, Op)>,
    next_seq: u64,
}

#[derive(Default)]
pub struct Event {
    /// The stream and position of the last record.
    pub recorded: Option<(usize, u64)>,
    pub done_at: Option<Instant>,
}

/// An execution error, returned by the next call that waits for work.
#[derive(Debug, Clone)]
pub struct Failure {
    pub code: CUresult,
    pub message: String,
}

pub struct Sim {
    pub cfg: Config,
    pub initialized: bool,
    pub mem: Memory,
    pub streams: HashMap<usize, Stream>,
    pub events: HashMap<usize, Event>,
    pub modules: HashMap<usize, LoadedModule>,
    pub functions: HashMap<usize, Function>,
    /// Device pointers with a free queued (a second free is an error).
    pub freeing: std::collections::HashSet<usize>,
    pub pending: Option<Failure>,
    pub checks: Checks,
    next_handle: usize,
    pub(crate) stacks: Vec<Stack>,
    pub(crate) stack_size: usize,
    /// What the host asked of the driver (`counts`).
    pub counts: Counts,
}

static SIM: Mutex<Option<Sim>> = Mutex::new(None);

/// The simulator, created (from the environment) on first use.
pub fn lock() -> MutexGuard<'static, Option<Sim>> {
    let mut g = SIM.lock().unwrap_or_else(|e| e.into_inner());
    if g.is_none() {
        let cfg = Config::from_env().unwrap_or_else(|e| {
            eprintln!("cudasim: bad CUDASIM_* variable ({e}); using the defaults");
            Config::from_pairs(std::iter::empty()).expect("defaults parse")
        });
        *g = Some(Sim::new(cfg));
    }
    g
}

/// Replace the configuration; only before the driver is initialised.
pub fn configure(cfg: Config) -> Result<(), String> {
    let mut g = lock();
    let sim = g.as_mut().expect("created by lock");
    if sim.initialized {
        return Err("cudasim_configure: the driver is already initialised".into());
    }
    sim.cfg = cfg;
    Ok(())
}

/// Handles of the null (legacy default) stream of each device.
pub const DEFAULT_STREAM: usize = 0x0def_0000;

impl Sim {
    fn new(cfg: Config) -> Sim {
        let stack_kib = std::env::var("CUDASIM_STACK_KIB")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(128);
        let checks = Checks::from_env();
        crate::exec::set_barrier_checks(checks.barriers);
        Sim {
            cfg,
            initialized: false,
            checks,
            mem: Memory::new(!checks.nan_fill, !checks.guards),
            streams: HashMap::new(),
            events: HashMap::new(),
            modules: HashMap::new(),
            functions: HashMap::new(),
            freeing: Default::default(),
            pending: None,
            next_handle: 0x1000_0000,
            stacks: Vec::new(),
            stack_size: stack_kib.max(16) << 10,
            counts: Counts::default(),
        }
    }

    /// A fresh handle value: never 0, never reused.
    pub fn handle(&mut self) -> usize {
        self.next_handle += 16;
        self.next_handle
    }

    pub fn new_stream(&mut self, device: usize) -> usize {
        let h = self.handle();
        self.streams.insert(
            h,
            Stream {
                device,
                queue: VecDeque::new(),
                next_seq: 1,
            },
        );
        h
    }

    /// The handle for `s` (null means the device's default stream).
    pub fn stream_key(&mut self, s: usize, device: usize) -> Option<usize> {
        if s == 0 {
            let k = DEFAULT_STREAM + device;
            self.streams.entry(k).or_insert(Stream {
                device,
                queue: VecDeque::new(),
                next_seq: 1,
            });
            return Some(k);
        }
        self.streams.contains_key(&s).then_some(s)
    }

    /// Queue `op` on stream `s`; its position.
    pub fn push(&mut self, s: usize, op: Op) -> u64 {
        let st = self
            .streams
            .get_mut(&s)
            .expect("stream checked by the caller");
        let seq = st.next_seq;
        st.next_seq += 1;
        st.queue.push_back((seq, op));
        if !self.checks.queues {
            self.run_stream(s);
        }
        seq
    }

    /// The position the next op on `s` will get (ops before it are < this).
    pub fn tail(&self, s: usize) -> u64 {
        self.streams.get(&s).map_or(0, |st| st.next_seq)
    }

    /// Run stream `s` up to and including position `upto`.
    pub fn run_to(&mut self, s: usize, upto: u64) {
        loop {
            let Some(st) = self.streams.get_mut(&s) else {
                return;
            };
            match st.queue.front() {
                Some((seq, _)) if *seq <= upto => {}
                _ => return,
            }
            let (_, op) = st.queue.pop_front().expect("front checked");
            self.execute(op);
        }
    }

    pub fn run_stream(&mut self, s: usize) {
        let end = self.tail(s);
        self.run_to(s, end);
    }

    pub fn run_all(&mut self) {
        let keys: Vec<usize> = self.streams.keys().copied().collect();
        for k in keys {
            self.run_stream(k);
        }
    }

    /// The failure recorded by executed work, if any (then cleared).
    pub fn take_failure(&mut self) -> Result<(), Failure> {
        match self.pending.take() {
            Some(f) => Err(f),
            None => Ok(()),
        }
    }

    pub(crate) fn fail(&mut self, code: CUresult, message: String) {
        eprintln!("cudasim: {message}");
        if self.pending.is_none() {
            self.pending = Some(Failure { code, message });
        }
    }

    /// Run everything queued on streams of `device` (before unloading a
    /// module, a context reset, ...).
    pub fn run_device(&mut self, device: usize) {
        let keys: Vec<usize> = self
            .streams
            .iter()
            .filter(|(_, s)| s.device == device)
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            self.run_stream(k);
        }
    }

    pub fn remove_stream(&mut self, s: usize) {
        self.run_stream(s);
        self.streams.remove(&s);
    }
}
