package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Explain4jException;

/**
 * What a {@link OpRule} sees of the graph while it emits the backward nodes of one forward node:
 * the node, the concrete shapes and types of its tensors, the gradients of its outputs, and
 * helpers to append nodes and constants to the backward graph.
 */
public final class RuleContext {
    /** The part of the builder a context works on. */
    interface Host {
        TensorMeta meta(String tensor);

        boolean isActive(String tensor);

        void addGrad(String tensor, String grad);

        /** Values of an integer tensor known when the graph is built, or null. */
        long[] constantLongs(String tensor);

        /** Values of a floating tensor that is an initializer or a Constant node's output, or null. */
        default double[] constantDoubles(String tensor) {
            return null;
        }

        /** Makes the forward node produce its optional output {@code index} and returns its name. */
        String forwardOutput(NodeProto node, int index);

        /** Whether rules may use the faster formulations (see {@link BackwardGraphBuilder#plainRules()}). */
        boolean optimisedForms();
    }

    private final Host host;
    private final GraphEmitter emitter;
    private final NodeProto node;
    private final String[] outputGrads;
    private final int modelOpset;
    private final Map<String, Double> params;

    RuleContext(Host host, GraphEmitter emitter, NodeProto node, String[] outputGrads, int modelOpset,
                Map<String, Double> params) {
        this.host = host;
        this.emitter = emitter;
        this.node = node;
        this.outputGrads = outputGrads;
        this.modelOpset = modelOpset;
        this.params = params;
    }

    // ---- the forward node ----

    public NodeProto node() {
        return node;
    }

    public String opType() {
        return node.getOpType();
    }

    public String nodeName() {
        return node.getName().isEmpty() ? "(unnamed " + node.getOpType() + ")" : node.getName();
    }

    /** The model's default-domain opset, which fixes the semantics of the forward node. */
    public int opset() {
        return modelOpset;
    }

    /** The default-domain opset of the emitted graph. */
    public int targetOpset() {
        return emitter.opset();
    }

    public int inputCount() {
        return node.getInputCount();
    }

    /** True when the node has input {@code i} (optional inputs may be absent or empty). */
    public boolean hasInput(int i) {
        return i < node.getInputCount() && !node.getInput(i).isEmpty();
    }

    public String input(int i) {
        return node.getInput(i);
    }

    public String output(int i) {
        return node.getOutput(i);
    }

    public TensorMeta meta(String tensor) {
        return host.meta(tensor);
    }

    public long[] inputShape(int i) {
        return host.meta(input(i)).shape();
    }

    public long[] outputShape(int i) {
        return host.meta(output(i)).shape();
    }

    /** The element type of input {@code i}; gradients of an input have its type. */
    public int inputType(int i) {
        return host.meta(input(i)).elemType();
    }

    // ---- attributes and parameters ----

    public long attrInt(String name, long dflt) {
        return Attr.getInt(node, name, dflt);
    }

    public float attrFloat(String name, float dflt) {
        return Attr.getFloat(node, name, dflt);
    }

    public String attrString(String name, String dflt) {
        return Attr.getString(node, name, dflt);
    }

    /** A list attribute, or {@code dflt} (which may be null) when absent. */
    public long[] attrInts(String name, long[] dflt) {
        return Attr.getInts(node, name, dflt);
    }

    public boolean hasAttr(String name) {
        return Attr.find(node, name).isPresent();
    }

    /** A numeric parameter of the rule set's assignment that chose this rule. */
    public double param(String name, double dflt) {
        return params.getOrDefault(name, dflt);
    }

    /**
     * The values of integer input {@code i} (axes, pads, starts...), which must be known when the
     * graph is built: an initializer, a constant or a value computed from shapes only.
     */
    public long[] constantInput(int i) {
        long[] v = host.constantLongs(input(i));
        if (v == null) {
            throw unsupported("its input '" + input(i) + "' must be a constant (or computed from shapes only)");
        }
        return v;
    }

    /**
     * The values of floating input {@code i} when it is an initializer or a Constant node's output
     * (e.g. Dropout's ratio), or null when they are not known before the model runs.
     */
    public double[] constantFloats(int i) {
        double[] v = hasInput(i) ? host.constantDoubles(input(i)) : null;
        return v == null ? null : v.clone();
    }

