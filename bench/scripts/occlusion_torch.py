#!/usr/bin/python3
"""Occlusion on ResNet-18 in PyTorch, computed the way Captum's Occlusion does it, for
explain4j's incremental-occlusion benchmark (docs/BENCHMARKS.md, "Incremental occlusion").

    /usr/bin/python3 bench/scripts/occlusion_torch.py [REPEATS]

Captum itself is not installable here (no PyPI access), so this is an independent
re-implementation of its algorithm and defaults: 4 random images 3x224x224, window
3x32x32, stride 3x16x16 (13 x 13 = 169 positions), baseline 0, target class 0,
perturbations_per_eval=1 (one forward of the 4-image batch per window position, plus
one of the unperturbed batch), torch.no_grad(). Prints wall and CPU seconds (the
process's, all threads) of the attribution, best of REPEATS (default 2).
"""

import sys
import time

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from make_resnet18 import build_resnet18, randomize_bn, SEED  # noqa: E402


def occlusion(model, x, window=(3, 32, 32), stride=(3, 16, 16), target=0):
    n, c, h, w = x.shape
    pos = [(d - k) // s + 1 if (d - k) % s == 0 else (d - k) // s + 2
           for d, k, s in zip((c, h, w), window, stride)]
    with torch.no_grad():
        fx = model(x)[:, target]
        total = torch.zeros_like(x)
        count = torch.zeros_like(x[0])
        for pc in range(pos[0]):
            for py in range(pos[1]):
                for px in range(pos[2]):
                    sl = (slice(pc * stride[0], pc * stride[0] + window[0]),
                          slice(py * stride[1], py * stride[1] + window[1]),
                          slice(px * stride[2], px * stride[2] + window[2]))
                    xp = x.clone()
                    xp[(slice(None),) + sl] = 0.0
                    diff = fx - model(xp)[:, target]
                    total[(slice(None),) + sl] += diff.view(n, 1, 1, 1)
                    count[sl] += 1
        return total / count.clamp(min=1)


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    torch.manual_seed(SEED)
    model = build_resnet18()
    randomize_bn(model, torch.Generator().manual_seed(SEED + 1))
    model.eval()
    torch.manual_seed(12)
    x = torch.randn(4, 3, 224, 224)
    best_wall = best_cpu = float("inf")
    for r in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        occlusion(model, x)
        w1, c1 = time.perf_counter(), time.process_time()
        best_wall, best_cpu = min(best_wall, w1 - w0), min(best_cpu, c1 - c0)
        print(f"TORCH repeat {r}: {w1 - w0:.3f} s wall, {c1 - c0:.3f} s cpu (threads {torch.get_num_threads()})",
              flush=True)
    print(f"TORCH best: {best_wall:.3f} s wall, {best_cpu:.3f} s cpu")


if __name__ == "__main__":
    main()
