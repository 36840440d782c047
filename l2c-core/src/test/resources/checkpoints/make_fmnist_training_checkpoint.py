#!/usr/bin/env python3
"""Writes fmnist_dit_training.pt, a small stand-in for the real Fashion-MNIST DiT training checkpoint.

The real one (shared/models/fmnist-dit/checkpoint.pt: {"model", "ema", "opt", "args"}, written by PyTorch 1.13, 40 MB)
is not committed. This script reads its data.pkl with a restricted unpickler (standard library only, no torch) and
saves the same object tree, key for key and in the same order: every state-dict name, dtype and shape, the AdamW
state and param_groups, and args as an argparse.Namespace. Only the tensor data shrinks: each tensor becomes an
expanded view (stride 0 in every dimension, as torch.save writes a one-element tensor expanded to a shape) of a
one-element storage holding the real tensor's first value.

Like torch 1.13, and unlike make_checkpoints.py's writer, the zip has no byteorder record. Run from this directory:
python3 make_fmnist_training_checkpoint.py ../../../../../shared/models/fmnist-dit/checkpoint.pt
"""
import argparse
import collections
import pickle
import struct
import sys
import zipfile

import make_checkpoints as mc


def shrink(path):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        prefix = names[0].split("/")[0] + "/"

        def first_value(kind, key, offset):
            width = struct.calcsize("<" + kind.fmt)
            raw = z.read(prefix + "data/" + key)[offset * width : (offset + 1) * width]
            return struct.unpack("<" + kind.fmt, raw)[0]

        def rebuild_tensor(storage, offset, size, stride, requires_grad, hooks, *metadata):
            kind, key = storage
            one = mc.Storage(kind.__name__, [first_value(kind, key, offset)])
            return mc.Tensor(one, 0, list(size), [0] * len(size))

        def rebuild_parameter(tensor, requires_grad, hooks):
            tensor.parameter = True
            return tensor

        allowed = {
            ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor,
            ("torch._utils", "_rebuild_parameter"): rebuild_parameter,
            ("collections", "OrderedDict"): collections.OrderedDict,
            ("argparse", "Namespace"): argparse.Namespace,
        }

        class Reader(pickle.Unpickler):
            def find_class(self, module, name):
                if module == "torch" and name in mc.STORAGE_TYPES:
                    return mc.STORAGE_TYPES[name]
                if (module, name) in allowed:
                    return allowed[(module, name)]
                raise pickle.UnpicklingError("not allowed: %s.%s" % (module, name))

            def persistent_load(self, pid):
                tag, kind, key, location, numel = pid
                assert tag == "storage" and location == "cpu"
                return (kind, key)

        with z.open(prefix + "data.pkl") as f:
            return Reader(f).load(), prefix


def main():
    obj, prefix = shrink(sys.argv[1])
    storages = []
    pkl = mc.pickle_bytes(obj, storages, protocol=2)
    records = [("data.pkl", pkl)] + [("data/" + s.key, s.raw) for s in storages] + [("version", b"3\n")]
    mc.write_zip("fmnist_dit_training.pt", prefix, records)
    print("wrote fmnist_dit_training.pt:", len(obj["model"]), "model and", len(obj["ema"]), "ema tensors, args",
          vars(obj["args"]))
    for name in ("x_embedder.proj.weight", "final_layer.linear.bias"):
        print("ema.%s %s first value %r" % (name, obj["ema"][name].size, struct.unpack("<f", obj["ema"][name].storage.raw)))


if __name__ == "__main__":
    main()
