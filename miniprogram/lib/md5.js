// MD5 (RFC 1321) of bytes in memory, for the `Upload-Checksum` of each chunk (lib/chunked.js).
// The device only hashes whole files (FileSystemManager.getFileInfo) and has no WebCrypto, so a
// chunk's digest is computed here: a 2 MiB chunk in a few tens of milliseconds on a phone,
// small beside sending it. MD5 only checks the transfer: the server keys files by SHA-256.

// Per-round shift amounts, and the constants floor(|sin(i + 1)| * 2^32).
const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]
const K = new Int32Array(64).map((_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) | 0)

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/** The 16-byte MD5 digest of `buffer`. @param {ArrayBuffer} buffer @returns {Uint8Array} */
function md5 (buffer) {
  const bytes = new Uint8Array(buffer)
  const n = bytes.length
  const total = (((n + 8) >>> 6) + 1) * 16 // 32-bit little-endian words, whole 64-byte blocks
  const x = new Int32Array(total)
  // Whole words at once where the device is little-endian (phones are), the rest byte by byte.
  const aligned = LITTLE_ENDIAN ? n & ~3 : 0
  if (aligned) x.set(new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + aligned)))
  for (let i = aligned; i < n; i++) x[i >> 2] |= bytes[i] << ((i & 3) * 8)
  x[n >> 2] |= 0x80 << ((n & 3) * 8)
  x[total - 2] = (n * 8) | 0 // the length in bits, low word then high word
  x[total - 1] = Math.floor(n / 0x20000000)
  let a = 0x67452301
  let b = 0xefcdab89 | 0
  let c = 0x98badcfe | 0
  let d = 0x10325476
  for (let block = 0; block < total; block += 16) {
    const [a0, b0, c0, d0] = [a, b, c, d]
    for (let j = 0; j < 64; j++) {
      let f
      let g
      if (j < 16) { f = (b & c) | (~b & d); g = j } else if (j < 32) { f = (d & b) | (~d & c); g = (5 * j + 1) & 15 } else if (j < 48) { f = b ^ c ^ d; g = (3 * j + 5) & 15 } else { f = c ^ (b | ~d); g = (7 * j) & 15 }
      const sum = (a + f + K[j] + x[block + g]) | 0
      const s = SHIFTS[(j >> 4) * 4 + (j & 3)]
      a = d
      d = c
      c = b
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0
    }
    a = (a + a0) | 0
    b = (b + b0) | 0
    c = (c + c0) | 0
    d = (d + d0) | 0
  }
  const out = new Uint8Array(16)
  ;[a, b, c, d].forEach((word, k) => {
    for (let i = 0; i < 4; i++) out[k * 4 + i] = (word >>> (8 * i)) & 0xff
  })
  return out
}

module.exports = { md5 }
