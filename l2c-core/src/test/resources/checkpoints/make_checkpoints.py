#!/usr/bin/env python3
"""Writes the small torch.save-format fixtures in this directory with the Python standard library only.

PyTorch is not needed: a fake `torch` module provides the globals that torch.save emits (torch._utils._rebuild_tensor_v2,
torch._utils._rebuild_parameter, torch.FloatStorage, ...), storages are persistent ids
('storage', <StorageType>, key, 'cpu', numel), and the zip mirrors torch's writer: one prefix directory, data.pkl,
byteorder, version, data/<key> records stored uncompressed, each record's data aligned to 64 bytes.

Run from this directory: python3 make_checkpoints.py   (the outputs are committed; rerunning gives the same bytes)
"""
import argparse
import collections
import io
import os
import pickle
import struct
import sys
import types
import zipfile

torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
torch._utils = torch_utils
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils


def _fake(module, name, obj):
    obj.__module__ = module.__name__
    obj.__qualname__ = name
    obj.__name__ = name
    setattr(module, name, obj)
    return obj


def _rebuild_tensor_v2(*args):
    raise AssertionError("never called")


def _rebuild_parameter(*args):
    raise AssertionError("never called")


_fake(torch_utils, "_rebuild_tensor_v2", _rebuild_tensor_v2)
_fake(torch_utils, "_rebuild_parameter", _rebuild_parameter)
STORAGE_TYPES = {}
for _name, _fmt in [("FloatStorage", "f"), ("DoubleStorage", "d"), ("HalfStorage", "e"), ("LongStorage", "q"),
                    ("IntStorage", "i"), ("BFloat16Storage", None), ("ByteStorage", "B")]:
    STORAGE_TYPES[_name] = _fake(torch, _name, type(_name, (), {}))
    STORAGE_TYPES[_name].fmt = _fmt


class Storage:
    def __init__(self, kind, values=None, raw=None, numel=None):
        self.kind = STORAGE_TYPES[kind]
        self.raw = raw if raw is not None else struct.pack("<%d%s" % (len(values), self.kind.fmt), *values)
        self.numel = numel if numel is not None else (len(values) if values is not None else len(raw) // 2)
        self.key = None


class Tensor:
    def __init__(self, storage, offset, size, stride, parameter=False):
        self.storage, self.offset, self.size, self.stride, self.parameter = storage, offset, size, stride, parameter

    def __reduce_ex__(self, protocol):
        plain = _PlainTensor(self)
        if self.parameter:
            return (_rebuild_parameter, (plain, True, collections.OrderedDict()))
        return plain.__reduce_ex__(protocol)


class _PlainTensor:
    def __init__(self, t):
        self.t = t

    def __reduce_ex__(self, protocol):
        t = self.t
        return (_rebuild_tensor_v2, (t.storage, t.offset, tuple(t.size), tuple(t.stride), False,
                                     collections.OrderedDict()))


def contiguous(kind, values, size):
    stride, acc = [], 1
    for d in reversed(size):
        stride.insert(0, acc)
        acc *= d
    return Tensor(Storage(kind, values), 0, size, stride)


class _Pickler(pickle.Pickler):
    def __init__(self, f, storages, protocol):
        super().__init__(f, protocol=protocol)
        self.storages = storages

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            if obj.key is None:
                obj.key = str(len(self.storages))
                self.storages.append(obj)
            return ("storage", obj.kind, obj.key, "cpu", obj.numel)
        return None


def pickle_bytes(obj, storages, protocol=2):
    buf = io.BytesIO()
    _Pickler(buf, storages, protocol).dump(obj)
    return buf.getvalue()


FIXED_DATE = (2026, 1, 1, 0, 0, 0)


def write_zip(path, prefix, records, zip64=False):
    """records: list of (name, bytes). Data records are aligned to 64 bytes like torch's writer."""
    with open(path, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as z:
        for name, data in records:
            full = prefix + name
            info = zipfile.ZipInfo(full, FIXED_DATE)
            info.compress_type = zipfile.ZIP_STORED
            offset = raw.tell()
            zip64_extra = 20 if zip64 else 0
            base = offset + 30 + len(full.encode()) + 4 + zip64_extra
            pad = (-base) % 64
            info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
            with z.open(info, "w", force_zip64=zip64) as f:
                f.write(data)
            assert (offset + 30 + len(full.encode()) + len(info.extra) + zip64_extra) % 64 == 0


def rewrite_central_directory_as_zip64(path):
    """Rewrites the central directory the way a > 4 GiB archive has it: every size and offset is 0xFFFFFFFF with the
    real values in a zip64 extra field, followed by a zip64 end record and locator. Local headers stay as written."""
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        cd_offset = z.start_dir
    with open(path, "rb") as f:
        body = f.read()[:cd_offset]
    cd = b""
    for i in infos:
        name = i.filename.encode()
        extra = struct.pack("<HHQQQ", 1, 24, i.file_size, i.compress_size, i.header_offset)
        dostime = i.date_time[3] << 11 | i.date_time[4] << 5 | i.date_time[5] // 2
        dosdate = (i.date_time[0] - 1980) << 9 | i.date_time[1] << 5 | i.date_time[2]
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, i.flag_bits, i.compress_type, dostime, dosdate,
                          i.CRC, 0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra), 0, 0, 0, 0, 0xFFFFFFFF)
        cd += name + extra
    zip64_end = len(body) + len(cd)
    end = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(infos), len(infos), len(cd), len(body))
    locator = struct.pack("<IIQI", 0x07064B50, 0, zip64_end, 1)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(path, "wb") as f:
        f.write(body + cd + end + locator + eocd)
    with zipfile.ZipFile(path) as z:  # Python's reader agrees
        assert [i.filename for i in z.infolist()] == [i.filename for i in infos]
        assert z.testzip() is None


