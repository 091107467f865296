"""Pictures re-encoded from their pixels alone: no EXIF (a phone photo's GPS), no comment, XMP, IPTC or colour
profile, nothing a segment or chunk of the original could carry (a home address, an HTML polyglot)."""
from __future__ import annotations

import io

from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from marketplace.files.errors import RejectedFile

PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
MAX_IMAGE_PIXELS = 40_000_000  # a bigger "photo" is a decompression bomb, not evidence
# The only thing of the original's `info` the new file keeps: which palette entry is see-through is part of
# the picture, not metadata.
KEPT_INFO = ("transparency",)
SRGB = ImageCms.createProfile("sRGB")


def clean_image(data: bytes, content_type: str) -> bytes:
    """Decode and re-encode an image: proves it is one, and writes only its pixels (upright, in sRGB)."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            # The header gives the size: refuse a huge picture before spending memory on decoding it.
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise RejectedFile(_("This picture is too large. Please send a smaller photo."))
            image.load()
            image = ImageOps.exif_transpose(image)  # keep the photo upright once EXIF is gone
            image = _in_srgb(image)
            if content_type == "image/jpeg" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.info = {key: image.info[key] for key in KEPT_INFO if key in image.info}
            out = io.BytesIO()
            options = {"quality": 88} if content_type == "image/jpeg" else {}
            # Pillow copies a JPEG's comment and a PNG's colour profile from `info` unless told otherwise.
            image.save(out, format=PIL_FORMATS[content_type], exif=b"", icc_profile=None, comment=b"", **options)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise RejectedFile(_("This file is damaged or is not really a picture.")) from exc


def _in_srgb(image: Image.Image) -> Image.Image:
    """The picture converted from its own colour profile to sRGB, so that dropping the profile changes no
    colour (a wide-gamut phone photo, a CMYK scan); as it is when it has no profile or one that cannot be used."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        return ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), SRGB,
                                         outputMode="RGBA" if image.mode == "RGBA" else "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
