//! Checkpoints in safetensors, keyed exactly as PyTorch's `state_dict()`, so that
//! `G.load_state_dict(safetensors.torch.load_file(path))` works on the models.py
//! modules. Every file is written to `*.tmp` and renamed.
//!
//! Tensors are f32, except batchnorm's `num_batches_tracked`, which PyTorch
//! keeps as an int64 scalar: those are written and read as I64 of shape [], so
//! that the dtypes of a `state_dict()` are PyTorch's too.

use super::write_atomic;
use crate::error::{Error, Result};
use crate::nn::Module;
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use tensor::{CpuStorage, StorageKind, Tensor};

/// A checkpoint file read back: its tensors and its metadata.
pub struct Loaded {
    /// The f32 tensors.
    pub tensors: HashMap<String, Tensor>,
    /// The int64 scalars (`num_batches_tracked`).
    pub counts: HashMap<String, i64>,
    /// The file's metadata.
    pub meta: HashMap<String, String>,
}

/// safetensors bytes of f32 `tensors` and int64 scalars `counts` with `meta`.
pub fn encode(
    tensors: &[(String, Tensor)],
    counts: &[(String, i64)],
    meta: HashMap<String, String>,
) -> Result<Vec<u8>> {
    let mut bufs = Vec::with_capacity(tensors.len() + counts.len());
    for (name, t) in tensors {
        let bytes: Vec<u8> = t
            .to_vec_f32()?
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        bufs.push((name.clone(), Dtype::F32, t.shape().to_vec(), bytes));
    }
    for (name, c) in counts {
        let bytes = c.to_le_bytes().to_vec();
        bufs.push((name.clone(), Dtype::I64, Vec::new(), bytes));
    }
    let views = bufs
        .iter()
        .map(|(n, d, s, b)| {
            TensorView::new(*d, s.clone(), b)
                .map(|v| (n.clone(), v))
                .map_err(|e| Error::usage(format!("safetensors: tensor {n}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    safetensors::serialize(views, Some(meta)).map_err(|e| Error::usage(format!("safetensors: {e}")))
}

/// Write a checkpoint file atomically.
pub fn save(
    path: &Path,
    tensors: &[(String, Tensor)],
    meta: HashMap<String, String>,
) -> Result<()> {
    write_atomic(path, &encode(tensors, &[], meta)?)
}

/// Read and check a checkpoint file: it must exist, be complete, and hold f32
/// tensors and int64 scalars only.
pub fn read(path: &Path) -> Result<Loaded> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read checkpoint", path, e))?;
    let bad = |msg: String| Error::checkpoint(path, msg);
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| {
        bad(format!(
            "not a valid safetensors file (corrupt or cut short?): {e}"
        ))
    })?;
    let meta = header.metadata().clone().unwrap_or_default();
    let st = SafeTensors::deserialize(&bytes).map_err(|e| {
        bad(format!(
            "not a valid safetensors file (corrupt or cut short?): {e}"
        ))
    })?;
    let (mut tensors, mut counts) = (HashMap::new(), HashMap::new());
    for (name, view) in st.tensors() {
        if view.dtype() == Dtype::I64 && view.shape().is_empty() {
            let b: [u8; 8] = view
                .data()
                .try_into()
                .map_err(|_| bad(format!("int64 scalar '{name}' is not 8 bytes long")))?;
            counts.insert(name, i64::from_le_bytes(b));
            continue;
        }
        if view.dtype() != Dtype::F32 {
            return Err(bad(format!(
                "tensor '{name}' is {:?} of shape {:?}; expected F32, or an I64 scalar (num_batches_tracked)",
                view.dtype(),
                view.shape()
            )));
        }
        let data: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let t = Tensor::from_vec(data, view.shape())
            .map_err(|e| bad(format!("tensor '{name}': {e}")))?;
        tensors.insert(name, t);
    }
    Ok(Loaded {
        tensors,
        counts,
        meta,
    })
}

/// Save a module's state_dict (f32 tensors and int64 counts) with `meta`.
pub fn save_module(path: &Path, m: &dyn Module, meta: HashMap<String, String>) -> Result<()> {
    let counts: Vec<(String, i64)> = m
        .named_counts()
        .into_iter()
        .map(|(n, c)| (n, c.get()))
        .collect();
    write_atomic(path, &encode(&m.state_dict(), &counts, meta)?)
}

/// Copy a checkpoint's tensors into `m` in place, strictly as
/// `load_state_dict(strict=True)`: the same keys, the same shapes (and, stricter
/// than PyTorch, the same dtypes). Nothing is changed unless everything matches.
pub fn load_into(path: &Path, m: &dyn Module, loaded: &Loaded) -> Result<()> {
    let sd = m.state_dict();
    let counts = m.named_counts();
    let want: BTreeSet<&str> = sd
        .iter()
        .map(|(n, _)| n.as_str())
        .chain(counts.iter().map(|(n, _)| n.as_str()))
        .collect();
    let have: BTreeSet<&str> = loaded
        .tensors
        .keys()
        .chain(loaded.counts.keys())
        .map(String::as_str)
        .collect();
    let missing: Vec<&str> = want.difference(&have).copied().collect();
    let extra: Vec<&str> = have.difference(&want).copied().collect();
    if !missing.is_empty() || !extra.is_empty() {
        let mut msg = String::from("does not fit this model:");
        if !missing.is_empty() {
            msg += &format!(" missing keys {missing:?}");
        }
        if !extra.is_empty() {
            msg += &format!(" unexpected keys {extra:?}");
        }
        return Err(Error::checkpoint(path, msg));
    }
    for (name, _) in &counts {
        if !loaded.counts.contains_key(name) {
            return Err(Error::checkpoint(
                path,
                format!("'{name}' must be an int64 scalar, as PyTorch's num_batches_tracked is"),
            ));
        }
    }
    for (name, t) in &sd {
        let Some(src) = loaded.tensors.get(name) else {
            return Err(Error::checkpoint(
                path,
                format!(
                    "'{name}' is an int64 scalar; the model needs f32 of shape {:?}",
                    t.shape()
                ),
            ));
        };
        if src.shape() != t.shape() {
            return Err(Error::checkpoint(
                path,
                format!(
                    "tensor '{name}' has shape {:?}; the model needs {:?}",
                    src.shape(),
                    t.shape()
                ),
            ));
        }
    }
    for (name, t) in &sd {
        copy_values(t, &loaded.tensors[name])?;
    }
    for (name, c) in &counts {
        c.set(loaded.counts[name]);
    }
    Ok(())
}

/// Overwrite `dst`'s values (contiguous f32) with `src`'s.
pub fn copy_values(dst: &Tensor, src: &Tensor) -> Result<()> {
    let v = src.to_vec_f32()?;
    let range = dst
        .layout()
        .contiguous_range()
        .ok_or_else(|| Error::usage("load: destination tensor is not contiguous".to_string()))?;
    let mut s = dst.storage_mut();
    match s.kind_mut() {
        StorageKind::Cpu(CpuStorage::F32(d)) => {
            d[range].copy_from_slice(&v);
            Ok(())
        }
        _ => Err(Error::Unsupported("load: only f32 CPU tensors".into())),
    }
}

/// A metadata entry that must be present.
pub fn meta_get<'a>(path: &Path, loaded: &'a Loaded, key: &str) -> Result<&'a str> {
    loaded
        .meta
        .get(key)
        .map(String::as_str)
        .ok_or_else(|| Error::checkpoint(path, format!("metadata has no '{key}'")))
}
