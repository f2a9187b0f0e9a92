#!/usr/bin/env python3
"""check-png.py — is a screenshot a real page, not a blank one?

    tests/check-png.py FILE.png WIDTH HEIGHT

Decodes the PNG with the standard library only (zlib; 8-bit greyscale,
RGB, RGBA or palette images, not interlaced: what Chromium writes), then
checks its size, that it has many distinct colours, and that a fair part of
it is not the background colour. Prints one line:

    ok 1200x1600, 4211 colours, 18.3% not background
    not ok: blank: 1 colour

and exits 0 when the page looks rendered, 1 otherwise, 2 when the file is
not a PNG it can read.
"""
import struct
import sys
import zlib

MIN_COLOURS = 16          # a page of text has anti-aliasing: hundreds
MIN_INK = 0.02            # share of pixels that differ from the background


def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, palette = 8, [], None
    width = height = depth = ctype = interlace = None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = [tuple(body[i:i + 3]) for i in range(0, len(body), 3)]
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if width is None or depth != 8 or interlace != 0:
        raise ValueError("unsupported PNG (need 8-bit, not interlaced)")
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(ctype)
    if channels is None:
        raise ValueError(f"unsupported colour type {ctype}")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        off = y * (stride + 1)
        ftype, line = raw[off], bytearray(raw[off + 1:off + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    if ctype == 3 and palette:
        rows = [bytes(v for idx in row for v in palette[idx]) for row in rows]
        channels = 3
    return width, height, channels, rows


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    try:
        width, height, channels, rows = read_png(path)
    except (OSError, ValueError, zlib.error) as e:
        print(f"not ok: cannot read {path}: {e}")
        return 2
    if (width, height) != (want_w, want_h):
        print(f"not ok: size {width}x{height}, expected {want_w}x{want_h}")
        return 1
    counts = {}
    for row in rows:
        for i in range(0, len(row), channels):
            px = row[i:i + channels]
            counts[px] = counts.get(px, 0) + 1
    total = width * height
    background = max(counts.values())
    ink = 1 - background / total
    line = f"{width}x{height}, {len(counts)} colours, {ink * 100:.1f}% not background"
    if len(counts) < MIN_COLOURS or ink < MIN_INK:
        print(f"not ok: blank: {line}")
        return 1
    print(f"ok {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
