#!/usr/bin/python3
"""Captum's IntegratedGradients on the benchmark's ResNet-18, timed attribution only.

    PYTHONPATH=/path/to/captum-source /usr/bin/python3 bench/scripts/captum_ig_resnet18.py [--repeats 2]

Same model as make_resnet18.py / torch_ig_baseline.py (same seeds, BatchNorm not folded), 4
images 3x224x224, n_steps=50, method="gausslegendre", internal_batch_size=25, zero baseline,
target = each image's top class. Prints each repetition's time of the attribute call (model
construction, imports and the first forward for the targets excluded) and the best.
"""

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_resnet18 import SEED, build_resnet18, randomize_bn  # noqa: E402
from captum.attr import IntegratedGradients  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(SEED)
    model = build_resnet18()
    randomize_bn(model, torch.Generator().manual_seed(SEED + 1))
    model.eval()
    x = torch.rand(4, 3, 224, 224, generator=torch.Generator().manual_seed(7))
    with torch.inference_mode():
        targets = model(x).argmax(dim=1)
    ig = IntegratedGradients(model)
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        ig.attribute(x, baselines=torch.zeros_like(x), target=targets, n_steps=50, method="gausslegendre",
                     internal_batch_size=25)
        times.append(time.perf_counter() - t0)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads; Captum IG attribution: "
          + ", ".join(f"{t:.2f} s" for t in times) + f"; best {min(times):.2f} s")


if __name__ == "__main__":
    main()
