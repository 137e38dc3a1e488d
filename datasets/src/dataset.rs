//! The data sets in memory: images stay u8 (47 MB for MNIST's train split, not
//! 188 MB as f32) and become f32 only per batch.

use crate::error::{Error, Result};
use crate::idx::{read_idx, read_idx_md5};
use crate::source::{DataSource, DatasetKind, Split};
use crate::transform::{Plan, Transform};
use std::path::Path;
use tensor::Tensor;

/// N images of C×H×W bytes (channel planes, each row-major), image after
/// image. The IDX data sets are grey (C = 1); image folders may be RGB (C = 3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSet {
    n: usize,
    channels: usize,
    height: usize,
    width: usize,
    pixels: Vec<u8>,
}

impl ImageSet {
    /// N grey images of H×W.
    pub fn new(n: usize, height: usize, width: usize, pixels: Vec<u8>) -> Result<ImageSet> {
        ImageSet::with_channels(n, 1, height, width, pixels)
    }

    /// N images of C×H×W, planar (all of channel 0, then channel 1, …).
    pub fn with_channels(
        n: usize,
        channels: usize,
        height: usize,
        width: usize,
        pixels: Vec<u8>,
    ) -> Result<ImageSet> {
        let origin = "ImageSet::new";
        if channels == 0 || height == 0 || width == 0 {
            return Err(Error::content(
                origin,
                format!("empty image size {channels}×{height}×{width}"),
            ));
        }
        let expected = n
            .checked_mul(channels)
            .and_then(|x| x.checked_mul(height))
            .and_then(|x| x.checked_mul(width));
        if expected != Some(pixels.len()) {
            return Err(Error::content(
                origin,
                format!(
                    "{} bytes for {n} images of {channels}×{height}×{width}",
                    pixels.len()
                ),
            ));
        }
        Ok(ImageSet {
            n,
            channels,
            height,
            width,
            pixels,
        })
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub fn height(&self) -> usize {
        self.height
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// All pixels, image after image (what an evaluation classifier reads).
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// Bytes of pixel data (N·C·H·W).
    pub fn byte_size(&self) -> usize {
        self.pixels.len()
    }

    /// Bytes actually reserved on the heap for the pixels (capacity): the
    /// memory the set costs.
    pub fn heap_bytes(&self) -> usize {
        self.pixels.capacity()
    }

    /// Bytes of one image (C·H·W).
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// The bytes of image `i`, if it exists.
    pub fn image(&self, i: usize) -> Option<&[u8]> {
        let size = self.image_len();
        (i < self.n).then(|| &self.pixels[i * size..(i + 1) * size])
    }

    /// The images at `indices` as one f32 tensor, (B, C, H, W) or (B, C·H·W).
    pub fn to_tensor(&self, indices: &[usize], transform: &Transform) -> Result<Tensor> {
        transform.validate()?;
        let plan = Plan::new(transform, self.channels, self.height, self.width);
        let data = self.convert(indices, &plan)?;
        let shape = transform.batch_shape_c(indices.len(), self.channels, self.height, self.width);
        Ok(Tensor::from_vec(data, &shape)?)
    }

    /// The first `n` images (fewer if the set is smaller): a fixed set for a
    /// "real images" grid.
    pub fn first_n(&self, n: usize, transform: &Transform) -> Result<Tensor> {
        let idx: Vec<usize> = (0..n.min(self.n)).collect();
        self.to_tensor(&idx, transform)
    }

    /// u8 → f32 for the images at `indices`, flattened one after the other.
    pub(crate) fn convert(&self, indices: &[usize], plan: &Plan) -> Result<Vec<f32>> {
        let len = plan.out_len();
        let mut out = vec![0f32; indices.len() * len];
        let mut scratch = Vec::new();
        for (chunk, &i) in out.chunks_mut(len.max(1)).zip(indices) {
            let img = self.image(i).ok_or_else(|| {
                Error::Config(format!("image index {i} out of range (0..{})", self.n))
            })?;
            plan.apply(img, chunk, &mut scratch);
        }
        Ok(out)
    }
}

/// One split of a data set: images and their labels.
#[derive(Clone, Debug)]
pub struct SplitData {
    pub kind: DatasetKind,
    pub split: Split,
    pub images: ImageSet,
    pub labels: Vec<u8>,
}

impl SplitData {
    pub fn len(&self) -> usize {
        self.images.len()
    }

    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// How many images of each class.
    pub fn label_histogram(&self) -> Vec<usize> {
        let mut h = vec![0usize; self.kind.num_classes()];
        for &l in &self.labels {
            if let Some(c) = h.get_mut(l as usize) {
                *c += 1;
            }
        }
        h
    }
}

/// Loads one split, finding (or downloading) its files as `source` says.
pub fn load(kind: DatasetKind, split: Split, source: &DataSource) -> Result<SplitData> {
    let img_path = source.locate(kind, split.images())?;
    let lbl_path = source.locate(kind, split.labels())?;
    let images = read_images(&img_path, kind.raw_md5(split.images()))?;
    let labels = read_labels(&lbl_path, kind.raw_md5(split.labels()), kind.num_classes())?;
    if labels.len() != images.len() {
        return Err(Error::content(
            &lbl_path.display().to_string(),
            format!(
                "{} labels for {} images in {}",
                labels.len(),
                images.len(),
                img_path.display()
            ),
        ));
    }
    Ok(SplitData {
        kind,
        split,
        images,
        labels,
    })
}

/// Reads an image file: u8, rank 3 (N, H, W), at least one image. When
/// `md5` is given, the uncompressed content must have it.
pub fn read_images(path: &Path, md5: Option<&str>) -> Result<ImageSet> {
    let origin = path.display().to_string();
    let arr = read_checked(path, md5)?;
    let (dims, pixels) = arr.into_u8(&origin)?;
    let [n, h, w] = dims[..] else {
        return Err(Error::content(
            &origin,
            format!("expected 3 dimensions (N, H, W), found {dims:?}"),
        ));
    };
    if n == 0 || h == 0 || w == 0 {
        return Err(Error::content(
            &origin,
            format!("no images: dimensions {dims:?}"),
        ));
    }
    ImageSet::new(n, h, w, pixels).map_err(|e| Error::content(&origin, e.to_string()))
}

/// Reads a label file: u8, rank 1, every label below `num_classes`.
pub fn read_labels(path: &Path, md5: Option<&str>, num_classes: usize) -> Result<Vec<u8>> {
    let origin = path.display().to_string();
    let (dims, labels) = read_checked(path, md5)?.into_u8(&origin)?;
    if dims.len() != 1 {
        return Err(Error::content(
            &origin,
            format!("expected 1 dimension (N), found {dims:?}"),
        ));
    }
    if let Some((i, &l)) = labels
        .iter()
        .enumerate()
        .find(|&(_, &l)| l as usize >= num_classes)
    {
        return Err(Error::content(
            &origin,
            format!("label {l} at index {i} is not below the {num_classes} classes"),
        ));
    }
    Ok(labels)
}

fn read_checked(path: &Path, md5: Option<&str>) -> Result<crate::idx::IdxArray> {
    let Some(expected) = md5 else {
        return read_idx(path);
    };
    let (arr, actual) = read_idx_md5(path)?;
    if !actual.eq_ignore_ascii_case(expected) {
        return Err(Error::Checksum {
            origin: format!("{} (uncompressed content)", path.display()),
            expected: expected.to_string(),
            actual,
        });
    }
    Ok(arr)
}

/// A data set known by type: `Mnist::load(Split::Train, &source)`.
pub trait Dataset {
    const KIND: DatasetKind;

    fn load(split: Split, source: &DataSource) -> Result<SplitData> {
        load(Self::KIND, split, source)
    }
    fn train(source: &DataSource) -> Result<SplitData> {
        load(Self::KIND, Split::Train, source)
    }
    fn test(source: &DataSource) -> Result<SplitData> {
        load(Self::KIND, Split::Test, source)
    }
}

/// MNIST handwritten digits (LeCun, Cortes, Burges), shipped in `data/mnist`.
pub struct Mnist;
/// Fashion-MNIST (Zalando Research), downloaded on first use.
pub struct FashionMnist;
/// Kuzushiji-MNIST (CODH), downloaded on first use.
pub struct Kmnist;

impl Dataset for Mnist {
    const KIND: DatasetKind = DatasetKind::Mnist;
}
impl Dataset for FashionMnist {
    const KIND: DatasetKind = DatasetKind::FashionMnist;
}
impl Dataset for Kmnist {
    const KIND: DatasetKind = DatasetKind::Kmnist;
}
