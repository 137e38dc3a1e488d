//! Checkpoints in safetensors, keyed exactly as PyTorch's `state_dict()`, so that
//! `G.load_state_dict(safetensors.torch.load_file(path))` works on the models.py
//! modules. Every file is written to `*.tmp` and renamed.

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
    pub tensors: HashMap<String, Tensor>,
    pub meta: HashMap<String, String>,
}

/// safetensors bytes of f32 `tensors` with `meta`.
pub fn encode(tensors: &[(String, Tensor)], meta: HashMap<String, String>) -> Result<Vec<u8>> {
    let mut bufs = Vec::with_capacity(tensors.len());
    for (name, t) in tensors {
        let bytes: Vec<u8> = t
            .to_vec_f32()?
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        bufs.push((name.clone(), t.shape().to_vec(), bytes));
    }
    let views = bufs
        .iter()
        .map(|(n, s, b)| {
            TensorView::new(Dtype::F32, s.clone(), b)
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
    write_atomic(path, &encode(tensors, meta)?)
}

/// Read and check a checkpoint file: it must exist, be complete, and hold f32 tensors.
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
    let mut tensors = HashMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F32 {
            return Err(bad(format!(
                "tensor '{name}' is {:?}; expected F32",
                view.dtype()
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
    Ok(Loaded { tensors, meta })
}

/// Save a module's state_dict with `meta`.
pub fn save_module(path: &Path, m: &dyn Module, meta: HashMap<String, String>) -> Result<()> {
    save(path, &m.state_dict(), meta)
}

/// Copy a checkpoint's tensors into `m` in place, strictly as
/// `load_state_dict(strict=True)`: the same keys, the same shapes. Nothing is
/// changed unless everything matches.
pub fn load_into(path: &Path, m: &dyn Module, loaded: &Loaded) -> Result<()> {
    let sd = m.state_dict();
    let want: BTreeSet<&str> = sd.iter().map(|(n, _)| n.as_str()).collect();
    let have: BTreeSet<&str> = loaded.tensors.keys().map(String::as_str).collect();
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
    for (name, t) in &sd {
        let src = &loaded.tensors[name];
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
