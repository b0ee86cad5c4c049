#!/usr/bin/python3
"""Captum's side of the sampling-methods benchmark (issue 12 part 3), on the same CPU.

    PYTHONPATH=/tmp/captum /usr/bin/python3 bench/scripts/sampling_vs_captum.py \
        --model golden|tabular50 --method kernel-shap|lime|shapley-value-sampling|feature-ablation \
        --rows 16 --samples 2048 [--repeats 3] [--save out.npy]

Captum is not installed here (no PyPI access): its source (github:pytorch/captum, 0.8.0) is put
on PYTHONPATH from outside the repository. The ONNX model (the golden tabular MLP in ../shared
or bench/tabular50 from make_tabular50.py) is rebuilt in PyTorch from its Gemm/Relu/Tanh
initializers, so both sides evaluate the same function. Each method is called as a Captum user
would: zero baseline, one target per row, the golden feature mask (4 groups) for the golden
model and one feature per column for the 50-feature one, perturbations_per_eval=batch;
KernelShap and Lime (Captum's default surrogate: scikit-learn Lasso, alpha 0.01) loop over the
rows themselves and fit one surrogate per row. Prints rows per second (best of the repeats).
"""

import argparse
import os
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def torch_from_onnx(path):
    m = onnx.load(path)
    init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    layers = []
    for n in m.graph.node:
        if n.op_type == "Gemm":
            trans_b = next((a.i for a in n.attribute if a.name == "transB"), 0)
            w = init[n.input[1]]
            w = w if trans_b else w.T
            lin = torch.nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w.copy()))
                lin.bias.copy_(torch.from_numpy(init[n.input[2]].copy()))
            layers.append(lin)
        elif n.op_type == "Relu":
            layers.append(torch.nn.ReLU())
        elif n.op_type == "Tanh":
            layers.append(torch.nn.Tanh())
        else:
            raise SystemExit("unsupported op " + n.op_type)
    return torch.nn.Sequential(*layers).eval()


def data(which, rows):
    if which == "golden":
        g = os.path.join(ROOT, "..", "shared", "golden")
        model = torch_from_onnx(os.path.join(g, "tabular_mlp.onnx"))
        x = np.load(os.path.join(g, "tabular_x.npy"))
        t = np.array([0, 1, 2, 1])
        mask = torch.from_numpy(np.load(os.path.join(g, "tabular_mask.npy")).astype(np.int64))
    else:
        d = os.path.join(ROOT, "bench", "tabular50")
        model = torch_from_onnx(os.path.join(d, "tabular50_mlp.onnx"))
        x = np.load(os.path.join(d, "tabular50_x.npy"))
        t = np.load(os.path.join(d, "tabular50_target.npy"))
        mask = None
    reps = -(-rows // x.shape[0])
    x = np.concatenate([x] * reps)[:rows]
    t = np.concatenate([t] * reps)[:rows]
    return model, torch.from_numpy(x), torch.from_numpy(t), mask


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="golden")
    ap.add_argument("--method", default="kernel-shap")
    ap.add_argument("--rows", type=int, default=16)
    ap.add_argument("--samples", type=int, default=2048)
    ap.add_argument("--batch", type=int, default=2048)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--save")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    from captum.attr import FeatureAblation, KernelShap, Lime, ShapleyValueSampling
    model, x, t, mask = data(a.model, a.rows)
    kw = dict(baselines=0.0, target=t, perturbations_per_eval=a.batch)
    if mask is not None:
        kw["feature_mask"] = mask
    if a.method == "kernel-shap":
        m, kw["n_samples"] = KernelShap(model), a.samples
    elif a.method == "lime":
        m, kw["n_samples"] = Lime(model), a.samples
    elif a.method == "shapley-value-sampling":
        m, kw["n_samples"] = ShapleyValueSampling(model), a.samples
    elif a.method == "feature-ablation":
        m = FeatureAblation(model)
    else:
        raise SystemExit("unknown method " + a.method)
    best = float("inf")
    best_cpu = float("inf")
    out = None
    for _ in range(a.repeats):
        torch.manual_seed(0)
        t0 = time.perf_counter()
        c0 = time.process_time()
        with torch.no_grad():
            out = m.attribute(x, **kw)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    print(f"captum {a.method} model={a.model} rows={a.rows} samples={a.samples} threads={a.threads} "
          f"perturbations_per_eval={a.batch}: best {best:.3f} s of {a.repeats} (CPU {best_cpu:.3f} s), "
          f"{a.rows / best:.1f} rows/s")
    if a.save:
        np.save(a.save, out.detach().numpy().astype(np.float64))


if __name__ == "__main__":
    main()
