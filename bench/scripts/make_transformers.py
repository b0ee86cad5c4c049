#!/usr/bin/python3
"""Exports the two transformer benchmark models (random weights) to ONNX.

    /usr/bin/python3 bench/scripts/make_transformers.py OUTDIR

OUTDIR/vit_b_16.onnx   torchvision vit_b_16(weights=None), head re-drawn (torchvision's is
                       zero), input `input`
                       float32 [batch, 3, 224, 224], output `logits` [batch, 1000].
OUTDIR/bert_base.onnx  a BERT-base-sized encoder: token + position embedding
                       (vocab 30522, 128 positions, d 768) -> LayerNorm -> 12
                       torch.nn.TransformerEncoderLayer (12 heads, ffn 3072, GELU,
                       post-norm) -> mean pool -> Linear(768, 2).  Input `input_ids`
                       int64 [batch, 128], output `logits` [batch, 2].  The
                       embedding output is `/emb_norm/LayerNormalization_output_0`
                       (printed at the end).
Opset 17, dynamic batch, eval mode, fixed seed.  Do not commit the files (about
350 MB and 420 MB).
"""
import os
import sys

import torch
import torch.nn as nn

torch.manual_seed(13)
out = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
os.makedirs(out, exist_ok=True)


class Bert(nn.Module):
    def __init__(self, vocab=30522, seq=128, d=768, heads=12, ffn=3072, layers=12):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, seq, d) * 0.02)
        self.emb_norm = nn.LayerNorm(d)
        layer = nn.TransformerEncoderLayer(d, heads, ffn, dropout=0.0, activation="gelu",
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers)
        self.head = nn.Linear(d, 2)

    def forward(self, input_ids):
        x = self.emb_norm(self.tok(input_ids) + self.pos)
        x = self.encoder(x)
        return self.head(x.mean(dim=1))


def export(model, example, path, in_name):
    model.eval()
    # gradients enabled: nn.MultiheadAttention's inference fast path (not exportable) stays off
    with torch.enable_grad():
        torch.onnx.export(model, example, path, input_names=[in_name], output_names=["logits"],
                          opset_version=17, do_constant_folding=True,
                          dynamic_axes={in_name: {0: "batch"}, "logits": {0: "batch"}},
                          )
    print("wrote", path, os.path.getsize(path))


which = sys.argv[2:] or ["vit", "bert"]
if "vit" in which:
    import torchvision
    vit = torchvision.models.vit_b_16(weights=None)
    # torchvision initialises the classifier head to zeros, which makes every gradient zero
    nn.init.normal_(vit.heads.head.weight, std=0.02)
    export(vit, torch.randn(1, 3, 224, 224),
           os.path.join(out, "vit_b_16.onnx"), "input")
if "bert" in which:
    export(Bert(), torch.randint(0, 30522, (1, 128)), os.path.join(out, "bert_base.onnx"), "input_ids")
    import onnx
    m = onnx.load(os.path.join(out, "bert_base.onnx"), load_external_data=False)
    print([o for n in m.graph.node if n.op_type == "LayerNormalization" for o in n.output][:1])
