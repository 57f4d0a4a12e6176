#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""Writes an Android DT table image (AOSP mkdtboimg's layout, version 0)
holding the given blobs, one entry each: a fuzz seed for the container
reader.

    table_image.py OUT.img A.dtb [B.dtb ...]
"""
import struct
import sys


def main(out, blobs):
    header_size, entry_size = 32, 32
    offset = header_size + entry_size * len(blobs)
    entries, payload = b"", b""
    for index, blob in enumerate(blobs):
        entries += struct.pack(">8I", len(blob), offset, index + 1, 0, 0, 0, 0, 0)
        payload += blob
        offset += len(blob)
    total = header_size + len(entries) + len(payload)
    header = struct.pack(
        ">8I", 0xD7B7AB1E, total, header_size, entry_size, len(blobs), header_size, 2048, 0)
    with open(out, "wb") as image:
        image.write(header + entries + payload)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], [open(path, "rb").read() for path in sys.argv[2:]])
