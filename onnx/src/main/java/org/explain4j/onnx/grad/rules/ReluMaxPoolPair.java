package org.explain4j.onnx.grad.rules;

import ai.onnx.proto.OnnxMl.NodeProto;
import org.explain4j.onnx.grad.FusedPairRule;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * MaxPool(Relu(z)), both under their plain gradient: the ReLU's mask at each window's chosen
 * element is exactly "the pooled value > 0", so it is applied on the pooled side (a quarter of
 * the elements for 3x3 stride-2 pooling) and the scattered gradient goes straight to z. Windows
 * whose maximum is 0 (all inputs <= 0) get 0, whichever element they chose, as with the mask.
 * Exact; it exists for the speed of a CNN's stem (ResNet's conv, ReLU, max pool). Propagation rule
 * sets that give the ReLU another rule (pass, guided, rescale) never take it.
 */
final class ReluMaxPoolPair implements FusedPairRule {
    @Override
    public boolean matches(NodeProto producer, OpRule producerRule, NodeProto consumer, OpRule consumerRule) {
        return producer.getOpType().equals("Relu") && producerRule instanceof ReluRule
                && consumer.getOpType().equals("MaxPool") && consumerRule instanceof MaxPoolRule;
    }

    @Override
    public void backward(RuleContext relu, RuleContext maxPool) {
        String masked = ReluRule.whereOutputPositive(maxPool, maxPool.output(0), maxPool.grad(0));
        relu.addGrad(0, MaxPoolRule.unpool(maxPool, masked));
    }

    @Override
    public int minOpset() {
        return 16;
    }
}
