package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Unrolls an LSTM, GRU or RNN node into its cell ops (MatMul, Add, Sigmoid, Tanh, Mul, Slice,
 * Concat, ...) over the concrete sequence length the shape probe saw, so that the ordinary
 * gradient and propagation rules apply to it. Every attribute of the ONNX ops is honoured:
 * directions, initial states, {@code sequence_lens} (constant values), peepholes,
 * {@code input_forget}, {@code linear_before_reset}, the activations with their alpha and beta,
 * {@code clip} and both layouts. The unrolled nodes compute exactly what the op computes.
 */
final class RecurrentUnrolling {
    private final GraphEmitter e;
    private final Function<String, TensorMeta> metas;
    private final Function<String, long[]> constants;

    /** The op's gates and activations, fixed per op type. */
    private record Cell(String op, int gates, int activations, List<String> defaults) {
    }

    RecurrentUnrolling(GraphEmitter emitter, Function<String, TensorMeta> metas, Function<String, long[]> constants) {
        this.e = emitter;
        this.metas = metas;
        this.constants = constants;
    }

    static boolean isRecurrent(NodeProto n) {
        return (n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx"))
                && (n.getOpType().equals("LSTM") || n.getOpType().equals("GRU") || n.getOpType().equals("RNN"));
    }

    /**
     * The node in a form ONNX Runtime's CPU kernels run (they take neither float64 nor
     * {@code layout = 1}), for the shape probe only: float32 through Casts, layout 0 through
     * Transposes; the outputs keep their names, types and shapes. Returns the node itself when
     * it already runs. {@code types} gives an initializer's or input's element type, or 0.
     */
    static List<NodeProto> runnable(NodeProto n, GraphEmitter e, ToIntFunction<String> types) {
        boolean batchFirst = Attr.getInt(n, "layout", 0) == 1;
        int type = types.applyAsInt(n.getInput(1));
        boolean wide = type == TensorProto.DataType.DOUBLE_VALUE;
        if (!batchFirst && !wide) {
            return List.of(n);
        }
        int mark = e.nodes().size();
        NodeProto.Builder inner = Attr.without(n, "layout").toBuilder().setName(e.fresh("probe_" + n.getName()));
        for (int i = 0; i < n.getInputCount(); i++) {
            String in = n.getInput(i);
            if (in.isEmpty() || i == 4) {
                continue;
            }
            if (wide) {
                in = e.op("Cast", List.of(in), Attr.i("to", TensorProto.DataType.FLOAT_VALUE));
            }
            if (batchFirst && (i == 0 || i == 5 || i == 6)) {
                in = e.op("Transpose", List.of(in), Attr.ints("perm", 1, 0, 2));
            }
            inner.setInput(i, in);
        }
        List<NodeProto> tail = new ArrayList<>();
        for (int i = 0; i < n.getOutputCount(); i++) {
            String out = n.getOutput(i);
            if (out.isEmpty()) {
                continue;
            }
            String v = e.fresh("probe_out");
            inner.setOutput(i, v);
            int before = e.nodes().size();
            if (batchFirst) {
                v = e.op("Transpose", List.of(v), i == 0 ? Attr.ints("perm", 2, 0, 1, 3) : Attr.ints("perm", 1, 0, 2));
            }
            if (wide) {
                v = e.op("Cast", List.of(v), Attr.i("to", type));
            }
            List<NodeProto> added = e.nodes().subList(before, e.nodes().size());
            tail.addAll(added);
            added.clear();
            tail.add(NodeProto.newBuilder().setOpType("Identity").setName(e.fresh("probe")).addInput(v).addOutput(out)
                    .build());
        }
        List<NodeProto> head = e.nodes().subList(mark, e.nodes().size());
        List<NodeProto> all = new ArrayList<>(head);
        head.clear();
        all.add(inner.build());
        all.addAll(tail);
        return all;
    }

    private static Cell cell(String op) {
        return switch (op) {
            case "LSTM" -> new Cell(op, 4, 3, List.of("Sigmoid", "Tanh", "Tanh"));
            case "GRU" -> new Cell(op, 3, 2, List.of("Sigmoid", "Tanh"));
            default -> new Cell(op, 1, 1, List.of("Tanh"));
        };
    }

    /**
     * Emits the unrolled form of {@code n} (whose outputs it writes under their own names), or
     * returns why it cannot (a {@code sequence_lens} that depends on the explained input).
     */
    String unroll(NodeProto n) {
        Cell cell = cell(n.getOpType());
        String x = n.getInput(0);
        TensorMeta xm = metas.apply(x);
        int type = xm.elemType();
        boolean batchFirst = Attr.getInt(n, "layout", 0) == 1;
        long seq = xm.shape()[batchFirst ? 1 : 0];
        long batch = xm.shape()[batchFirst ? 0 : 1];
        long inputSize = xm.shape()[2];
        TensorMeta wm = metas.apply(n.getInput(1));
        long hidden = Attr.getInt(n, "hidden_size", wm.shape()[1] / cell.gates());
        String direction = Attr.getString(n, "direction", "forward");
        int dirs = direction.equals("bidirectional") ? 2 : 1;
        if (!direction.equals("forward") && !direction.equals("reverse") && dirs == 1) {
            throw Unsupported.error(n, e.opset(), "direction '" + direction + "' is not forward, reverse or bidirectional");
        }
        long[] lengths = null;
        String lens = input(n, 4);
        if (lens != null) {
            lengths = constants.apply(lens);
            if (lengths == null) {
                return "its sequence_lens depend on the explained input";
            }
        }
        if (lengths != null && Arrays.stream(lengths).allMatch(l -> l == seq)) {
            lengths = null;
        }
        List<Activation> acts = activations(n, cell, dirs);
        Float clip = Attr.find(n, "clip").map(a -> a.getF()).orElse(null);

        String xs = batchFirst ? e.op("Transpose", List.of(x), Attr.ints("perm", 1, 0, 2)) : x;
        List<String> ys = new ArrayList<>();
        List<String> hs = new ArrayList<>();
        List<String> cs = new ArrayList<>();
        for (int d = 0; d < dirs; d++) {
            boolean reverse = direction.equals("reverse") || d == 1;
            Dir dir = new Dir(n, cell, d, reverse, seq, batch, inputSize, hidden, type, lengths, batchFirst,
                    acts.subList(d * cell.activations(), (d + 1) * cell.activations()), clip);
            dir.run(xs);
            ys.add(dir.y);
            hs.add(dir.h);
            cs.add(dir.c);
        }
        String y = dirs == 1 ? ys.get(0) : e.op("Concat", ys, Attr.i("axis", 1));
        String yh = dirs == 1 ? hs.get(0) : e.op("Concat", hs, Attr.i("axis", 0));
        String yc = cell.gates() != 4 ? null : dirs == 1 ? cs.get(0) : e.op("Concat", cs, Attr.i("axis", 0));
        if (batchFirst) {
            y = e.op("Transpose", List.of(y), Attr.ints("perm", 2, 0, 1, 3));
            yh = e.op("Transpose", List.of(yh), Attr.ints("perm", 1, 0, 2));
            yc = yc == null ? null : e.op("Transpose", List.of(yc), Attr.ints("perm", 1, 0, 2));
        }
        String[] results = {y, yh, yc};
        for (int i = 0; i < n.getOutputCount() && i < 3; i++) {
            if (!n.getOutput(i).isEmpty()) {
                e.nodes().add(NodeProto.newBuilder().setOpType("Identity").setName(e.fresh("unrolled_" + n.getName()))
                        .addInput(results[i]).addOutput(n.getOutput(i)).build());
            }
        }
        return null;
    }

    private static String input(NodeProto n, int i) {
        return i < n.getInputCount() && !n.getInput(i).isEmpty() ? n.getInput(i) : null;
    }

    // ---- activations ----

    private record Activation(String name, float alpha, float beta) {
    }

    private List<Activation> activations(NodeProto n, Cell cell, int dirs) {
        List<String> names = Attr.find(n, "activations").map(a -> a.getStringsList().stream()
                .map(s -> s.toStringUtf8()).toList()).orElse(null);
        if (names == null || names.isEmpty()) {
            names = new ArrayList<>();
            for (int d = 0; d < dirs; d++) {
                names.addAll(cell.defaults());
            }
        }
        if (names.size() != cell.activations() * dirs) {
            throw Unsupported.error(n, e.opset(), "it lists " + names.size() + " activations where "
                    + cell.activations() * dirs + " are needed");
        }
        float[] alphas = floats(n, "activation_alpha");
        float[] betas = floats(n, "activation_beta");
        int ai = 0;
        int bi = 0;
        List<Activation> out = new ArrayList<>();
        for (String s : names) {
            String name = s.toLowerCase(Locale.ROOT);
            float[] dflt = switch (name) {
                case "affine", "scaledtanh" -> new float[] {1f, 0f};
                case "leakyrelu" -> new float[] {0.01f, 0f};
                case "thresholdedrelu", "elu" -> new float[] {1f, 0f};
                case "hardsigmoid" -> new float[] {0.2f, 0.5f};
                case "sigmoid", "tanh", "relu", "softsign", "softplus" -> null;
                default -> throw Unsupported.error(n, e.opset(), "activation '" + s + "' is not one ONNX defines");
            };
            if (name.equals("scaledtanh")) {
                dflt[1] = 1f;
            }
            float alpha = 0;
            float beta = 0;
            if (dflt != null) {
                alpha = ai < alphas.length ? alphas[ai++] : dflt[0];
                boolean takesBeta = name.equals("affine") || name.equals("scaledtanh") || name.equals("hardsigmoid");
                if (takesBeta) {
                    beta = bi < betas.length ? betas[bi++] : dflt[1];
                }
            }
            out.add(new Activation(name, alpha, beta));
        }
        return out;
    }

    private static float[] floats(NodeProto n, String attr) {
        return Attr.find(n, attr).map(a -> {
            float[] f = new float[a.getFloatsCount()];
            for (int i = 0; i < f.length; i++) {
                f[i] = a.getFloats(i);
            }
            return f;
        }).orElse(new float[0]);
    }

    private String apply(Activation a, String x, int type) {
        return switch (a.name()) {
            case "sigmoid" -> e.op("Sigmoid", List.of(x));
            case "tanh" -> e.op("Tanh", List.of(x));
            case "relu" -> e.op("Relu", List.of(x));
            case "affine" -> e.op("Add", List.of(e.op("Mul", List.of(x, e.scalar(a.alpha(), type))),
                    e.scalar(a.beta(), type)));
            case "leakyrelu" -> wide(type) ? negativeSide(x, e.op("Mul", List.of(x, e.scalar(a.alpha(), type))), type)
                    : e.op("LeakyRelu", List.of(x), Attr.f("alpha", a.alpha()));
            case "thresholdedrelu" -> e.op("Mul", List.of(x, e.op("Cast",
                    List.of(e.op("Greater", List.of(x, e.scalar(a.alpha(), type)))), Attr.i("to", type))));
            case "scaledtanh" -> e.op("Mul", List.of(e.op("Tanh", List.of(e.op("Mul",
                    List.of(x, e.scalar(a.beta(), type))))), e.scalar(a.alpha(), type)));
            case "hardsigmoid" -> e.op("Clip", List.of(e.op("Add", List.of(e.op("Mul",
                    List.of(x, e.scalar(a.alpha(), type))), e.scalar(a.beta(), type))),
                    e.scalar(0, type), e.scalar(1, type)));
            case "elu" -> wide(type) ? negativeSide(x, e.op("Mul", List.of(e.op("Sub", List.of(e.op("Exp",
                    List.of(x)), e.scalar(1, type))), e.scalar(a.alpha(), type))), type)
                    : e.op("Elu", List.of(x), Attr.f("alpha", a.alpha()));
            case "softsign" -> e.op("Div", List.of(x, e.op("Add", List.of(e.scalar(1, type),
                    e.op("Abs", List.of(x))))));
            // max(x, 0) + log(1 + exp(-|x|)), which does not overflow
            case "softplus" -> wide(type) ? e.op("Add", List.of(e.op("Relu", List.of(x)), e.op("Log", List.of(
                    e.op("Add", List.of(e.scalar(1, type), e.op("Exp", List.of(e.op("Neg", List.of(e.op("Abs",
                    List.of(x))))))))))))
                    : e.op("Softplus", List.of(x));
            default -> throw new IllegalStateException(a.name());
        };
    }

    /** ONNX Runtime has float32 kernels only for LeakyRelu, Elu and Softplus: float64 uses their formulas. */
    private static boolean wide(int type) {
        return type == TensorProto.DataType.DOUBLE_VALUE;
    }

    /** {@code x < 0 ? negative : x}. */
    private String negativeSide(String x, String negative, int type) {
        return e.op("Where", List.of(e.op("Less", List.of(x, e.scalar(0, type))), negative, x));
    }

    // ---- one direction ----

    /** The unrolled steps of one direction; {@code y} [T,1,B,H], {@code h} and {@code c} [1,B,H]. */
    private final class Dir {
        private final NodeProto n;
        private final Cell cell;
        private final int d;
        private final boolean reverse;
        private final long seq;
        private final long batch;
        private final long inputSize;
        private final long hidden;
        private final int type;
        private final long[] lengths;
        private final boolean batchFirst;
        private final List<Activation> acts;
        private final Float clip;
        String y;
        String h;
        String c;

        Dir(NodeProto n, Cell cell, int d, boolean reverse, long seq, long batch, long inputSize, long hidden,
            int type, long[] lengths, boolean batchFirst, List<Activation> acts, Float clip) {
            this.n = n;
            this.cell = cell;
            this.d = d;
            this.reverse = reverse;
            this.seq = seq;
            this.batch = batch;
            this.inputSize = inputSize;
            this.hidden = hidden;
            this.type = type;
            this.lengths = lengths;
            this.batchFirst = batchFirst;
            this.acts = acts;
            this.clip = clip;
        }

        /** Row {@code d} of a per-direction tensor, reshaped to {@code shape}. */
        private String direction(String t, int axis, long... shape) {
            return e.reshape(slice(t, axis, d, d + 1), shape);
        }

        private String slice(String t, int axis, long start, long end) {
            return e.op("Slice", List.of(t, e.longs(start), e.longs(end), e.longs(axis)));
        }

        private String gate(String t, int g) {
            return slice(t, 1, g * hidden, (g + 1) * hidden);
        }

        private String clipped(String t) {
            return clip == null ? t : e.op("Clip", List.of(t, e.scalar(-clip, type), e.scalar(clip, type)));
        }

        private String act(int i, String t) {
            return apply(acts.get(i), clipped(t), type);
        }

        private String state(int input) {
            String s = input(n, input);
            if (s == null) {
                return e.floats(type, new long[] {batch, hidden}, new double[(int) (batch * hidden)]);
            }
            return direction(s, batchFirst ? 1 : 0, batch, hidden);
        }

        void run(String xs) {
            int g = cell.gates();
            long gh = g * hidden;
            String wt = e.op("Transpose", List.of(direction(n.getInput(1), 0, gh, inputSize)));
            String rt = e.op("Transpose", List.of(direction(n.getInput(2), 0, gh, hidden)));
            boolean lbr = cell.op().equals("GRU") && Attr.getInt(n, "linear_before_reset", 0) != 0;
            String xw = e.op("MatMul", List.of(xs, wt));
            String rbh = null;
            String b = input(n, 3);
            if (b != null) {
                String bd = direction(b, 0, 2 * gh);
                String wb = slice(bd, 0, 0, gh);
                String rb = slice(bd, 0, gh, 2 * gh);
                if (lbr) {
                    // the h gate's recurrence bias sits inside the reset gate's product
                    rbh = slice(rb, 0, 2 * hidden, 3 * hidden);
                    rb = e.op("Concat", List.of(slice(rb, 0, 0, 2 * hidden),
                            e.floats(type, new long[] {hidden}, new double[(int) hidden])), Attr.i("axis", 0));
                }
                xw = e.op("Add", List.of(xw, e.op("Add", List.of(wb, rb))));
            }
            String p = cell.gates() == 4 ? input(n, 7) : null;
            String[] peep = new String[3];
            if (p != null) {
                String pd = direction(p, 0, 3 * hidden);
                for (int k = 0; k < 3; k++) {
                    peep[k] = slice(pd, 0, k * hidden, (k + 1) * hidden);
                }
            }
            boolean coupled = cell.gates() == 4 && Attr.getInt(n, "input_forget", 0) != 0;
            String xwFlat = lengths != null && reverse ? e.reshape(xw, new long[] {seq * batch, gh}) : null;
            h = state(5);
            c = cell.gates() == 4 ? state(6) : null;
            String[] steps = new String[(int) seq];
            for (int k = 0; k < seq; k++) {
                String xk;
                if (xwFlat != null) {
                    long[] rows = new long[(int) batch];
                    for (int bi = 0; bi < batch; bi++) {
                        long t = k < lengths[bi] ? lengths[bi] - 1 - k : k;
                        rows[bi] = t * batch + bi;
                    }
                    xk = e.op("Gather", List.of(xwFlat, e.longs(rows)), Attr.i("axis", 0));
                } else {
                    long t = reverse ? seq - 1 - k : k;
                    xk = e.reshape(slice(xw, 0, t, t + 1), new long[] {batch, gh});
                }
                String hn;
                String cn = null;
                switch (cell.op()) {
                    case "LSTM" -> {
                        String gates = e.op("Add", List.of(xk, e.op("MatMul", List.of(h, rt))));
                        String gi = gate(gates, 0);
                        String go = gate(gates, 1);
                        String gf = gate(gates, 2);
                        String gc = gate(gates, 3);
                        if (p != null) {
                            gi = e.op("Add", List.of(gi, e.op("Mul", List.of(peep[0], c))));
                            gf = e.op("Add", List.of(gf, e.op("Mul", List.of(peep[2], c))));
                        }
                        String i = act(0, gi);
                        String f = coupled ? e.op("Sub", List.of(e.scalar(1, type), i)) : act(0, gf);
                        String cc = act(1, gc);
                        cn = e.op("Add", List.of(e.op("Mul", List.of(f, c)), e.op("Mul", List.of(i, cc))));
                        if (p != null) {
                            go = e.op("Add", List.of(go, e.op("Mul", List.of(peep[1], cn))));
                        }
                        String o = act(0, go);
                        hn = e.op("Mul", List.of(o, apply(acts.get(2), cn, type)));
                    }
                    case "GRU" -> {
                        String hzr = e.op("MatMul", List.of(h, slice(rt, 1, 0, 2 * hidden)));
                        String xzr = slice(xk, 1, 0, 2 * hidden);
                        String zr = e.op("Add", List.of(xzr, hzr));
                        String z = act(0, gate(zr, 0));
                        String r = act(0, gate(zr, 1));
                        String rh = slice(rt, 1, 2 * hidden, 3 * hidden);
                        String recur;
                        if (lbr) {
                            String hr = e.op("MatMul", List.of(h, rh));
                            recur = e.op("Mul", List.of(r, rbh == null ? hr : e.op("Add", List.of(hr, rbh))));
                        } else {
                            recur = e.op("MatMul", List.of(e.op("Mul", List.of(r, h)), rh));
                        }
                        String hh = act(1, e.op("Add", List.of(gate(xk, 2), recur)));
                        // (1 - z) * hh + z * h
                        hn = e.op("Add", List.of(e.op("Mul", List.of(e.op("Sub", List.of(e.scalar(1, type), z)), hh)),
                                e.op("Mul", List.of(z, h))));
                    }
                    default -> hn = act(0, e.op("Add", List.of(xk, e.op("MatMul", List.of(h, rt)))));
                }
                String out = hn;
                if (lengths != null) {
                    boolean[] live = new boolean[(int) batch];
                    for (int bi = 0; bi < batch; bi++) {
                        live[bi] = k < lengths[bi];
                    }
                    String mask = boolMask(live);
                    out = e.op("Where", List.of(mask, hn, e.floats(type, new long[] {1}, new double[] {0})));
                    hn = e.op("Where", List.of(mask, hn, h));
                    if (cn != null) {
                        cn = e.op("Where", List.of(mask, cn, c));
                    }
                }
                h = hn;
                c = cn;
                steps[k] = e.reshape(out, new long[] {1, 1, batch, hidden});
            }
            List<String> ordered = new ArrayList<>();
            if (reverse && lengths == null) {
                for (int k = (int) seq - 1; k >= 0; k--) {
                    ordered.add(steps[k]);
                }
            } else {
                ordered.addAll(List.of(steps));
            }
            y = ordered.size() == 1 ? ordered.get(0) : e.op("Concat", ordered, Attr.i("axis", 0));
            if (reverse && lengths != null) {
                // step k of batch b holds time lengths[b] - 1 - k; steps past a length are zeros
                long[] rows = new long[(int) (seq * batch)];
                for (int t = 0; t < seq; t++) {
                    for (int bi = 0; bi < batch; bi++) {
                        long k = t < lengths[bi] ? lengths[bi] - 1 - t : t;
                        rows[(int) (t * batch + bi)] = k * batch + bi;
                    }
                }
                String flat = e.reshape(y, new long[] {seq * batch, hidden});
                y = e.reshape(e.op("Gather", List.of(flat, e.longs(rows)), Attr.i("axis", 0)),
                        new long[] {seq, 1, batch, hidden});
            }
            if (lengths != null && Arrays.stream(lengths).anyMatch(l -> l == 0)) {
                // as ONNX Runtime: an empty sequence's final states are zeros, not the initial ones
                boolean[] nonEmpty = new boolean[(int) batch];
                for (int bi = 0; bi < batch; bi++) {
                    nonEmpty[bi] = lengths[bi] > 0;
                }
                String mask = boolMask(nonEmpty);
                String zero = e.floats(type, new long[] {1}, new double[] {0});
                h = e.op("Where", List.of(mask, h, zero));
                c = c == null ? null : e.op("Where", List.of(mask, c, zero));
            }
            h = e.reshape(h, new long[] {1, batch, hidden});
            c = c == null ? null : e.reshape(c, new long[] {1, batch, hidden});
        }

        private String boolMask(boolean[] live) {
            TensorProto.Builder t = TensorProto.newBuilder().setName(e.fresh("mask"))
                    .setDataType(TensorProto.DataType.BOOL_VALUE).addDims(live.length).addDims(1);
            for (boolean v : live) {
                t.addInt32Data(v ? 1 : 0);
            }
            TensorProto tp = t.build();
            e.initializers().add(tp);
            return tp.getName();
        }
    }
}
