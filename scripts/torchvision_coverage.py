#!/usr/bin/python3
"""Exports full-size torchvision models for the coverage table's "full-size" rows.

    /usr/bin/python3 scripts/torchvision_coverage.py --out /tmp/explain4j-torchvision \
        [--models resnet18,mobilenet_v3_small]

For each model (default: all of MODELS) it writes, into --out (a folder outside the
repository; nothing here is committed):

* `<name>.onnx`: the model with random weights (`weights=None`, seeded), eval mode, opset 17,
  dynamic batch, input `input` [batch, 3, 224, 224], output `output` [batch, 1000];
* `<name>_x.npy`: one seeded N(0, 1) input (1, 3, 224, 224);
* `<name>_expected.npy`: PyTorch's output for it;
* `<name>_grad.npy`: PyTorch's autograd gradient of output class 0 w.r.t. the input.

Then run the coverage tool on the folder (see docs/COVERAGE.md for the command):

    mvn -B -o -q -pl core,onnx -am verify -Dtest=CoverageTableTest \
        -Dsurefire.failIfNoSpecifiedTests=false \
        -Dexplain4j.coverage.out=$PWD/docs/COVERAGE.md \
        -Dexplain4j.coverage.fullSize=/tmp/explain4j-torchvision

Needs Debian's python3-torch, python3-torchvision and python3-onnx; nothing is downloaded
(random weights). A model whose export fails is reported and skipped.
"""

import argparse
import os
import sys
import time

import numpy as np
import onnx
import torch
import torchvision

MODELS = ["resnet18", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "convnext_tiny", "swin_t",
          "densenet121", "shufflenet_v2_x1_0", "regnet_y_400mf", "vit_b_16"]
SEED = 20261130
OPSET = 17


def export(name, out):
    torch.manual_seed(SEED)
    model = getattr(torchvision.models, name)(weights=None).eval()
    g = torch.Generator().manual_seed(SEED + 1)
    x = torch.randn(1, 3, 224, 224, generator=g)
    path = os.path.join(out, name + ".onnx")
    t0 = time.time()
    # with gradients enabled (weights requiring grad) nn.MultiheadAttention takes its plain path,
    # which exports; under no_grad torch 1.13 uses aten::_native_multi_head_attention (vit_b_16),
    # which has no ONNX export
    torch.onnx.export(model, (x,), path, opset_version=OPSET, do_constant_folding=True,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    onnx.checker.check_model(onnx.load(path))
    with torch.no_grad():
        expected = model(x).numpy().astype(np.float32)
    xg = x.clone().requires_grad_(True)
    model(xg)[:, 0].sum().backward()
    np.save(os.path.join(out, name + "_x.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out, name + "_expected.npy"), expected)
    np.save(os.path.join(out, name + "_grad.npy"), xg.grad.numpy().astype(np.float32))
    ops = sorted({n.op_type for n in onnx.load(path).graph.node})
    print("%-20s %6.1f MB  %5.1f s  ops: %s" % (name, os.path.getsize(path) / 1e6, time.time() - t0, ", ".join(ops)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output folder (outside the repository)")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated torchvision model names")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if out == root or out.startswith(root + os.sep):
        sys.exit("--out must be outside the repository (%s): these models are not committed" % root)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    failed = []
    for name in args.models.split(","):
        name = name.strip()
        if name not in MODELS:
            sys.exit("unknown model %s; choose from %s" % (name, ", ".join(MODELS)))
        try:
            export(name, out)
        except Exception as e:  # report and go on with the others
            failed.append(name)
            print("%-20s export failed: %s" % (name, str(e).splitlines()[0] if str(e) else type(e).__name__))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
