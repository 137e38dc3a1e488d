//! `Tensor`: shared storage plus a layout. Cloning a tensor or taking a view shares
//! the storage; nothing here copies data except the explicit constructors and
//! `to_vec`.

use crate::cuda;
use crate::layout::{resolve_dim, Layout};
use crate::storage::{CpuSlice, CpuStorage, Device, Storage, StorageKind};
use crate::{DType, Error, Result};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// An n-dimensional array: a shared, reference-counted [`Storage`] and a
/// [`Layout`] (shape, strides and offset, in elements) that says which of its
/// elements this tensor sees. Cloning is cheap and shares the buffer; so do
/// the views (`transpose`, `narrow`, ...). The element type and device are
/// those of the storage, cached here.
#[derive(Clone, Debug)]
pub struct Tensor {
    storage: Arc<RwLock<Storage>>,
    layout: Layout,
    dtype: DType,
    device: Device,
}

/// Refuse element counts whose byte size overflows or is beyond any real machine.
fn checked_numel(op: &'static str, shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= (1usize << 40))
        .ok_or_else(|| Error::arg(op, shape, "element count overflows or exceeds 2^40"))
}

impl Tensor {
    /// A tensor over `storage` as `layout` describes it; the layout must stay
    /// within the storage (the kernels that build storages guarantee it).
    pub fn from_storage(storage: Storage, layout: Layout) -> Self {
        let (dtype, device) = (storage.dtype(), storage.device());
        Tensor {
            storage: Arc::new(RwLock::new(storage)),
            layout,
            dtype,
            device,
        }
    }

    /// A contiguous CPU tensor that takes ownership of `data`.
    pub fn from_vec<T: CpuSlice>(data: Vec<T>, shape: &[usize]) -> Result<Self> {
        let n = checked_numel("from_vec", shape)?;
        if n != data.len() {
            return Err(Error::arg(
                "from_vec",
                shape,
                format!("{} values given for {n} elements", data.len()),
            ));
        }
        Ok(Self::from_storage(
            Storage::cpu(T::wrap(data)),
            Layout::contiguous(shape),
        ))
    }

    /// A contiguous CPU tensor holding a copy of `data`; an error when
    /// `data.len()` is not the product of `shape`.
    pub fn from_slice<T: CpuSlice>(data: &[T], shape: &[usize]) -> Result<Self> {
        Self::from_vec(data.to_vec(), shape)
    }

    /// A rank-0 (shape `[]`) f32 CPU tensor holding `v`.
    pub fn scalar(v: f32) -> Self {
        Self::from_storage(
            Storage::cpu(CpuStorage::F32(vec![v])),
            Layout::contiguous(&[]),
        )
    }

    /// A contiguous tensor of `shape` with every element `value` (rounded to
    /// `dtype`), made on `device`: a memset on a GPU for zeros, an upload
    /// otherwise. An error for a CUDA device with another dtype than f32, or for
    /// an element count beyond 2⁴⁰.
    pub fn full(value: f64, shape: &[usize], dtype: DType, device: Device) -> Result<Self> {
        let n = checked_numel("full", shape)?;
        if let Device::Cuda(i) = device {
            cuda_only_f32("full", dtype, device)?;
            let dev = cuda::device(i)?;
            // Zeros are a memset on the device; other values are uploaded.
            let s = if value.to_bits() == 0 {
                cuda::CudaStorage::zeros(&dev, n)?
            } else {
                cuda::upload(&dev, &vec![value as f32; n])?
            };
            return Ok(Self::from_storage(
                Storage::new(StorageKind::Cuda(s)),
                Layout::contiguous(shape),
            ));
        }
        let cpu = match dtype {
            DType::F32 => CpuStorage::F32(vec![value as f32; n]),
            DType::F64 => CpuStorage::F64(vec![value; n]),
        };
        Self::from_storage(Storage::cpu(cpu), Layout::contiguous(shape)).to_device(device)
    }

    /// [`Tensor::full`] of 0.
    pub fn zeros(shape: &[usize], dtype: DType, device: Device) -> Result<Self> {
        Self::full(0.0, shape, dtype, device)
    }

    /// [`Tensor::full`] of 1.
    pub fn ones(shape: &[usize], dtype: DType, device: Device) -> Result<Self> {
        Self::full(1.0, shape, dtype, device)
    }

    /// Standard-normal samples scaled to N(mean, std²), f32.
    pub fn randn<R: Rng + ?Sized>(
        shape: &[usize],
        mean: f32,
        std: f32,
        rng: &mut R,
    ) -> Result<Self> {
        let n = checked_numel("randn", shape)?;
        let data = (0..n)
            .map(|_| {
                let z: f32 = StandardNormal.sample(rng);
                mean + std * z
            })
            .collect();
        Self::from_vec::<f32>(data, shape)
    }

