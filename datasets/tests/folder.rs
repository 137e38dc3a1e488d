//! Image folders: ImageFolder's order and classes, channels chosen from the
//! files, the u8 cache and per-epoch decoding giving the same batches, and
//! bad input as clear errors naming the file.

mod common;

use common::temp_dir;
use datasets::folder::{FolderConfig, ImageFolder, Storage};
use datasets::{DataLoader, LoaderConfig};
use image::{GrayImage, RgbImage, Rgba, RgbaImage};
use std::path::Path;

fn rgb(w: u32, h: u32, seed: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let v = x.wrapping_mul(31) ^ y.wrapping_mul(17) ^ seed.wrapping_mul(97);
        image::Rgb([v as u8, (v >> 3) as u8, (x * 5 + y) as u8])
    })
}

fn grey(w: u32, h: u32, seed: u32) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| image::Luma([(x * 7 + y * 3 + seed) as u8]))
}

fn cfg(size: usize) -> FolderConfig {
    FolderConfig {
        size,
        ..FolderConfig::default()
    }
}

fn write(dir: &Path, rel: &str, img: impl FnOnce(&Path)) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    img(&p);
}

/// A folder of two classes (one nested), PNG, JPEG, BMP, GIF and WebP, a
/// text file, and one image in the root.
fn mixed_folder(name: &str) -> std::path::PathBuf {
    let d = temp_dir(name);
    write(&d, "dogs/b.png", |p| rgb(40, 30, 1).save(p).unwrap());
    write(&d, "dogs/a.JPG", |p| {
        rgb(70, 90, 2)
            .save_with_format(p, image::ImageFormat::Jpeg)
            .unwrap()
    });
    write(&d, "dogs/sub/c.bmp", |p| grey(20, 20, 3).save(p).unwrap());
    write(&d, "cats/z.gif", |p| rgb(16, 16, 4).save(p).unwrap());
    write(&d, "cats/y.webp", |p| rgb(33, 12, 5).save(p).unwrap());
    write(&d, "cats/notes.txt", |p| {
        std::fs::write(p, "not an image").unwrap()
    });
    write(&d, "root.png", |p| grey(9, 30, 6).save(p).unwrap());
    d
}

#[test]
fn order_classes_channels_and_skipped_files_as_image_folder() {
    let d = mixed_folder("order");
    let f = ImageFolder::open(&d, &cfg(16)).unwrap();
    let l = &f.files.listing;
    let names: Vec<String> = (0..f.len())
        .map(|i| l.path(i).strip_prefix(&d).unwrap().display().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "root.png",
            "cats/y.webp",
            "cats/z.gif",
            "dogs/a.JPG",
            "dogs/b.png",
            "dogs/sub/c.bmp"
        ]
    );
    assert_eq!(l.classes, [".", "cats", "dogs"]);
    assert_eq!(l.targets, [0, 1, 1, 2, 2, 2]);
    assert_eq!(l.skipped, 1);
    // Colour files make the default 3 channels. "Colour" is the file's colour
    // type: the grey BMP is written with a palette, which decodes as RGB.
    assert_eq!((f.channels(), f.colour_files), (3, 5));
    assert!(f.is_cached());
    let Storage::Cached(set) = &f.storage else {
        unreachable!()
    };
    assert_eq!(
        (set.len(), set.channels(), set.height(), set.width()),
        (6, 3, 16, 16)
    );
    // A grey image is replicated into three equal planes.
    let img = set.image(5).unwrap();
    assert_eq!(img[..256], img[256..512]);
    assert_eq!(img[..256], img[512..]);
    // Grey only: 1 channel by default; colour converted when asked.
    let g = temp_dir("order-grey");
    write(&g, "x/1.png", |p| grey(10, 10, 0).save(p).unwrap());
    assert_eq!(ImageFolder::open(&g, &cfg(8)).unwrap().channels(), 1);
    let one = FolderConfig {
        channels: Some(1),
        ..cfg(16)
    };
    assert_eq!(ImageFolder::open(&d, &one).unwrap().channels(), 1);
}

#[test]
fn alpha_is_dropped_and_colour_becomes_pil_luma() {
    let d = temp_dir("alpha");
    let img = RgbaImage::from_pixel(8, 8, Rgba([10, 200, 30, 7]));
    write(&d, "a.png", |p| img.save(p).unwrap());
    let get = |channels| {
        let c = FolderConfig {
            channels: Some(channels),
            ..cfg(8)
        };
        let f = ImageFolder::open(&d, &c).unwrap();
        let Storage::Cached(set) = &f.storage else {
            unreachable!()
        };
        set.image(0).unwrap().to_vec()
    };
    assert_eq!(get(3), [[10u8; 64], [200; 64], [30; 64]].concat());
    // PIL: Image.new("RGB", (1, 1), (10, 200, 30)).convert("L") is 124.
    assert_eq!(get(1), vec![124u8; 64]);
}

