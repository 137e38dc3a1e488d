"""Write the image-folder transform fixtures: a few small images (colour and
grey, several sizes and aspect ratios, PNG and two JPEG) and torchvision's
output for each, so that `datasets/tests/folder_transform.rs` can check our
decode -> channels -> Resize -> CenterCrop against torchvision without PyTorch.

torchvision's side, as `ImageFolder` loads an image and the DCGAN tutorial
transforms it, with the resize on the tensor (antialias=True):
  img = PIL.Image.open(path).convert("RGB")      # ImageFolder's pil_loader
  img = img.convert("L")                          # only for 1 channel
  x = ToTensor()(img)                             # uint8 -> [0, 1]
  x = Resize(size, antialias=True)(x)             # on the tensor
  x = CenterCrop(size)(x)
(Normalize(0.5, 0.5) is the same affine map on both sides and is left out.)

Output, in datasets/tests/fixtures/folder_transform/:
  images/<name>.png|.jpg        the inputs (ImageFolder layout: images/ is one class)
  expected.txt                  one line per case: file channels size offset count
  expected.u16                  the values x * 255 * 100, rounded, little-endian u16

Also prints, per case, how far PIL's own Resize (on the PIL image, rounded to
uint8) is from the tensor path, for information.

Usage: /tmp/torch/bin/python tools/make_folder_transform_fixtures.py
"""
import os

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms as T

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "datasets", "tests", "fixtures", "folder_transform")


def pattern(h, w, c, seed):
    """Smooth gradients, stripes a few pixels wide (aliasing shows there) and noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    planes = []
    for k in range(c):
        v = 128 + 60 * np.sin(x / (3.0 + k) + y / (5.0 + 2 * k))
        v += 50 * np.cos((x * (k + 1) - y) / 1.7)
        v += rng.normal(0, 12, size=(h, w))
        planes.append(v)
    a = np.clip(np.stack(planes, axis=-1), 0, 255).round().astype(np.uint8)
    return a[..., 0] if c == 1 else a


def main():
    img_dir = os.path.join(OUT, "images")
    os.makedirs(img_dir, exist_ok=True)
    inputs = [
        ("rgb_100x75.png", Image.fromarray(pattern(75, 100, 3, 1), "RGB")),
        ("rgb_tall_37x300.png", Image.fromarray(pattern(300, 37, 3, 2), "RGB")),
        ("grey_200x160.png", Image.fromarray(pattern(160, 200, 1, 3), "L")),
        ("rgba_50x50.png", Image.fromarray(pattern(50, 50, 4, 4), "RGBA")),
        ("grey_64x64.png", Image.fromarray(pattern(64, 64, 1, 5), "L")),
        ("palette_90x121.png", Image.fromarray(pattern(121, 90, 3, 6), "RGB").quantize(64)),
        ("rgb_wide_333x41.png", Image.fromarray(pattern(41, 333, 3, 7), "RGB")),
        # JPEG with chroma at half resolution (4:2:0, PIL's default) and at full (4:4:4).
        ("rgb_120x90.jpg", Image.fromarray(pattern(90, 120, 3, 8), "RGB")),
        ("rgb_444_96x80.jpg", Image.fromarray(pattern(80, 96, 3, 9), "RGB")),
    ]
    for name, im in inputs:
        path = os.path.join(img_dir, name)
        if name.endswith(".jpg"):
            im.save(path, quality=90, subsampling=0 if "444" in name else 2)
        else:
            im.save(path, optimize=True)

    lines, values, offset = [], [], 0
    for name, _ in inputs:
        for channels, size in ((3, 64), (1, 64), (3, 28), (1, 28)):
            im = Image.open(os.path.join(img_dir, name)).convert("RGB")
            if channels == 1:
                im = im.convert("L")
            x = T.ToTensor()(im)
            y = T.CenterCrop(size)(T.Resize(size, antialias=True)(x))
            assert y.shape == (channels, size, size), y.shape
            # PIL's resize on the image itself, for comparison only.
            p = T.ToTensor()(T.CenterCrop(size)(T.Resize(size)(im)))
            pil_diff = float((p - y).abs().max()) * 255
            v = np.round(y.numpy().astype(np.float64) * 255 * 100).astype("<u2").ravel()
            lines.append(f"{name} {channels} {size} {offset} {v.size}")
            values.append(v)
            offset += v.size
            print(f"{name:24s} c={channels} s={size}: PIL resize differs by up to {pil_diff:.2f}/255")
    with open(os.path.join(OUT, "expected.txt"), "w") as f:
        f.write("# file channels size offset count (values: x * 255 * 100 as u16 LE in expected.u16)\n")
        f.write(f"# torch {torch.__version__}, torchvision {torchvision.__version__}\n")
        f.write("\n".join(lines) + "\n")
    np.concatenate(values).tofile(os.path.join(OUT, "expected.u16"))
    print("wrote", len(lines), "cases,", offset, "values to", OUT)


if __name__ == "__main__":
    main()
