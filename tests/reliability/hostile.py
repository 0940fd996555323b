"""Hostile inputs, built as bytes: files that lie about what they are, and malformed requests."""

from __future__ import annotations

import io
import struct
import zlib

from conftest import make_jpeg, make_png
from PIL import Image

BOUNDARY = "hostileboundary7MA4YWxk"


def multipart(*parts: tuple[bytes, bytes, bytes], boundary: str = BOUNDARY) -> bytes:
    """A multipart body from (field name, file name, content) triples, raw bytes throughout so
    a test can put anything in a header."""
    out = b""
    for field, filename, content in parts:
        out += (b"--" + boundary.encode() + b'\r\nContent-Disposition: form-data; name="' + field
                + b'"; filename="' + filename + b'"\r\nContent-Type: image/jpeg\r\n\r\n'
                + content + b"\r\n")
    return out + b"--" + boundary.encode() + b"--\r\n"


def one_file(content: bytes, filename: bytes = b"photo.jpg") -> bytes:
    return multipart((b"photo", filename, content))


def noisy_jpeg(size: tuple[int, int] = (160, 120)) -> bytes:
    """A JPEG with real entropy-coded data (noise), so cutting it cuts mid-scan."""
    buf = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def noisy_png(size: tuple[int, int] = (160, 120)) -> bytes:
    buf = io.BytesIO()
    Image.effect_noise(size, 60).save(buf, "PNG")
    return buf.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose IHDR (with a correct CRC) claims width x height pixels."""
    data = bytearray(make_png(7))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) claims width x height pixels."""
    data = bytearray(make_jpeg(7))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def gif_claiming(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("P", (4, 4)).save(buf, "GIF")
    data = bytearray(buf.getvalue())
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


def jpeg_with_junk_exif(total: int = 1024 * 1024) -> bytes:
    """A valid JPEG carrying ``total`` bytes of junk in APP1 "Exif" segments (a segment holds at
    most 64 KB, so several)."""
    jpeg = make_jpeg(11)
    segments = b""
    payload = 65533 - 6
    for i in range(total // payload + 1):
        junk = bytes((i * 7 + j) % 251 for j in range(256)) * (payload // 256 + 1)
        segments += b"\xff\xe1" + struct.pack(">H", payload + 8) + b"Exif\0\0" + junk[:payload]
    return jpeg[:2] + segments + jpeg[2:]


def png_with_junk_exif(total: int = 1024 * 1024) -> bytes:
    png = make_png(12)
    junk = b"MM\0*" + bytes(i % 253 for i in range(total))
    chunk = struct.pack(">I", len(junk)) + b"eXIf" + junk + struct.pack(
        ">I", zlib.crc32(b"eXIf" + junk))
    return png[:33] + chunk + png[33:]


SVG_SCRIPT = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" '
              b'height="10"><script>alert(document.cookie)</script></svg>')
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
       b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
PNG_SIGNATURE_ONLY = b"\x89PNG\r\n\x1a\n"
MOTION_PHOTO_TRAILER = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom" + bytes(range(256)) * 64