#[test]
fn cached_and_decoded_every_epoch_give_the_same_batches() {
    let d = mixed_folder("stream");
    let cached = ImageFolder::open(&d, &cfg(16)).unwrap();
    let streamed = ImageFolder::open(
        &d,
        &FolderConfig {
            cache_limit: 0,
            workers: 3,
            ..cfg(16)
        },
    )
    .unwrap();
    assert!(cached.is_cached() && !streamed.is_cached());
    assert_eq!(streamed.cache_bytes, 6 * 3 * 16 * 16);
    let lc = LoaderConfig {
        batch_size: 2,
        seed: 9,
        ..LoaderConfig::default()
    };
    let a = DataLoader::from_folder(&cached, lc.clone()).unwrap();
    let b = DataLoader::from_folder(&streamed, lc.clone()).unwrap();
    let c = DataLoader::from_folder(&streamed, LoaderConfig { prefetch: 0, ..lc }).unwrap();
    assert!(a.images().is_some() && b.images().is_none());
    assert_eq!(a.image_chw(), [3, 16, 16]);
    for epoch in 0..2 {
        let xs: Vec<_> = a.epoch(epoch).map(|x| x.unwrap()).collect();
        let ys: Vec<_> = b.epoch(epoch).map(|x| x.unwrap()).collect();
        let zs: Vec<_> = c.epoch(epoch).map(|x| x.unwrap()).collect();
        assert_eq!(xs.len(), 3);
        for ((x, y), z) in xs.iter().zip(&ys).zip(&zs) {
            assert_eq!(x.images.shape(), [2, 3, 16, 16]);
            assert_eq!((&x.indices, &x.labels), (&y.indices, &y.labels));
            assert_eq!(
                x.images.to_vec_f32().unwrap(),
                y.images.to_vec_f32().unwrap()
            );
            assert_eq!(
                x.images.to_vec_f32().unwrap(),
                z.images.to_vec_f32().unwrap()
            );
        }
    }
}

fn open_err(d: &Path, c: &FolderConfig) -> String {
    ImageFolder::open(d, c).unwrap_err().to_string()
}

#[test]
fn bad_folders_and_files_are_errors_naming_them() {
    let d = temp_dir("bad");
    // Missing, empty, only other files.
    assert!(open_err(&d.join("nope"), &cfg(8)).contains("no such folder"));
    let e = open_err(&d, &cfg(8));
    assert!(
        e.contains("no images") && e.contains("0 other files skipped"),
        "{e}"
    );
    std::fs::write(d.join("readme.md"), "x").unwrap();
    assert!(open_err(&d, &cfg(8)).contains("1 other files skipped"));
    // An image extension on something else: an error naming the file.
    std::fs::write(d.join("fake.png"), "not a png at all").unwrap();
    let e = open_err(&d, &cfg(8));
    assert!(
        e.contains("fake.png") && e.contains("not a PNG, JPEG"),
        "{e}"
    );
    std::fs::remove_file(d.join("fake.png")).unwrap();
    // A truncated PNG: the header reads, the pixels do not.
    let mut bytes = Vec::new();
    rgb(30, 30, 0)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    std::fs::write(d.join("cut.png"), &bytes[..bytes.len() / 2]).unwrap();
    let e = open_err(&d, &cfg(8));
    assert!(e.contains("cut.png") && e.contains("bad image"), "{e}");
    // The same file when decoded every epoch: the batch is the error.
    let streamed = ImageFolder::open(
        &d,
        &FolderConfig {
            cache_limit: 0,
            ..cfg(8)
        },
    )
    .unwrap();
    let l = DataLoader::from_folder(&streamed, LoaderConfig::default()).unwrap();
    let e = l.epoch(0).next().unwrap().unwrap_err().to_string();
    assert!(e.contains("cut.png"), "{e}");
    std::fs::remove_file(d.join("cut.png")).unwrap();
    // Too small.
    grey(7, 40, 0).save(d.join("thin.png")).unwrap();
    let e = open_err(&d, &cfg(8));
    assert!(
        e.contains("thin.png") && e.contains("7×40") && e.contains("at least 8"),
        "{e}"
    );
    std::fs::remove_file(d.join("thin.png")).unwrap();
    // A header claiming a huge image is refused before any allocation.
    let mut png = Vec::new();
    grey(8, 8, 0)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes()); // IHDR width
    std::fs::write(d.join("huge.png"), &png).unwrap();
    let e = open_err(&d, &cfg(8));
    assert!(e.contains("huge.png"), "{e}");
    std::fs::remove_file(d.join("huge.png")).unwrap();
    // Too many files for the limit; bad settings.
    for i in 0..3 {
        grey(8, 8, i).save(d.join(format!("{i}.png"))).unwrap();
    }
    let e = open_err(
        &d,
        &FolderConfig {
            max_files: 2,
            ..cfg(8)
        },
    );
    assert!(e.contains("more than 2 image files"), "{e}");
    assert!(open_err(
        &d,
        &FolderConfig {
            channels: Some(2),
            ..cfg(8)
        }
    )
    .contains("1 or 3"));
    assert!(open_err(&d, &cfg(4)).contains("image size"));
    assert!(ImageFolder::open(&d, &cfg(8)).is_ok());
}
