#!/usr/bin/env python3
"""Transport aid for the GPU check: ONNX Runtime's CUDA provider (libonnxruntime_providers_cuda.so, 284 MB) carries GPU code
for every architecture from sm_75 to sm_120, too much for one device call (64 MiB). This zeroes the payload of every cubin
in the .nv_fatbin section whose architecture is not KEEP (90 = H100/H200), leaving every header, offset and size as it was,
so the file keeps its layout and compresses to ~50 MB. On a GPU of the kept architecture the driver picks the kept cubins;
the library is otherwise byte-for-byte the released one. Never ship the result: it is only for bench/gpu-device.sh.

usage: gpu_fatbin.py SRC DST [KEEP]"""
import collections
import struct
import sys

FATBIN_MAGIC = 0xBA55ED50


def section(data, wanted):
    """(offset, size) of an ELF64 section by name."""
    shoff, = struct.unpack_from('<Q', data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3A)
    names_off, = struct.unpack_from('<Q', data, shoff + shstrndx * shentsize + 0x18)
    for i in range(shnum):
        h = shoff + i * shentsize
        name, = struct.unpack_from('<I', data, h)
        end = data.index(b'\0', names_off + name)
        if data[names_off + name:end].decode() == wanted:
            off, size = struct.unpack_from('<QQ', data, h + 0x18)
            return off, size
    raise SystemExit(f'no section {wanted}')


def main():
    src, dst = sys.argv[1], sys.argv[2]
    keep = int(sys.argv[3]) if len(sys.argv) > 3 else 90
    data = bytearray(open(src, 'rb').read())
    off, size = section(data, '.nv_fatbin')
    kept, zeroed = collections.Counter(), collections.Counter()
    p, end = off, off + size
    while p < end:
        magic, _version, header, body = struct.unpack_from('<IHHQ', data, p)
        if magic != FATBIN_MAGIC:
            p += 8  # containers are 8-byte aligned
            continue
        q, stop = p + header, p + header + body
        while q < stop:
            _kind, _flags, entry_header, payload = struct.unpack_from('<HHIQ', data, q)
            arch, = struct.unpack_from('<I', data, q + 28)
            if arch == keep:
                kept[arch] += payload
            else:
                data[q + entry_header:q + entry_header + payload] = bytes(payload)
                zeroed[arch] += payload
            q += entry_header + payload
        p = stop
    open(dst, 'wb').write(data)
    print(f'kept sm_{keep}: {sum(kept.values()) / 1e6:.1f} MB; zeroed', ', '.join(f'sm_{a} {b / 1e6:.1f} MB' for a, b in sorted(zeroed.items())))


if __name__ == '__main__':
    main()
