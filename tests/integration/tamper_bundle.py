#!/usr/bin/python3
"""Rewrites a bundle with one thing wrong, for the verification tests.

usage: tamper_bundle.py IN.acu OUT.acu ACTION
ACTION: flip-model-byte | extra-entry | missing-entry | edit-manifest | dotdot | absolute |
        symlink | hardlink | device | duplicate
The output is zstd-compressed like acuctl's default (the zstd command does it).
"""
import io
import subprocess
import sys
import tarfile

src, dst, action = sys.argv[1:4]
raw = subprocess.run(["zstd", "-dc", src], check=True, capture_output=True).stdout
entries = []
with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
    for m in tar.getmembers():
        entries.append((m, tar.extractfile(m).read() if m.isfile() else b""))


def info(name, size=0, kind=tarfile.REGTYPE, link=""):
    t = tarfile.TarInfo(name)
    t.size, t.type, t.linkname, t.mode = size, kind, link, 0o644
    return t


model_files = [i for i, (m, _) in enumerate(entries) if m.name.startswith("model/")]
if action == "flip-model-byte":
    i = next(i for i in model_files if entries[i][0].size > 0)
    data = bytearray(entries[i][1])
    data[len(data) // 2] ^= 0x01
    entries[i] = (entries[i][0], bytes(data))
elif action == "extra-entry":
    entries.append((info("model/extra.bin", 3), b"abc"))
elif action == "missing-entry":
    del entries[model_files[0]]
elif action == "edit-manifest":
    m, data = entries[0]
    data = data.replace(b'"version": "', b'"version": "9', 1)
    m.size = len(data)
    entries[0] = (m, data)
elif action == "dotdot":
    entries.append((info("../acuctl-escape-x", 1), b"x"))
elif action == "absolute":
    entries.append((info("/tmp/acuctl-absolute-x", 1), b"x"))
elif action == "symlink":
    entries.append((info("model/link", 0, tarfile.SYMTYPE, "/etc/passwd"), b""))
elif action == "hardlink":
    entries.append((info("model/hard", 0, tarfile.LNKTYPE, entries[model_files[0]][0].name), b""))
elif action == "device":
    entries.append((info("model/dev", 0, tarfile.CHRTYPE), b""))
elif action == "duplicate":
    entries.append(entries[model_files[0]])
else:
    sys.exit(f"unknown action {action}")

out = io.BytesIO()
with tarfile.open(fileobj=out, mode="w:", format=tarfile.PAX_FORMAT) as tar:
    for m, data in entries:
        tar.addfile(m, io.BytesIO(data) if m.isfile() else None)
with open(dst, "wb") as f:
    f.write(subprocess.run(["zstd", "-q", "-c"], input=out.getvalue(), check=True, capture_output=True).stdout)