    /// Uniform samples in [lo, hi), f32.
    pub fn rand_uniform<R: Rng + ?Sized>(
        shape: &[usize],
        lo: f32,
        hi: f32,
        rng: &mut R,
    ) -> Result<Self> {
        let n = checked_numel("rand_uniform", shape)?;
        let data = (0..n)
            .map(|_| lo + (hi - lo) * rng.random::<f32>())
            .collect();
        Self::from_vec::<f32>(data, shape)
    }

    /// Move to a device: the same tensor when it is already there, else a
    /// contiguous copy. A CUDA device holds f32 only.
    pub fn to_device(self, device: Device) -> Result<Self> {
        if device == self.device {
            return Ok(self);
        }
        let shape = self.shape().to_vec();
        match device {
            Device::Cpu => Self::from_vec::<f32>(self.to_vec()?, &shape),
            Device::Cuda(i) => {
                cuda_only_f32("to_device", self.dtype, device)?;
                let dev = cuda::device(i)?;
                let s = {
                    let g = self.storage();
                    match (g.kind(), self.layout.contiguous_range()) {
                        // Uploaded straight from the host buffer: no staging copy.
                        (StorageKind::Cpu(CpuStorage::F32(v)), Some(r)) => {
                            cuda::upload(&dev, &v[r])?
                        }
                        _ => {
                            drop(g);
                            cuda::upload(&dev, &self.to_vec::<f32>()?)?
                        }
                    }
                };
                Ok(Self::from_storage(
                    Storage::new(StorageKind::Cuda(s)),
                    Layout::contiguous(&shape),
                ))
            }
        }
    }

    /// The size of each dimension, outermost first (`[]` for a scalar).
    pub fn shape(&self) -> &[usize] {
        self.layout.shape()
    }
    /// The same as [`Tensor::shape`], under PyTorch's other name.
    pub fn dims(&self) -> &[usize] {
        self.layout.shape()
    }
    /// The number of dimensions.
    pub fn rank(&self) -> usize {
        self.layout.rank()
    }
    /// The number of elements the view holds (the product of the shape).
    pub fn numel(&self) -> usize {
        self.layout.numel()
    }
    /// Shape, strides and offset of the view into its storage.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }
    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }
    /// The device the storage lives on.
    pub fn device(&self) -> Device {
        self.device
    }
    /// Whether the view is row-major and dense (its elements are one
    /// unbroken run of the storage, in order), so kernels may read it as a slice.
    pub fn is_contiguous(&self) -> bool {
        self.layout.is_contiguous()
    }
    /// Size of dimension `dim` (negative counts from the end).
    pub fn dim(&self, dim: isize) -> Result<usize> {
        Ok(self.shape()[resolve_dim("dim", dim, self.shape())?])
    }

    /// Read access to the storage (shared lock).
    pub fn storage(&self) -> RwLockReadGuard<'_, Storage> {
        self.storage.read().unwrap_or_else(|e| e.into_inner())
    }
    /// Write access to the storage, for in-place updates such as optimiser steps.
    pub fn storage_mut(&self) -> RwLockWriteGuard<'_, Storage> {
        self.storage.write().unwrap_or_else(|e| e.into_inner())
    }
    /// True if both tensors view the same buffer (a view, not a copy).
    pub fn same_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.storage, &other.storage)
    }
    /// How many tensors share this storage.
    pub fn storage_refcount(&self) -> usize {
        Arc::strong_count(&self.storage)
    }

    fn with_layout(&self, layout: Layout) -> Tensor {
        Tensor {
            storage: self.storage.clone(),
            layout,
            dtype: self.dtype,
            device: self.device,
        }
    }

    // ---- views: pure layout changes, never a copy ----

    /// The view with dimensions `d0` and `d1` swapped (negative counts from
    /// the end); an error when either is out of range.
    pub fn transpose(&self, d0: isize, d1: isize) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.transpose(d0, d1)?))
    }
    /// Transpose of a 2-D tensor.
    pub fn t(&self) -> Result<Tensor> {
        if self.rank() != 2 {
            return Err(Error::arg("t", self.shape(), "expects a 2-D tensor"));
        }
        self.transpose(0, 1)
    }
    /// The view whose dimension `i` is this one's `dims[i]`; an error unless
    /// `dims` is a permutation of `0..rank`.
    pub fn permute(&self, dims: &[usize]) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.permute(dims)?))
    }
    /// The view of `len` entries of dimension `dim`, from `start`; an error
    /// when `start + len` passes the dimension's size.
    pub fn narrow(&self, dim: isize, start: usize, len: usize) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.narrow(dim, start, len)?))
    }
    /// The view of this tensor broadcast to `shape` (NumPy rules: size-1
    /// dimensions and missing leading ones repeat with stride 0); an error when
    /// the shapes are incompatible.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.broadcast_to(shape)?))
    }
    /// The view with a new size-1 dimension at `dim` (in `-(rank+1)..=rank`).
    pub fn unsqueeze(&self, dim: isize) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.unsqueeze(dim)?))
    }
    /// The view without dimension `dim` when its size is 1; the same view
    /// otherwise (as PyTorch). An error when `dim` is out of range.
    pub fn squeeze(&self, dim: isize) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.squeeze(dim)?))
    }
    /// A view with a new shape; an error if the strides do not allow it
    /// (use `kernels::reshape` to copy when needed).
    pub fn view(&self, shape: &[usize]) -> Result<Tensor> {
        match self.layout.reshape(shape)? {
            Some(l) => Ok(self.with_layout(l)),
            None => Err(Error::NotViewable {
                op: "view",
                shape: self.shape().to_vec(),
                strides: self.layout.strides().to_vec(),
                target: shape.to_vec(),
            }),
        }
    }

    // ---- reading values out ----

    /// The elements in row-major order of the view, as `T` (converting the dtype).
    pub fn to_vec<T: CpuSlice>(&self) -> Result<Vec<T>> {
        let guard = self.storage();
        match guard.kind() {
            StorageKind::Cpu(CpuStorage::F32(v)) => {
                Ok(gather(v, &self.layout, |x| T::from_f64(x as f64)))
            }
            StorageKind::Cpu(CpuStorage::F64(v)) => Ok(gather(v, &self.layout, T::from_f64)),
            StorageKind::Cuda(c) => {
                // Copy the span the view touches (the host waits here), then
                // gather it on the host with the view's strides.
                let (lo, hi) = (self.layout.offset(), self.layout.storage_extent());
                let host = cuda::download(c, lo..hi.max(lo))?;
                let local = Layout::new(self.shape().to_vec(), self.layout.strides().to_vec(), 0);
                Ok(gather(&host, &local, |x| T::from_f64(x as f64)))
            }
        }
    }

    /// [`Tensor::to_vec`] as f32: the elements in row-major order, downloaded
    /// from a GPU when the tensor lives there.
    pub fn to_vec_f32(&self) -> Result<Vec<f32>> {
        self.to_vec::<f32>()
    }

    /// The value of a one-element tensor.
    pub fn item(&self) -> Result<f64> {
        if self.numel() != 1 {
            return Err(Error::arg(
                "item",
                self.shape(),
                "only a one-element tensor has an item",
            ));
        }
        Ok(self.to_vec::<f64>()?[0])
    }
}

