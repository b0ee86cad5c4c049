package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Replaces control flow whose course is fixed for the given input shape by the nodes it runs:
 * an {@code If} whose condition is known (the taken branch inlined), a {@code Loop} with a known
 * trip count and a body that never stops early, and a {@code Scan} (both unrolled, with their
 * loop-carried values and scan outputs). Every name a subgraph defines gets a fresh name per
 * copy; outer-scope names are kept.
 */
final class ControlFlowInlining {
    private final GraphEmitter e;
    private final Function<String, long[]> constants;
    private final Function<String, TensorMeta> metas;

    /**
     * @param constants the value of a tensor fixed for the given input (initializer or probe value), or null
     *                  when it depends on the explained input or is not known
     */
    ControlFlowInlining(GraphEmitter emitter, Function<String, long[]> constants, Function<String, TensorMeta> metas) {
        this.e = emitter;
        this.constants = constants;
        this.metas = metas;
    }

    static boolean isControlFlow(NodeProto n) {
        return (n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx"))
                && (n.getOpType().equals("If") || n.getOpType().equals("Loop") || n.getOpType().equals("Scan"));
    }

    /** Emits the nodes replacing {@code n}, or returns why it cannot be replaced. */
    String inline(NodeProto n) {
        return switch (n.getOpType()) {
            case "If" -> inlineIf(n);
            case "Loop" -> unrollLoop(n);
            default -> unrollScan(n);
        };
    }

    // ---- If ----

    private String inlineIf(NodeProto n) {
        long[] cond = constants.apply(n.getInput(0));
        if (cond == null) {
            return "its condition '" + n.getInput(0) + "' depends on the explained input";
        }
        GraphProto branch = Attr.find(n, cond[0] != 0 ? "then_branch" : "else_branch").map(AttributeProto::getG)
                .orElseThrow();
        List<String> outs = copy(branch, Map.of(), "if");
        for (int i = 0; i < n.getOutputCount(); i++) {
            if (!n.getOutput(i).isEmpty()) {
                identity(outs.get(i), n.getOutput(i));
            }
        }
        return null;
    }

    // ---- Loop ----

    private String unrollLoop(NodeProto n) {
        String tripName = n.getInputCount() > 0 ? n.getInput(0) : "";
        if (tripName.isEmpty()) {
            return "it has no maximum trip count, so the number of iterations is unknown";
        }
        long[] trip = constants.apply(tripName);
        if (trip == null) {
            return "its trip count '" + tripName + "' depends on the explained input";
        }
        String condName = n.getInputCount() > 1 ? n.getInput(1) : "";
        if (!condName.isEmpty()) {
            long[] c = constants.apply(condName);
            if (c == null) {
                return "its initial condition '" + condName + "' depends on the explained input";
            }
            if (c[0] == 0) {
                trip = new long[] {0};
            }
        }
        GraphProto body = Attr.find(n, "body").map(AttributeProto::getG).orElseThrow();
        if (!condName.isEmpty() && !alwaysTrue(body)) {
            return "its body computes its own stopping condition, so the number of iterations is unknown";
        }
        int carried = n.getInputCount() - 2;
        int scans = body.getOutputCount() - 1 - carried;
        if (trip[0] == 0 && scans > 0) {
            return "it runs zero times and so has empty scan outputs";
        }
        List<String> state = new ArrayList<>(n.getInputList().subList(2, n.getInputCount()));
        List<List<String>> scanned = new ArrayList<>();
        for (int s = 0; s < scans; s++) {
            scanned.add(new ArrayList<>());
        }
        String truth = boolScalar(true);
        for (long it = 0; it < trip[0]; it++) {
            Map<String, String> bound = new HashMap<>();
            bound.put(body.getInput(0).getName(), longScalar(it));
            bound.put(body.getInput(1).getName(), truth);
            for (int k = 0; k < carried; k++) {
                bound.put(body.getInput(2 + k).getName(), state.get(k));
            }
            List<String> outs = copy(body, bound, "loop" + it);
            state = new ArrayList<>(outs.subList(1, 1 + carried));
            for (int s = 0; s < scans; s++) {
                scanned.get(s).add(unsqueeze(outs.get(1 + carried + s), 0));
            }
        }
        for (int k = 0; k < carried && k < n.getOutputCount(); k++) {
            if (!n.getOutput(k).isEmpty()) {
                identity(state.get(k), n.getOutput(k));
            }
        }
        for (int s = 0; s < scans && carried + s < n.getOutputCount(); s++) {
            if (!n.getOutput(carried + s).isEmpty()) {
                concat(scanned.get(s), 0, n.getOutput(carried + s));
            }
        }
        return null;
    }

    /** Whether the body's condition output is its condition input (through Identity) or a constant true. */
    private static boolean alwaysTrue(GraphProto body) {
        String c = body.getOutput(0).getName();
        String in = body.getInput(1).getName();
        Map<String, NodeProto> producer = new HashMap<>();
        for (NodeProto m : body.getNodeList()) {
            m.getOutputList().forEach(o -> producer.put(o, m));
        }
        for (int guard = 0; guard < 1000; guard++) {
            if (c.equals(in)) {
                return true;
            }
            NodeProto p = producer.get(c);
            if (p == null) {
                for (TensorProto t : body.getInitializerList()) {
                    if (t.getName().equals(c)) {
                        long[] v = TensorProtos.toLongs(t);
                        return v.length == 1 && v[0] != 0;
                    }
                }
                return false;
            }
            if (p.getOpType().equals("Identity")) {
                c = p.getInput(0);
            } else if (p.getOpType().equals("Constant") && Attr.find(p, "value").isPresent()) {
                long[] v = TensorProtos.toLongs(Attr.find(p, "value").get().getT());
                return v.length == 1 && v[0] != 0;
            } else {
                return false;
            }
        }
        return false;
    }

    // ---- Scan (opset 9 and later) ----

    private String unrollScan(NodeProto n) {
        if (e.opset() < 9) {
            return "Scan before opset 9 (with a batch axis) is not unrolled";
        }
        GraphProto body = Attr.find(n, "body").map(AttributeProto::getG).orElseThrow();
        int m = (int) Attr.getInt(n, "num_scan_inputs", 0);
        int states = n.getInputCount() - m;
        int scans = body.getOutputCount() - states;
        long[] inAxes = Attr.getInts(n, "scan_input_axes", new long[m]);
        long[] inDirs = Attr.getInts(n, "scan_input_directions", new long[m]);
        long[] outAxes = Attr.getInts(n, "scan_output_axes", new long[scans]);
        long[] outDirs = Attr.getInts(n, "scan_output_directions", new long[scans]);
        long length = -1;
        int[] axes = new int[m];
        for (int j = 0; j < m; j++) {
            TensorMeta meta = metas.apply(n.getInput(states + j));
            axes[j] = RuleContext.axis(inAxes[j], meta.rank());
            long len = meta.shape()[axes[j]];
            if (length >= 0 && len != length) {
                return "its scan inputs have different lengths";
            }
            length = len;
        }
        if (length <= 0) {
            return "it has no scan input or an empty one";
        }
        List<String> state = new ArrayList<>(n.getInputList().subList(0, states));
        List<List<String>> scanned = new ArrayList<>();
        for (int s = 0; s < scans; s++) {
            scanned.add(new ArrayList<>());
        }
        for (long it = 0; it < length; it++) {
            Map<String, String> bound = new HashMap<>();
            for (int k = 0; k < states; k++) {
                bound.put(body.getInput(k).getName(), state.get(k));
            }
            for (int j = 0; j < m; j++) {
                long at = inDirs[j] != 0 ? length - 1 - it : it;
                bound.put(body.getInput(states + j).getName(), e.op("Gather",
                        List.of(n.getInput(states + j), longScalar(at)), Attr.i("axis", axes[j])));
            }
            List<String> outs = copy(body, bound, "scan" + it);
            state = new ArrayList<>(outs.subList(0, states));
            for (int s = 0; s < scans; s++) {
                scanned.get(s).add(outs.get(states + s));
            }
        }
        for (int k = 0; k < states && k < n.getOutputCount(); k++) {
            if (!n.getOutput(k).isEmpty()) {
                identity(state.get(k), n.getOutput(k));
            }
        }
        for (int s = 0; s < scans && states + s < n.getOutputCount(); s++) {
            String out = n.getOutput(states + s);
            if (out.isEmpty()) {
                continue;
            }
            List<String> parts = new ArrayList<>(scanned.get(s));
            if (outDirs[s] != 0) {
                Collections.reverse(parts);
            }
            TensorMeta om = metas.apply(out);
            int axis = RuleContext.axis(outAxes[s], om.rank());
            List<String> expanded = new ArrayList<>();
            for (String p : parts) {
                expanded.add(unsqueeze(p, axis));
            }
            concat(expanded, axis, out);
        }
        return null;
    }

    // ---- copying subgraphs ----

    /**
     * Appends the nodes of {@code g} with every name it defines renamed, its inputs bound to
     * {@code bound}; returns the names holding its outputs.
     */
    private List<String> copy(GraphProto g, Map<String, String> bound, String hint) {
        Map<String, String> renames = new HashMap<>(bound);
        for (ValueInfoProto v : g.getInputList()) {
            if (!renames.containsKey(v.getName())) {
                throw new IllegalStateException("unbound subgraph input " + v.getName());
            }
        }
        for (TensorProto t : g.getInitializerList()) {
            String name = e.fresh(hint + "_" + t.getName());
            renames.put(t.getName(), name);
            e.initializers().add(t.toBuilder().setName(name).build());
        }
        for (NodeProto m : g.getNodeList()) {
            for (String o : m.getOutputList()) {
                if (!o.isEmpty()) {
                    renames.put(o, e.fresh(hint + "_" + o));
                }
            }
        }
        for (NodeProto m : g.getNodeList()) {
            NodeProto.Builder b = rename(m, renames).toBuilder();
            for (int i = 0; i < b.getOutputCount(); i++) {
                if (!b.getOutput(i).isEmpty()) {
                    b.setOutput(i, renames.get(m.getOutput(i)));
                }
            }
            b.setName(e.fresh(hint + "_" + m.getName()));
            e.nodes().add(b.build());
        }
        List<String> outs = new ArrayList<>();
        for (ValueInfoProto v : g.getOutputList()) {
            outs.add(renames.getOrDefault(v.getName(), v.getName()));
        }
        return outs;
    }

    /** The node with its inputs renamed, also the free names inside its own subgraphs. */
    private static NodeProto rename(NodeProto n, Map<String, String> renames) {
        NodeProto.Builder b = n.toBuilder();
        for (int i = 0; i < b.getInputCount(); i++) {
            b.setInput(i, renames.getOrDefault(b.getInput(i), b.getInput(i)));
        }
        for (int i = 0; i < b.getAttributeCount(); i++) {
            AttributeProto a = b.getAttribute(i);
            if (a.hasG() || a.getGraphsCount() > 0) {
                AttributeProto.Builder ab = a.toBuilder();
                if (a.hasG()) {
                    ab.setG(renameFree(a.getG(), renames));
                }
                for (int j = 0; j < a.getGraphsCount(); j++) {
                    ab.setGraphs(j, renameFree(a.getGraphs(j), renames));
                }
                b.setAttribute(i, ab);
            }
        }
        return b.build();
    }

    private static GraphProto renameFree(GraphProto g, Map<String, String> renames) {
        Set<String> own = new HashSet<>();
        g.getInputList().forEach(v -> own.add(v.getName()));
        g.getInitializerList().forEach(t -> own.add(t.getName()));
        g.getNodeList().forEach(m -> own.addAll(m.getOutputList()));
        Map<String, String> free = new HashMap<>(renames);
        own.forEach(free::remove);
        GraphProto.Builder b = g.toBuilder().clearNode();
        for (NodeProto m : g.getNodeList()) {
            b.addNode(rename(m, free));
        }
        for (int i = 0; i < b.getOutputCount(); i++) {
            String r = free.get(b.getOutput(i).getName());
            if (r != null) {
                b.setOutput(i, b.getOutput(i).toBuilder().setName(r));
            }
        }
        return b.build();
    }

    // ---- small emitters ----

    private void identity(String from, String to) {
        e.nodes().add(NodeProto.newBuilder().setOpType("Identity").setName(e.fresh("inlined")).addInput(from)
                .addOutput(to).build());
    }

    private void concat(List<String> parts, int axis, String out) {
        e.nodes().add(NodeProto.newBuilder().setOpType("Concat").setName(e.fresh("unrolled")).addAllInput(parts)
                .addOutput(out).addAttribute(Attr.i("axis", axis)).build());
    }

    private String unsqueeze(String x, int axis) {
        if (e.opset() >= 13) {
            return e.op("Unsqueeze", List.of(x, e.longs(axis)));
        }
        return e.op("Unsqueeze", List.of(x), Attr.ints("axes", axis));
    }

    private String longScalar(long v) {
        TensorProto t = TensorProtos.longs(e.fresh("index"), new long[0], v);
        e.initializers().add(t);
        return t.getName();
    }

    private String boolScalar(boolean v) {
        TensorProto t = TensorProto.newBuilder().setName(e.fresh("true")).setDataType(TensorProto.DataType.BOOL_VALUE)
                .addInt32Data(v ? 1 : 0).build();
        e.initializers().add(t);
        return t.getName();
    }
}
