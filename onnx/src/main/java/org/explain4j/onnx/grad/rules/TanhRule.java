package org.explain4j.onnx.grad.rules;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Tanh: {@code g * (1 - tanh(z)^2)}, the derivative taken in float64 and cast back. Near
 * saturation {@code 1 - y^2} of ONNX Runtime's float32 Tanh output is off by up to ~1% from
 * PyTorch's (its float32 tanh rounds differently); from tanh(z) in float64 it is accurate.
 */
final class TanhRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        String z = c.op("Cast", c.input(0), to(DataType.DOUBLE_VALUE));
        String y = c.op("Tanh", z);
        String oneMinus = c.op("Sub", c.scalar(1, DataType.DOUBLE_VALUE), c.op("Mul", y, y));
        c.addGrad(0, c.op("Mul", c.grad(0), c.op("Cast", oneMinus, to(c.inputType(0)))));
    }

    private static AttributeProto to(int type) {
        return AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT).setI(type).build();
    }
}
