#!/usr/bin/python3
"""The 50-feature tabular model of the sampling benchmark (issue 12 part 3).

    /usr/bin/python3 bench/scripts/make_tabular50.py [bench/tabular50]

Writes into the folder (default bench/tabular50, not committed; the script is deterministic):
- tabular50_mlp.onnx: 50 features -> Gemm(64)/Relu -> Gemm(32)/Tanh -> Gemm(3), random weights
  (torch.manual_seed(50)), batch dimension open, opset 13, input "input", output "logits";
- tabular50_x.npy: 256 rows of 50 standard-normal features (float32, numpy seed 50);
- tabular50_target.npy: the explained class per row (int64, i % 3).
The explained values are kept away from flat regions by the Tanh layer; nothing is trained, a
throughput benchmark does not need it.
"""

import os
import sys

import numpy as np
import torch


def build():
    torch.manual_seed(50)
    return torch.nn.Sequential(
        torch.nn.Linear(50, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 32), torch.nn.Tanh(),
        torch.nn.Linear(32, 3)).eval()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench/tabular50"
    os.makedirs(out, exist_ok=True)
    model = build()
    x = np.random.default_rng(50).standard_normal((256, 50)).astype(np.float32)
    torch.onnx.export(model, torch.from_numpy(x[:2]), os.path.join(out, "tabular50_mlp.onnx"),
                      input_names=["input"], output_names=["logits"], opset_version=13,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    np.save(os.path.join(out, "tabular50_x.npy"), x)
    np.save(os.path.join(out, "tabular50_target.npy"), np.arange(256, dtype=np.int64) % 3)
    print("wrote", out)


if __name__ == "__main__":
    main()