def torch_save(path, obj, prefix="archive/", zip64=False, protocol=2, extra_records=()):
    storages = []
    pkl = pickle_bytes(obj, storages, protocol)
    records = [("data.pkl", pkl), ("byteorder", b"little")]
    records += [("data/" + s.key, s.raw) for s in storages]
    records += [("version", b"3\n")]
    records += list(extra_records)
    write_zip(path, prefix, records, zip64=zip64)
    if zip64:
        rewrite_central_directory_as_zip64(path)


def arange(n, start=0.0):
    return [start + i for i in range(n)]


def training_layout():
    """{"model", "ema", "opt", "args"} as in the DiT/L2C train scripts, exercising every tensor-view case."""
    shared = Storage("FloatStorage", arange(12))  # one storage behind several tensors
    model = collections.OrderedDict()
    model["blocks.0.attn.qkv.weight"] = Tensor(shared, 0, [2, 3], [3, 1], parameter=True)
    model["blocks.0.attn.qkv.bias"] = Tensor(shared, 6, [3], [1])  # storage offset
    model["blocks.0.mlp.fc1.weight"] = Tensor(shared, 0, [3, 2], [1, 3])  # a transposed (strided) view
    model["blocks.0.mlp.fc1.bias"] = Tensor(shared, 9, [2], [2])  # strided 1-D: elements 9, 11
    model["pos_embed"] = contiguous("DoubleStorage", [0.5, -1.25], [1, 2])
    model["half"] = contiguous("HalfStorage", [1.0, -2.5, 0.099975586], [3])
    model["bf16"] = Tensor(Storage("BFloat16Storage", raw=struct.pack("<3H", 0x3F80, 0xC020, 0x4049)), 0, [3], [1])
    model["labels"] = contiguous("LongStorage", [7, -8, 1 << 40], [3])
    model["scalar"] = contiguous("FloatStorage", [3.5], [])
    ema = collections.OrderedDict()
    ema["blocks.0.attn.qkv.weight"] = contiguous("FloatStorage", [x * 10 for x in arange(6)], [2, 3])
    ema["pos_embed"] = model["pos_embed"]  # the same tensor object twice: shared, pickled once via the memo
    opt = {
        "state": {0: {"step": 11340, "exp_avg": contiguous("FloatStorage", [0.25, 0.5], [2]),
                      "exp_avg_sq": contiguous("FloatStorage", [1e-8, 2e-8], [2])}},
        "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0,
                          "amsgrad": False, "params": [0]}],
    }
    args = argparse.Namespace(model="DiT-S/2", image_size=32, lr=1e-4, epochs=3, wandb=False, ckpt=None,
                              data_path="/data/fmnist", betas=(0.9, 0.999))
    return {"model": model, "ema": ema, "opt": opt, "args": args}