/// CUDA buffers are f32: anything else is refused with a typed error.
fn cuda_only_f32(op: &'static str, dtype: DType, device: Device) -> Result<()> {
    if dtype == DType::F32 {
        return Ok(());
    }
    Err(Error::Unsupported {
        op,
        device,
        msg: format!("CUDA tensors are f32, not {dtype:?}; convert with kernels::to_dtype first"),
    })
}

fn gather<S: Copy, T>(data: &[S], layout: &Layout, f: impl Fn(S) -> T) -> Vec<T> {
    match layout.contiguous_range() {
        Some(r) => data[r].iter().map(|&x| f(x)).collect(),
        None => layout.indices().map(|i| f(data[i])).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_share_storage() {
        let t = Tensor::from_vec((0..24).map(|x| x as f32).collect(), &[2, 3, 4]).unwrap();
        let p = t.permute(&[2, 0, 1]).unwrap();
        let n = t.narrow(1, 1, 2).unwrap();
        let b = t
            .narrow(0, 0, 1)
            .unwrap()
            .broadcast_to(&[5, 2, 3, 4])
            .unwrap();
        for v in [&p, &n, &b] {
            assert!(v.same_storage(&t));
        }
        assert_eq!(p.shape(), &[4, 2, 3]);
        assert_eq!(&p.to_vec_f32().unwrap()[..4], &[0.0, 4.0, 8.0, 12.0]);
        assert_eq!(&n.to_vec_f32().unwrap()[..5], &[4.0, 5.0, 6.0, 7.0, 8.0]);
        assert!(t.t().is_err());
        assert!(p.view(&[24]).is_err());
        assert!(t.view(&[6, 4]).unwrap().same_storage(&t));
    }

    #[test]
    fn bad_constructor_input_is_an_error() {
        let e = Tensor::from_vec(vec![1.0f32; 5], &[2, 3]).unwrap_err();
        assert!(e.to_string().contains("from_vec"), "{e}");
        assert!(Tensor::zeros(&[1 << 30, 1 << 30], DType::F32, Device::Cpu).is_err());
        assert!(Tensor::scalar(1.0).item().unwrap() == 1.0);
    }
}
