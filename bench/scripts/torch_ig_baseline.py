#!/usr/bin/python3
"""The PyTorch side of explain4j's integrated-gradients benchmark, on the same CPU.

    /usr/bin/python3 bench/scripts/torch_ig_baseline.py [--repeats 3]

Builds the same randomly initialised ResNet-18 as make_resnet18.py (same seeds) and times, with
one PyTorch thread per CPU core (Debian's build defaults to one thread here):

- bare forward: 4 x 50 = 200 rows in batches of 25 under torch.inference_mode();
- integrated gradients as Captum computes them (IntegratedGradients.attribute with
  n_steps=50, method="gausslegendre", internal_batch_size=25, zero baseline, one target per
  example): 25 path points per batch, forward with the inputs requiring grad, then
  torch.autograd.grad of the selected logits with respect to the inputs (parameters keep
  requires_grad=True, as in Captum; autograd then skips their gradients), gradients scaled by
  the quadrature weights, summed per example and multiplied by (input - baseline).

Captum itself is not installed on this machine (no PyPI access), so its loop is written out
here; it adds only Python bookkeeping around these calls. Prints the best time of each.
"""

import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_resnet18 import SEED, build_resnet18, randomize_bn  # noqa: E402


def gauss_legendre(n):
    """Captum's gausslegendre alphas and weights on [0, 1]."""
    x, w = np.polynomial.legendre.leggauss(n)
    return list(0.5 * x + 0.5), list(0.5 * w)


def integrated_gradients(model, x, baseline, targets, steps, batch):
    alphas, weights = gauss_legendre(steps)
    n = x.shape[0]
    # Captum's layout: step-major rows (all examples at alpha 0, then alpha 1, ...)
    scaled = torch.cat([baseline + a * (x - baseline) for a in alphas], dim=0)
    rows_target = targets.repeat(steps)
    grads = []
    for start in range(0, scaled.shape[0], batch):
        xb = scaled[start:start + batch].detach().requires_grad_()
        out = model(xb)
        sel = out.gather(1, rows_target[start:start + batch].unsqueeze(1)).squeeze(1)
        (g,) = torch.autograd.grad(torch.unbind(sel), xb)
        grads.append(g)
    g = torch.cat(grads, dim=0)
    w = torch.tensor(weights, dtype=g.dtype).repeat_interleave(n).view(-1, 1, 1, 1)
    total = (g * w).view(steps, n, *x.shape[1:]).sum(dim=0)
    return total * (x - baseline)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--batch-size", type=int, default=25)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(SEED)
    model = build_resnet18()
    randomize_bn(model, torch.Generator().manual_seed(SEED + 1))
    model.eval()
    gen = torch.Generator().manual_seed(7)
    x = torch.rand(4, 3, 224, 224, generator=gen)
    baseline = torch.zeros_like(x)
    with torch.inference_mode():
        targets = model(x).argmax(dim=1)
    rows = x.shape[0] * a.steps
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads; {rows} rows, batch {a.batch_size}")

    rows_in = torch.rand(a.batch_size, 3, 224, 224, generator=gen)

    def forward_only():
        with torch.inference_mode():
            for start in range(0, rows, a.batch_size):
                model(rows_in[:min(a.batch_size, rows - start)])

    def ig():
        return integrated_gradients(model, x, baseline, targets, a.steps, a.batch_size)

    for name, fn in (("bare forward", forward_only), ("integrated gradients", ig)):
        best = float("inf")
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        print(f"{name}: {best * 1000:.1f} ms (best of {a.repeats})")


if __name__ == "__main__":
    main()
