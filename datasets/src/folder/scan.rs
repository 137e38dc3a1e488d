//! Listing an image folder: every file under it, recursively, whose
//! extension is an image's, in torchvision `ImageFolder`'s order.
//!
//! `ImageFolder` takes the sorted subfolders of the root as classes and walks
//! each with `sorted(os.walk(class_dir))` and `sorted(fnames)`: images sort by
//! (class, folder, file name), comparing names code point by code point
//! (UTF-8 bytes compare the same way). Files directly in the root, which
//! `ImageFolder` refuses, are kept here as the class "." (sorted first).
//!
//! The paths are kept as bytes in one arena with an end offset each (about
//! the path's length plus 12 bytes a file), so a folder of 10 million files
//! costs a few hundred MB to list, and `MAX_FILES` bounds it.

use crate::error::{Error, Result};
use std::cmp::Ordering;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The extensions read (compared without case); a file with any other is
/// skipped and counted.
pub const IMAGE_EXTENSIONS: [&str; 6] = ["png", "jpg", "jpeg", "bmp", "gif", "webp"];

/// Most image files a folder may hold (the listing's memory stays under ~1 GB).
pub const MAX_FILES: usize = 20_000_000;

/// Most bytes of relative paths in all.
const MAX_PATH_BYTES: usize = 1 << 31;

/// The image files of a folder, sorted.
#[derive(Debug)]
pub struct Listing {
    root: PathBuf,
    arena: Vec<u8>,
    /// (start, end) of each file's relative path in `arena`, in sorted order.
    spans: Vec<(usize, usize)>,
    /// Class names (top-level subfolders, "." for the root), sorted.
    pub classes: Vec<String>,
    /// Class of each file, an index into `classes`.
    pub targets: Vec<u32>,
    /// Files skipped because their extension is not an image's.
    pub skipped: usize,
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(OsStr::to_str)
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// Splits a relative path (bytes, '/'-separated) into (class, folder, file).
fn sort_key(p: &[u8]) -> (&[u8], &[u8], &[u8]) {
    match p.iter().rposition(|&b| b == b'/') {
        None => (b"", b"", p),
        Some(last) => {
            let first = p.iter().position(|&b| b == b'/').unwrap_or(last);
            (&p[..first], &p[..last], &p[last + 1..])
        }
    }
}

impl Listing {
    /// Lists `root` (following links; a link cycle is an error), with a
    /// spinner when `progress`.
    pub fn scan(root: &Path, max_files: usize, progress: bool) -> Result<Listing> {
        let origin = root.display().to_string();
        if !root.is_dir() {
            return Err(Error::NotFound(format!(
                "{origin}: no such folder (--data-dir of --dataset folder)"
            )));
        }
        let pb = crate::folder::parallel::spinner(progress, "listing");
        let (mut arena, mut spans, mut skipped) = (Vec::new(), Vec::new(), 0usize);
        for entry in walkdir::WalkDir::new(root).follow_links(true) {
            let entry = entry.map_err(|e| {
                let at = e.path().unwrap_or(root).display().to_string();
                Error::content(&at, format!("cannot list: {e}"))
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            if !is_image(entry.path()) {
                skipped += 1;
                continue;
            }
            if spans.len() >= max_files {
                return Err(Error::content(
                    &origin,
                    format!(
                        "more than {max_files} image files; use a folder with fewer (a subset) \
                         or split the data set"
                    ),
                ));
            }
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            let start = arena.len();
            for (k, part) in rel.iter().enumerate() {
                if k > 0 {
                    arena.push(b'/');
                }
                arena.extend_from_slice(part.as_encoded_bytes());
            }
            if arena.len() > MAX_PATH_BYTES {
                return Err(Error::content(
                    &origin,
                    "the file names add up to more than 2 GiB",
                ));
            }
            spans.push((start, arena.len()));
            if spans.len() % 4096 == 0 {
                pb.set_message(format!("{} images, {skipped} other files", spans.len()));
            }
        }
        pb.finish_and_clear();
        spans.sort_unstable_by(|a, b| sort_key(&arena[a.0..a.1]).cmp(&sort_key(&arena[b.0..b.1])));
        let mut classes: Vec<String> = Vec::new();
        let mut targets = Vec::with_capacity(spans.len());
        let mut last: Option<&[u8]> = None;
        for &(s, e) in &spans {
            let (class, _, _) = sort_key(&arena[s..e]);
            if last.is_none_or(|l| l.cmp(class) != Ordering::Equal) {
                let name = if class.is_empty() {
                    ".".to_string()
                } else {
                    String::from_utf8_lossy(class).into_owned()
                };
                classes.push(name);
                last = Some(class);
            }
            targets.push((classes.len() - 1) as u32);
        }
        Ok(Listing {
            root: root.to_path_buf(),
            arena,
            spans,
            classes,
            targets,
            skipped,
        })
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The full path of file `i` (in sorted order).
    pub fn path(&self, i: usize) -> PathBuf {
        let (s, e) = self.spans[i];
        // SAFETY: the bytes were produced by `OsStr::as_encoded_bytes` on this
        // platform, joined with ASCII '/' (a valid split point).
        let rel = unsafe { OsStr::from_encoded_bytes_unchecked(&self.arena[s..e]) };
        self.root.join(rel)
    }

    /// Heap bytes the listing holds.
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity() + self.spans.capacity() * 16 + self.targets.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_as_image_folder() {
        // ImageFolder: class "b" (with its subfolder) before class "b-c",
        // although "b-c" < "b/x" byte-wise; within a folder, files by name.
        let mut v: Vec<&[u8]> = vec![
            b"b-c/1.png",
            b"b/x/0.png",
            b"b/2.png",
            b"a.png",
            b"b/10.png",
        ];
        v.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        let want: Vec<&[u8]> = vec![
            b"a.png",
            b"b/10.png",
            b"b/2.png",
            b"b/x/0.png",
            b"b-c/1.png",
        ];
        assert_eq!(v, want);
        assert!(is_image(Path::new("x/Y.JPEG")) && !is_image(Path::new("x/y.txt")));
        assert!(!is_image(Path::new("png")));
    }
}