    // ---- gradients ----

    /** True when input {@code i} needs a gradient (it lies on a path from a requested tensor). */
    public boolean needsGrad(int i) {
        return hasInput(i) && host.isActive(input(i));
    }

    /** Fails clearly when input {@code i}, which this rule does not differentiate, needs a gradient. */
    public void requireNoGrad(int i) {
        if (needsGrad(i)) {
            throw unsupported("the gradient with respect to its input " + i + " ('" + input(i)
                    + "') is not implemented");
        }
    }

    /** The gradient flowing into output {@code i}, or null when none does (a zero gradient). */
    public String grad(int i) {
        return i < outputGrads.length ? outputGrads[i] : null;
    }

    /** The gradient of output {@code i}, or zeros of its shape. */
    public String gradOrZeros(int i) {
        String g = grad(i);
        return g != null ? g : emitter.zeros(outputShape(i), host.meta(output(i)).elemType());
    }

    /** Adds a contribution to the gradient of input {@code i} (ignored when it needs none). */
    public void addGrad(int i, String grad) {
        if (needsGrad(i)) {
            host.addGrad(input(i), grad);
        }
    }

    /** Asks the forward node for its optional output {@code index} (e.g. MaxPool's Indices). */
    public String forwardOutput(int index) {
        return host.forwardOutput(node, index);
    }

    /** Whether this build may use the faster formulations (on by default; see {@link BackwardGraphBuilder#plainRules()}). */
    public boolean optimisedForms() {
        return host.optimisedForms();
    }

    // ---- emitting ----

    /** Appends a single-output node and returns its output's name. */
    public String op(String opType, List<String> inputs, AttributeProto... attrs) {
        if (opType.equals("Transpose") && isIdentityPerm(attrs)) {
            // no node: an identity Transpose right after a Gemm came out transposed in ONNX Runtime 1.29
            // (ShapeRulesTest.gatherOfAClassTokenIntoAHead_float32), and it is work for nothing anyway
            return inputs.get(0);
        }
        return emitter.op(opType, inputs, attrs);
    }

    private static boolean isIdentityPerm(AttributeProto... attrs) {
        for (AttributeProto a : attrs) {
            if (a.getName().equals("perm")) {
                for (int i = 0; i < a.getIntsCount(); i++) {
                    if (a.getInts(i) != i) {
                        return false;
                    }
                }
                return true;
            }
        }
        return false;
    }

    /** Appends a node with several outputs. */
    public List<String> ops(String opType, List<String> inputs, int outputs, AttributeProto... attrs) {
        return emitter.node(opType, inputs, outputs, List.of(attrs));
    }

    public String op(String opType, String a, AttributeProto... attrs) {
        return op(opType, List.of(a), attrs);
    }

    public String op(String opType, String a, String b, AttributeProto... attrs) {
        return op(opType, List.of(a, b), attrs);
    }

    /** A 1-D int64 constant. */
    public String longs(long... values) {
        return emitter.longs(values);
    }

    /** A scalar constant of the given element type. */
    public String scalar(double value, int elemType) {
        return emitter.scalar(value, elemType);
    }

    /** A floating constant of any shape. */
    public String constant(int elemType, long[] shape, double[] values) {
        return emitter.floats(elemType, shape, values);
    }

    public String zeros(long[] shape, int elemType) {
        return emitter.zeros(shape, elemType);
    }

    public String reshape(String x, long[] shape) {
        return emitter.reshape(x, shape);
    }

    public String reduceSum(String x, long[] axes, boolean keepdims) {
        return emitter.reduceSum(x, axes, keepdims);
    }

    /** Sums a broadcast gradient back to an operand's shape. */
    public String unbroadcast(String grad, long[] from, long[] to) {
        return emitter.unbroadcast(grad, from, to);
    }

    /** The error for a case this rule cannot handle, naming the op, the node and the opset. */
    public Explain4jException unsupported(String why) {
        return Unsupported.error(node, modelOpset, why);
    }

    /** Normalises a possibly negative axis for a tensor of rank {@code rank}. */
    public static int axis(long axis, int rank) {
        return (int) (axis < 0 ? axis + rank : axis);
    }

    @Override
    public String toString() {
        return node.getOpType() + " " + nodeName() + " " + Arrays.toString(outputGrads);
    }
}