class Evil:
    """Pickles as a call to `target(*args)`, the classic pickle exploit."""

    def __init__(self, target, args):
        self.target, self.args = target, args

    def __reduce__(self):
        return (self.target, self.args)


def main():
    out = os.path.dirname(os.path.abspath(__file__))
    p = lambda name: os.path.join(out, name)
    torch_save(p("training_layout.pt"), training_layout(), prefix="archive/")
    # The same layout as a zip64 archive (local headers, central directory, end records) and pickle protocol 4 (FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL).
    torch_save(p("training_layout_zip64_proto4.pt"), training_layout(), prefix="0020000/", zip64=True, protocol=4)
    # Router layout: {"routers": {"k.prob"}, "opt", "args"}.
    routers = collections.OrderedDict(
        ("%d.prob" % k, contiguous("FloatStorage", [k - 2.0, 0.0, 5.0, -5.0], [4])) for k in range(4))
    torch_save(p("router_layout.pt"), {"routers": routers, "opt": {"state": {}, "param_groups": []},
                                       "args": argparse.Namespace(num_sampling_steps=4, l1=5e-6, lr=0.001)},
               prefix="0000100/")

    # --- bad inputs ---
    import os as _os  # the real callables: pickle records them by module and name
    torch_save(p("bad_global_os_system.pt"), {"w": Evil(_os.system, ("echo pwned > /tmp/l2c-pwned",))})
    torch_save(p("bad_global_builtins_eval.pt"), {"w": Evil(eval, ("__import__('os').system('true')",))})
    torch_save(p("bad_stack_global_proto4.pt"), {"w": Evil(_os.system, ("true",))}, protocol=4)
    # torch.FloatStorage is allow-listed as a storage type, but calling it is not.
    torch_save(p("bad_reduce_storage_type.pt"), {"w": Evil(torch.FloatStorage, ())})
    # A zip with tensors but no data.pkl.
    write_zip(p("bad_no_data_pkl.pt"), "archive/", [("byteorder", b"little"), ("data/0", b"\0" * 16)])
    # data.pkl declares 10 floats, the record holds 4.
    s = Storage("FloatStorage", arange(4), numel=10)
    torch_save(p("bad_storage_size.pt"), {"w": Tensor(s, 0, [10], [1])})
    # A view past the end of its storage (offset 3 + 4 elements > 4).
    torch_save(p("bad_view_out_of_range.pt"), {"w": Tensor(Storage("FloatStorage", arange(4)), 3, [4], [1])})
    # A storage record missing from the zip.
    storages = []
    pkl = pickle_bytes({"w": contiguous("FloatStorage", arange(4), [4])}, storages)
    write_zip(p("bad_missing_storage.pt"), "archive/", [("data.pkl", pkl), ("byteorder", b"little")])
    # Legacy (pre-1.6) torch.save: a bare pickle stream starting with the magic number.
    with open(p("bad_legacy.pt"), "wb") as f:
        f.write(pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(1001, protocol=2))


if __name__ == "__main__":
    main()
