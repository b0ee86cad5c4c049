#!/usr/bin/python3
"""Reference side of the metric timings (docs/BENCHMARKS.md, "Metrics: explain4j vs Quantus").

    /usr/bin/python3 bench/scripts/metrics_vs_quantus.py prepare DIR
    /usr/bin/python3 bench/scripts/metrics_vs_quantus.py run DIR METRIC   (pixel-flipping|deletion|insertion|mprt)

`prepare` exports ResNet-18 (torchvision, weights=None, the seeds of make_resnet18.py, BatchNorm
folded) to DIR/resnet18.onnx, writes 4 random images DIR/x.npy (float32, U(0,1), seed 7) and the
predicted classes DIR/targets.txt.  `run` times one metric call on the same model in PyTorch and
prints one JSON line {"metric", "seconds", ...}.  The attribution DIR/a.npy is explain4j's saliency
(written by the shell driver with `explain4j attribute --method saliency`).

The PyTorch model is the same network with each BatchNorm folded into its Conv (the ONNX file is
folded too), so Quantus's MPRT randomises the same 21 layers (20 Conv2d + Linear) as explain4j.

References, run from their sources (not committed, not in the repository):
  - pixel-flipping, mprt: Quantus 0.6.0 (QUANTUS_SRC, default /tmp/quantus);
  - deletion, insertion: RISE `evaluation.py` CausalMetric.evaluate (RISE_SRC, default /tmp/rise;
    Quantus 0.6.0 has no deletion/insertion).  Its `.cuda()` calls are made no-ops.
Both sides use 2 threads (torch.set_num_threads(2); explain4j --threads 2).
"""

import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

N_IMAGES = 4
PF_FEATURES_IN_STEP = 784   # 3*224*224 / 784 = 192 steps; 784 divides 224*224 (Quantus asserts it)
RISE_STEP = 224             # pixels per step: 224*224 / 224 = 224 steps (explain4j: 672 elements)
THREADS = 2


def build_model():
    """ResNet-18 exactly as make_resnet18.py builds it (same seeds), eval mode."""
    import make_resnet18 as mk
    torch.manual_seed(mk.SEED)
    model = mk.build_resnet18()
    mk.randomize_bn(model, torch.Generator().manual_seed(mk.SEED + 1))
    return model.eval()


def fold_bn(model):
    """Each BatchNorm folded into the Conv before it; the BatchNorm becomes Identity."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    def fold(parent, conv_name, bn_name):
        conv, bn = getattr(parent, conv_name), getattr(parent, bn_name)
        setattr(parent, conv_name, fuse_conv_bn_eval(conv, bn))
        setattr(parent, bn_name, nn.Identity())

    fold(model, "conv1", "bn1")
    for layer in (model.layer1, model.layer2, model.layer3, model.layer4):
        for block in layer:
            fold(block, "conv1", "bn1")
            fold(block, "conv2", "bn2")
            if block.downsample is not None:
                fold(block.downsample, "0", "1")
    return model.eval()


def prepare(d):
    import make_resnet18 as mk
    os.makedirs(d, exist_ok=True)
    mk.main(["make_resnet18.py", os.path.join(d, "resnet18.onnx")])
    x = np.random.default_rng(7).random((N_IMAGES, 3, 224, 224), dtype=np.float32)
    np.save(os.path.join(d, "x.npy"), x)
    with torch.no_grad():
        y = build_model()(torch.from_numpy(x)).argmax(1).numpy()
    with open(os.path.join(d, "targets.txt"), "w") as f:
        f.write(",".join(str(int(v)) for v in y) + "\n")
    print("wrote", d, "targets", y.tolist())


def saliency(model, inputs, targets, **kwargs):
    """|d logit_target / d x| per element, the shape of the input (explain4j's `saliency`)."""
    x = torch.as_tensor(np.asarray(inputs), dtype=torch.float32).clone().requires_grad_(True)
    out = model(x)
    t = torch.as_tensor(np.asarray(targets), dtype=torch.long)
    (g,) = torch.autograd.grad(out[torch.arange(len(t)), t].sum(), x)
    return g.abs().numpy()


def run(d, metric):
    torch.set_num_threads(THREADS)
    x = np.load(os.path.join(d, "x.npy"))
    a = np.load(os.path.join(d, "a.npy"))
    with open(os.path.join(d, "targets.txt")) as f:
        y = np.array([int(v) for v in f.read().strip().split(",")])
    model = fold_bn(build_model())
    info = {"metric": metric}
    if metric in ("pixel-flipping", "mprt"):
        sys.path.insert(0, os.environ.get("QUANTUS_SRC", "/tmp/quantus"))
        import warnings
        warnings.filterwarnings("ignore")
        import quantus
        if metric == "pixel-flipping":
            m = quantus.PixelFlipping(features_in_step=PF_FEATURES_IN_STEP, disable_warnings=True,
                                      display_progressbar=False)
            kw = {}
        else:
            m = quantus.MPRT(layer_order="top_down", seed=42, disable_warnings=True,
                             display_progressbar=False)
            kw = {"explain_func": saliency, "explain_func_kwargs": {}}
        t0 = time.perf_counter()
        scores = m(model=model, x_batch=x, y_batch=y, a_batch=a, device="cpu", **kw)
        info["seconds"] = time.perf_counter() - t0
        info["reference"] = "Quantus 0.6.0"
        if metric == "pixel-flipping":
            info["shape"] = list(np.asarray(scores).shape)
        else:
            info["layers"] = len(scores) - 1
    elif metric in ("deletion", "insertion"):
        sys.path.insert(0, os.environ.get("RISE_SRC", "/tmp/rise"))
        torch.Tensor.cuda = lambda self, *args, **kwargs: self   # CPU run of RISE's code
        import evaluation as rise
        for p in model.parameters():
            p.requires_grad_(False)
        net = nn.Sequential(model, nn.Softmax(dim=1))
        if metric == "deletion":
            substrate = torch.zeros_like
        else:
            kern = rise.gkern(11, 5)
            substrate = lambda t: nn.functional.conv2d(t, kern, padding=11 // 2)  # noqa: E731
        cm = rise.CausalMetric(net, "del" if metric == "deletion" else "ins", RISE_STEP, substrate)
        sal = a.sum(axis=1)     # RISE ranks pixels: one (224, 224) map per image
        import contextlib
        import io
        t0 = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            scores = cm.evaluate(torch.from_numpy(x.copy()), sal, N_IMAGES)
        info["seconds"] = time.perf_counter() - t0
        info["reference"] = "RISE evaluation.py CausalMetric.evaluate"
        info["auc"] = [float(rise.auc(scores[:, i])) for i in range(N_IMAGES)]
        info["evaluations_per_image"] = int(scores.shape[0])
    else:
        raise SystemExit("unknown metric " + metric)
    print(json.dumps(info))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "prepare":
        prepare(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
