"""Small files that decode to huge pixel buffers, written byte by byte so that making them
costs the test almost nothing (Pillow would need the whole buffer to encode them)."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from PIL import Image


def webp_lossless(width: int, height: int) -> bytes:
    """A lossless WebP of one colour: every prefix code has a single symbol, so each pixel
    costs no bits and 13 300 x 13 300 pixels fit in 40 bytes (WebP lossless bitstream spec)."""
    bits = _Bits()
    bits.put(0x2F, 8)  # VP8L signature
    bits.put(width - 1, 14)
    bits.put(height - 1, 14)
    bits.put(1, 1)  # alpha is used
    bits.put(0, 3)  # version
    bits.put(0, 1)  # no transform
    bits.put(0, 1)  # no colour cache
    bits.put(0, 1)  # no meta prefix codes
    for symbol in (0x40, 0x80, 0xC0, 0xFF, 0):  # green, red, blue, alpha, distance
        bits.put(1, 1)  # simple code
        bits.put(0, 1)  # one symbol
        bits.put(1, 1)  # of 8 bits
        bits.put(symbol, 8)
    payload = bits.bytes() + b"\0" * 4
    if len(payload) % 2:
        payload += b"\0"
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def png16(width: int, height: int) -> bytes:
    """A 16-bit RGB PNG of one colour. Each row is deflated with a full flush, which makes its
    compressed bytes independent of the rows before: one row is compressed and repeated."""
    row = b"\x00" + b"\x12\x34\x56\x78\x9a\xbc" * width
    head = zlib.compressobj(9)
    first = head.compress(row) + head.flush(zlib.Z_FULL_FLUSH)
    body = zlib.compressobj(9, zlib.DEFLATED, -15)
    repeated = body.compress(row) + body.flush(zlib.Z_FULL_FLUSH)
    adler = 1
    for _ in range(height):
        adler = zlib.adler32(row, adler)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    idat = first + repeated * (height - 1) + end + struct.pack(">I", adler)
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
            + _png_chunk(b"IEND", b""))


def jpeg_grey(width: int, height: int, *, progressive: bool = False,
              exif: bytes = b"") -> bytes:
    """A mid-grey JPEG: with one-symbol Huffman tables every 8x8 block costs 2 bits (baseline),
    and a progressive file codes all its AC coefficients as a few end-of-band runs."""
    out = b"\xff\xd8" + exif
    out += _segment(0xDB, b"\x00" + bytes([1] * 64))  # quantisation table 0
    sof = 0xC2 if progressive else 0xC0
    out += _segment(sof, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    out += _dht(0x00, {1: [0]})  # DC: category 0 only, code "0"
    if not progressive:
        out += _dht(0x10, {1: [0x00]})  # AC: end of block only, code "0"
        out += _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        out += b"\x00" * ((blocks * 2 + 7) // 8)
        return out + b"\xff\xd9"
    out += _segment(0xDA, b"\x01\x01\x00\x00\x00\x00")  # DC first scan: 1 bit a block
    out += b"\x00" * ((blocks + 7) // 8)
    out += _dht(0x10, {4: [r << 4 for r in range(15)]})  # AC: end-of-band runs EOB0..EOB14
    out += _segment(0xDA, b"\x01\x01\x00\x01\x3f\x00")
    bits = _Bits(msb=True)
    left = blocks
    while left:
        run = min(left, 32767)
        category = run.bit_length() - 1
        bits.put(category, 4)
        bits.put(run - (1 << category), category)
        left -= run
    return out + bits.stuffed() + b"\xff\xd9"


def gif(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("P", (width, height), 3).save(buf, "GIF")
    return buf.getvalue()


def tiff_deflate(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 30)).save(
        buf, "TIFF", compression="tiff_adobe_deflate")
    return buf.getvalue()


def peak_growth_mb(setup: str, action: str,
                   env: dict[str, str] | None = None) -> tuple[float, str]:
    """How far above its resident memory after ``setup`` a fresh Python's peak resident
    memory (VmHWM) rose while it ran ``action``, in MB; and what ``action`` printed.
    The peak is reset after ``setup`` (``/proc/self/clear_refs``), so imports do not count."""
    code = f"""{setup}
import re
def _kb(field):
    return int(re.search(field + r":\\s+(\\d+)", open("/proc/self/status").read()).group(1))
open("/proc/self/clear_refs", "w").write("5")
_before = _kb("VmRSS")
{action}
print((_kb("VmHWM") - _before) / 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], env=env or dict(os.environ),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    return float(lines[-1]), "\n".join(lines[:-1])


def write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


class _Bits:
    def __init__(self, msb: bool = False) -> None:
        self.msb = msb
        self.value = 0
        self.count = 0
        self.out = bytearray()

    def put(self, value: int, width: int) -> None:
        if self.msb:
            for i in range(width - 1, -1, -1):
                self._bit((value >> i) & 1)
        else:
            for i in range(width):
                self._bit((value >> i) & 1)

    def _bit(self, bit: int) -> None:
        if self.msb:
            self.value = (self.value << 1) | bit
        else:
            self.value |= bit << self.count
        self.count += 1
        if self.count == 8:
            self.out.append(self.value)
            self.value = self.count = 0

    def bytes(self) -> bytes:
        tail = bytes([self.value]) if self.count else b""
        return bytes(self.out) + tail

    def stuffed(self) -> bytes:
        """MSB-first JPEG entropy data: padded with 1 bits, every 0xFF followed by 0x00."""
        while self.count:
            self._bit(1)
        return bytes(self.out).replace(b"\xff", b"\xff\x00")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _segment(marker: int, data: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(data) + 2) + data


def _dht(table: int, codes: dict[int, list[int]]) -> bytes:
    counts = bytes(len(codes.get(length, [])) for length in range(1, 17))
    symbols = bytes(s for length in range(1, 17) for s in codes.get(length, []))
    return _segment(0xC4, bytes([table]) + counts + symbols)
