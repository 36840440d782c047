"""Reference outputs of ADM's center_crop_arr (guided-diffusion image_datasets.py, copied into DiT's train.py and
L2C's DiT/train_router.py), run with real Pillow, for AdmCenterCropTest.

Run with a python3 that has Pillow (Debian: apt-get install python3-pil; /usr/bin/python3 make_center_crop_vectors.py
> adm_center_crop.json). numpy is not needed: the crop is done with Image.crop, which is what slicing np.array does.
"""
import json
import sys

import PIL
from PIL import Image


def pattern(w, h):
    """A deterministic RGB test image with smooth ramps and sharp edges; the Java test builds the same one."""
    img = Image.new("RGB", (w, h))
    img.putdata([
        tuple((x * 37 + y * 91 + c * 53 + (x * y * 7) % 31) % 256 for c in range(3))
        for y in range(h) for x in range(w)
    ])
    return img


def center_crop_arr(pil_image, image_size):
    while min(*pil_image.size) >= 2 * image_size:
        pil_image = pil_image.resize(tuple(x // 2 for x in pil_image.size), resample=Image.BOX)
    scale = image_size / min(*pil_image.size)
    pil_image = pil_image.resize(tuple(round(x * scale) for x in pil_image.size), resample=Image.BICUBIC)
    crop_y = (pil_image.size[1] - image_size) // 2
    crop_x = (pil_image.size[0] - image_size) // 2
    return pil_image.crop((crop_x, crop_y, crop_x + image_size, crop_y + image_size))


def flat(img):
    return [v for px in img.getdata() for v in px]


cases = []
for w, h, size in [(13, 11, 8), (6, 5, 8), (23, 17, 8), (40, 70, 8), (16, 20, 16), (500, 375, 256)]:
    out = flat(center_crop_arr(pattern(w, h), size))
    case = {"width": w, "height": h, "size": size,
            "sum": sum(out), "weighted": sum((i % 251 + 1) * v for i, v in enumerate(out))}
    if size <= 16:
        case["hwc"] = out
    cases.append(case)
json.dump({"pillow": PIL.__version__, "cases": cases}, sys.stdout, separators=(",", ":"))
print()
