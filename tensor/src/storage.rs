//! One storage type per device, behind one enum: the single dispatch point that
//! kernels match on. `CudaStorage` (f32 device memory) is in `crate::cuda`.

pub use crate::cuda::CudaStorage;
use crate::{DType, Element};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Where a tensor's memory lives: the host, or the CUDA device of that
/// ordinal. Parsed from and shown as `cpu`, `cuda` (= `cuda:0`) or `cuda:N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Device {
    /// Host memory, computed on by the CPU kernels.
    #[default]
    Cpu,
    /// The CUDA device of this ordinal (`cuda:N`).
    Cuda(usize),
}

impl Device {
    /// Whether this is a CUDA device (of any ordinal).
    pub fn is_cuda(&self) -> bool {
        matches!(self, Device::Cuda(_))
    }
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Device::Cpu => write!(f, "cpu"),
            Device::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

impl std::str::FromStr for Device {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cpu" => Ok(Device::Cpu),
            "cuda" => Ok(Device::Cuda(0)),
            _ => match s.strip_prefix("cuda:").map(str::parse) {
                Some(Ok(i)) => Ok(Device::Cuda(i)),
                _ => Err(format!(
                    "unknown device '{s}': expected cpu, cuda or cuda:N"
                )),
            },
        }
    }
}

/// Host memory.
#[derive(Debug, Clone)]
pub enum CpuStorage {
    /// 32-bit floats, the working type.
    F32(Vec<f32>),
    /// 64-bit floats, for the gradient checks.
    F64(Vec<f64>),
}

impl CpuStorage {
    /// The element type of the buffer.
    pub fn dtype(&self) -> DType {
        match self {
            CpuStorage::F32(_) => DType::F32,
            CpuStorage::F64(_) => DType::F64,
        }
    }
    /// The number of elements (not bytes).
    pub fn len(&self) -> usize {
        match self {
            CpuStorage::F32(v) => v.len(),
            CpuStorage::F64(v) => v.len(),
        }
    }
    /// Whether the buffer holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Typed access to a `CpuStorage`; implemented for every `Element`.
pub trait CpuSlice: Element {
    /// The elements, or `None` when the storage holds another element type.
    fn slice(s: &CpuStorage) -> Option<&[Self]>;
    /// The elements, writable, or `None` when the storage holds another
    /// element type.
    fn slice_mut(s: &mut CpuStorage) -> Option<&mut [Self]>;
    /// A storage that owns `v`.
    fn wrap(v: Vec<Self>) -> CpuStorage;
}

impl CpuSlice for f32 {
    fn slice(s: &CpuStorage) -> Option<&[f32]> {
        match s {
            CpuStorage::F32(v) => Some(v),
            _ => None,
        }
    }
    fn slice_mut(s: &mut CpuStorage) -> Option<&mut [f32]> {
        match s {
            CpuStorage::F32(v) => Some(v),
            _ => None,
        }
    }
    fn wrap(v: Vec<f32>) -> CpuStorage {
        CpuStorage::F32(v)
    }
}

impl CpuSlice for f64 {
    fn slice(s: &CpuStorage) -> Option<&[f64]> {
        match s {
            CpuStorage::F64(v) => Some(v),
            _ => None,
        }
    }
    fn slice_mut(s: &mut CpuStorage) -> Option<&mut [f64]> {
        match s {
            CpuStorage::F64(v) => Some(v),
            _ => None,
        }
    }
    fn wrap(v: Vec<f64>) -> CpuStorage {
        CpuStorage::F64(v)
    }
}

static LIVE_STORAGES: AtomicUsize = AtomicUsize::new(0);
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Count and total size of storages alive now, across the process. Tests use it to
/// show that memory stays flat across training steps.
pub fn live_storage_stats() -> (usize, usize) {
    (
        LIVE_STORAGES.load(Ordering::Relaxed),
        LIVE_BYTES.load(Ordering::Relaxed),
    )
}

/// The device-specific buffer of a [`Storage`]: what kernels match on to
/// pick the CPU or the CUDA path.
#[derive(Debug)]
pub enum StorageKind {
    /// Host memory.
    Cpu(CpuStorage),
    /// Device memory (f32 only) on one GPU.
    Cuda(CudaStorage),
}

/// A buffer on some device; counted while alive.
#[derive(Debug)]
pub struct Storage {
    kind: StorageKind,
    bytes: usize,
}

impl Storage {
    /// Take ownership of a buffer and count it in [`live_storage_stats`].
    pub fn new(kind: StorageKind) -> Self {
        let bytes = match &kind {
            StorageKind::Cpu(c) => c.len() * c.dtype().size_in_bytes(),
            StorageKind::Cuda(c) => c.len() * c.dtype().size_in_bytes(),
        };
        LIVE_STORAGES.fetch_add(1, Ordering::Relaxed);
        LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed);
        Storage { kind, bytes }
    }
    /// A host buffer.
    pub fn cpu(c: CpuStorage) -> Self {
        Storage::new(StorageKind::Cpu(c))
    }
    /// The device-specific buffer, to read.
    pub fn kind(&self) -> &StorageKind {
        &self.kind
    }
    /// The device-specific buffer, to write (kernels writing in place).
    pub fn kind_mut(&mut self) -> &mut StorageKind {
        &mut self.kind
    }
    /// The device the buffer lives on.
    pub fn device(&self) -> Device {
        match &self.kind {
            StorageKind::Cpu(_) => Device::Cpu,
            StorageKind::Cuda(c) => Device::Cuda(c.ordinal()),
        }
    }
    /// The element type of the buffer.
    pub fn dtype(&self) -> DType {
        match &self.kind {
            StorageKind::Cpu(c) => c.dtype(),
            StorageKind::Cuda(c) => c.dtype(),
        }
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        LIVE_STORAGES.fetch_sub(1, Ordering::Relaxed);
        LIVE_BYTES.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}
