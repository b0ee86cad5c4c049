#!/usr/bin/python3
"""Exports a randomly initialised ResNet-18 to ONNX for explain4j's benchmarks.

    /usr/bin/python3 bench/scripts/make_resnet18.py [OUTPUT.onnx]

OUTPUT defaults to bench/resnet18.onnx (relative to the current directory;
run from the repository root).  The file is about 45 MB: do not commit it.

ResNet-18 (BasicBlock, layers [2, 2, 2, 2], 1000 classes) is taken from
torchvision when it is importable and otherwise defined below (same module
names, so the ONNX tensor names match, e.g. `/layer4/layer4.1/relu_1/Relu_output_0`
is the last block's output).  Weights are random with a fixed seed; BatchNorm
running statistics are randomised too so that the folded Conv weights are not
trivial.  Export: eval mode, opset 13, do_constant_folding=True (BatchNorm
folded into the Convs), input `input` float32 [batch, 3, 224, 224], output
`logits` float32 [batch, 1000], dynamic batch dimension.
"""

import os
import sys

import torch
import torch.nn as nn

SEED = 18


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def build_resnet18():
    try:
        import torchvision  # noqa: F401
        from torchvision.models import resnet18
        print("using torchvision.models.resnet18 (random weights)")
        return resnet18(weights=None) if _has_weights_arg() else resnet18(pretrained=False)
    except ImportError:
        print("torchvision not importable: using the ResNet-18 defined in this script")
        return ResNet(BasicBlock, [2, 2, 2, 2], num_classes=1000)


def _has_weights_arg():
    import inspect
    from torchvision.models import resnet18
    return "weights" in inspect.signature(resnet18).parameters


def randomize_bn(model, gen):
    """Non-trivial BatchNorm statistics, kept in a range that keeps activations sane."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
                m.weight.copy_(torch.rand(c, generator=gen) * 0.5 + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.1)


def main(argv):
    out = argv[1] if len(argv) > 1 else os.path.join("bench", "resnet18.onnx")
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    model = build_resnet18()
    randomize_bn(model, torch.Generator().manual_seed(SEED + 1))
    model.eval()
    d = os.path.dirname(out)
    if d:
        os.makedirs(d, exist_ok=True)
    dummy = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(SEED + 2))
    with torch.no_grad():
        torch.onnx.export(model, (dummy,), out, opset_version=13, do_constant_folding=True,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    import onnx
    m = onnx.load(out)
    onnx.checker.check_model(m)
    counts = {}
    for n in m.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    print("wrote %s (%.1f MB), opset %d, %d nodes" % (
        out, os.path.getsize(out) / 1e6, m.opset_import[0].version, len(m.graph.node)))
    print("ops: %s" % ", ".join("%s x%d" % kv for kv in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
