package com.example;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** A gradient rule from outside explain4j (a library user's), for the cache-key tests. */
public final class ForeignRule implements OpRule {
    @Override
    public void backward(RuleContext ctx) {
        throw new UnsupportedOperationException("never derived in the tests");
    }
}
