package org.explain4j.onnx.grad.rules;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.explain4j.onnx.grad.FusedPairRule;
import org.explain4j.onnx.grad.OpRule;

/** The plain-gradient rule of every ONNX op type explain4j differentiates, keyed by op type. */
public final class DefaultRules {
    private DefaultRules() {
    }

    /** The fused pair rules of the faster formulations: MaxPool after a ReLU ({@link ReluMaxPoolPair}). */
    public static List<FusedPairRule> fusedPairs() {
        return List.of(new ReluMaxPoolPair());
    }

    /** A new map from op type to its gradient rule. */
    public static Map<String, OpRule> all() {
        Map<String, OpRule> r = new HashMap<>();
        r.put("Add", new AddRule(false));
        r.put("Sub", new AddRule(true));
        r.put("Sum", new SumRule());
        r.put("Mul", new MulRule());
        r.put("Div", new DivRule());
        r.put("Neg", new NegRule());
        r.put("Where", new WhereRule());
        r.put("Expand", new ExpandRule());
        r.put("MatMul", new MatMulRule());
        r.put("Gemm", new GemmRule());
        r.put("Relu", new ReluRule());
        r.put("LeakyRelu", new LeakyReluRule());
        r.put("Elu", new EluRule());
        r.put("PRelu", new PReluRule());
        r.put("Sigmoid", new SigmoidRule());
        r.put("Tanh", new TanhRule());
        r.put("Softmax", new SoftmaxRule(false));
        r.put("LogSoftmax", new SoftmaxRule(true));
        r.put("Exp", new ExpRule());
        r.put("Log", new LogRule());
        r.put("Sqrt", new SqrtRule());
        r.put("Pow", new PowRule());
        r.put("Erf", new ErfRule());
        r.put("Abs", new AbsRule());
        r.put("Reciprocal", new ReciprocalRule());
        r.put("Softplus", new SoftplusRule());
        r.put("Clip", new ClipRule());
        r.put("Conv", new ConvRule());
        r.put("MaxPool", new MaxPoolRule());
        r.put("AveragePool", new AveragePoolRule());
        r.put("GlobalAveragePool", new GlobalAveragePoolRule());
        r.put("BatchNormalization", new BatchNormalizationRule());
        r.put("LayerNormalization", new LayerNormalizationRule());
        ReshapeRule reshape = new ReshapeRule();
        for (String op : new String[] {"Reshape", "Flatten", "Squeeze", "Unsqueeze"}) {
            r.put(op, reshape);
        }
        r.put("Transpose", new TransposeRule());
        r.put("Concat", new ConcatRule());
        r.put("Split", new SplitRule());
        r.put("Slice", new SliceRule());
        r.put("Gather", new GatherRule());
        r.put("ReduceSum", new ReduceRule(false));
        r.put("ReduceMean", new ReduceRule(true));
        r.put("Pad", new PadRule());
        r.put("Identity", new IdentityRule());
        r.put("Dropout", new DropoutRule());
        r.put("Cast", new CastRule());
        r.put("HardSigmoid", new HardSigmoidRule());
        r.put("HardSwish", new HardSwishRule());
        r.put("Selu", new SeluRule());
        r.put("Celu", new CeluRule());
        r.put("Gelu", new GeluRule());
        r.put("Mish", new MishRule());
        r.put("Softsign", new SoftsignRule());
        r.put("ThresholdedRelu", new ThresholdedReluRule());
        r.put("Sin", new TrigRule(false));
        r.put("Cos", new TrigRule(true));
        r.put("Max", new MaxMinRule());
        r.put("Min", new MaxMinRule());
        r.put("Resize", new ResizeRule(false));
        r.put("Upsample", new ResizeRule(true));
        r.put("DepthToSpace", new DepthSpaceRule(true));
        r.put("SpaceToDepth", new DepthSpaceRule(false));
        r.put("Tile", new TileRule());
        r.put("Trilu", new TriluRule());
        r.put("CumSum", new CumSumRule());
        r.put("Einsum", new EinsumRule());
        r.put("ReduceMax", new ReduceExtremeRule(false));
        r.put("ReduceMin", new ReduceExtremeRule(false));
        r.put("GlobalMaxPool", new ReduceExtremeRule(true));
        for (String op : new String[] {"ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSumExp"}) {
            r.put(op, new ReduceNormRule(op));
        }
        r.put("TopK", new TopKRule());
        r.put("ConvTranspose", new ConvTransposeRule());
        r.put("InstanceNormalization", new InstanceNormalizationRule());
        r.put("GroupNormalization", new GroupNormalizationRule());
        ZeroGradientRule none = new ZeroGradientRule();
        for (String op : new String[] {"Constant", "ConstantOfShape", "Shape", "Size", "Range", "Floor", "Ceil",
                "Round", "Sign"}) {
            r.put(op, none);
        }
        return r;
    }
}
