package org.explain4j.onnx.grad.propagation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * The one LRP rule of linear layers, as Zennit 0.5.1's {@code BasicHook}: the layer
 * {@code z = W x + b} (see {@link LinearLayer}) is re-applied in {@link Term terms}, each with an
 * input modifier and parameter modifiers; the terms of a {@link Group} are summed (or subtracted)
 * into a denominator {@code z_g}, the relevance is normalised as {@code s_g = R / stabilize(z_g)}
 * (Zennit's gradient mapper; an output mask may keep only where the layer's actual output is
 * positive or negative), and each term hands back {@code x_t * W_t^T s_g}, scaled by the group's
 * coefficient (Zennit's reducer). Every LRP layer rule of {@link LinearRules} is a short
 * {@link Declaration} of this form.
 *
 * <p>Terms of one group that share an input modifier are summed before the multiplication by the
 * input, and so are those of several groups when every coefficient is 1: the fewest products.
 */
final class ModifiedLinearRule implements OpRule {
    /** An input modifier (Zennit's {@code input_modifiers}); equal modifiers are emitted once per node. */
    interface Input {
        /** The modified input, of the data input's shape. */
        String apply(RuleContext c, LinearLayer l);

        /** True when the modified input is all ones, so that multiplying by it can be skipped. */
        default boolean isOnes() {
            return false;
        }
    }

    /** A parameter modifier (Zennit's {@code param_modifiers}); equal modifiers are emitted once per node. */
    interface Param {
        /** The modified parameter {@code p} of shape {@code shape}; null to drop it (biases only). */
        String apply(RuleContext c, String p, long[] shape, int type);
    }

    /** The standard input modifiers. */
    enum Inputs implements Input {
        IDENTITY, POSITIVE, NEGATIVE, ONES;

        @Override
        public String apply(RuleContext c, LinearLayer l) {
            return switch (this) {
                case IDENTITY -> l.x();
                case POSITIVE -> Emit.positive(c, l.x());
                case NEGATIVE -> Emit.negative(c, l.x());
                case ONES -> Emit.ones(c, l.xShape(), l.type());
            };
        }

        @Override
        public boolean isOnes() {
            return this == ONES;
        }
    }

    /** The standard parameter modifiers: unchanged, positive or negative part, ones, square, dropped. */
    enum Params implements Param {
        IDENTITY, POSITIVE, NEGATIVE, ONES, SQUARE, DROP;

        @Override
        public String apply(RuleContext c, String p, long[] shape, int type) {
            return switch (this) {
                case IDENTITY -> p;
                case POSITIVE -> Emit.positive(c, p);
                case NEGATIVE -> Emit.negative(c, p);
                case ONES -> Emit.ones(c, shape, type);
                case SQUARE -> Emit.mul(c, p, p);
                case DROP -> null;
            };
        }
    }

    /** Gamma's modifier: {@code p + gamma * max(p, 0)} (up) or {@code p + gamma * min(p, 0)} (down). */
    record Gamma(double gamma, boolean up) implements Param {
        @Override
        public String apply(RuleContext c, String p, long[] shape, int type) {
            String part = up ? Emit.positive(c, p) : Emit.negative(c, p);
            return c.op("Add", List.of(p, c.op("Mul", part, c.scalar(gamma, type))));
        }
    }

    /** Which outputs a group's relevance is kept at: all, or where the layer's output is positive or negative. */
    enum Mask {
        ALL, OUTPUT_POSITIVE, OUTPUT_NEGATIVE
    }

    /** One re-application of the layer: {@code forward(input(x), weight(W), bias(b))}, added or subtracted. */
    record Term(Input input, Param weight, Param bias, boolean subtract) {
        Term {
            if (input == null || weight == null || bias == null) {
                throw new IllegalArgumentException("input, weight and bias modifiers are required");
            }
        }

        static Term of(Input input, Param weight, Param bias) {
            return new Term(input, weight, bias, false);
        }

        static Term minus(Input input, Param weight, Param bias) {
            return new Term(input, weight, bias, true);
        }
    }

    /** Terms normalised together, their relevance scaled by {@code coefficient}. */
    record Group(double coefficient, Mask mask, List<Term> terms) {
        Group {
            terms = List.copyOf(terms);
            if (terms.isEmpty() || terms.get(0).subtract() || !Double.isFinite(coefficient) || mask == null) {
                throw new IllegalArgumentException("a group needs a finite coefficient, a mask and a first term"
                        + " that is added");
            }
        }

        static Group of(Term... terms) {
            return new Group(1, Mask.ALL, List.of(terms));
        }
    }

    /** A rule: its stabiliser and groups. */
    record Spec(double stabilizer, List<Group> groups) {
        Spec {
            groups = List.copyOf(groups);
        }

        static Spec of(double stabilizer, Group... groups) {
            return new Spec(stabilizer, List.of(groups));
        }
    }

    /** Reads a node's parameters (gamma, alpha, beta, epsilon...) and declares the rule's terms. */
    @FunctionalInterface
    interface Declaration {
        Spec of(RuleContext c);
    }

    private final Declaration declaration;

    ModifiedLinearRule(Declaration declaration) {
        this.declaration = declaration;
    }

    @Override
    public void backward(RuleContext c) {
        LinearLayer l = LinearLayer.of(c);
        Spec spec = declaration.of(c);
        int t = l.type();
        Emitted e = new Emitted(c, l);
        boolean merged = spec.groups().stream().allMatch(g -> g.coefficient() == 1);
        Map<Key, List<String>> all = new LinkedHashMap<>();
        String result = null;
        for (Group g : spec.groups()) {
            // 1. The group's denominator: its terms summed (the layer's own output when unmodified).
            String z = null;
            for (Term term : g.terms()) {
                String f = isPlain(term) && g.terms().size() == 1 ? l.z()
                        : l.forward(e.input(term.input()), e.weight(term.weight()), e.bias(term.bias()));
                z = z == null ? f : term.subtract() ? Emit.sub(c, z, f) : Emit.add(c, z, f);
            }
            // 2. The normalised relevance, masked by the sign of the actual output if asked.
            String s = Emit.divideStabilized(c, c.grad(0), z, spec.stabilizer(), t);
            if (g.mask() != Mask.ALL) {
                String cmp = c.op(g.mask() == Mask.OUTPUT_POSITIVE ? "Greater" : "Less", l.z(), c.scalar(0, t));
                s = Emit.mul(c, c.op("Cast", cmp, Attr.i("to", t)), s);
            }
            // 3. Each term's share: W_t^T s, to be multiplied by its modified input.
            Map<Key, List<String>> backs = merged ? all : new LinkedHashMap<>();
            for (Term term : g.terms()) {
                backs.computeIfAbsent(new Key(term.input(), term.subtract()), k -> new ArrayList<>())
                        .add(l.backward(s, e.weight(term.weight())));
            }
            if (!merged) {
                String r = reduce(c, e, backs);
                double k = g.coefficient();
                if (result == null) {
                    result = k == 1 ? r : Emit.mul(c, r, c.scalar(k, t));
                } else if (k < 0) {
                    result = Emit.sub(c, result, k == -1 ? r : Emit.mul(c, r, c.scalar(-k, t)));
                } else {
                    result = Emit.add(c, result, k == 1 ? r : Emit.mul(c, r, c.scalar(k, t)));
                }
            }
        }
        l.addRelevance(merged ? reduce(c, e, all) : result);
    }

    private static boolean isPlain(Term t) {
        return t.input() == Inputs.IDENTITY && t.weight() == Params.IDENTITY && t.bias() == Params.IDENTITY
                && !t.subtract();
    }

    /** {@code sum_inputs (+-) input * sum(backs)} in the order the inputs first appear. */
    private static String reduce(RuleContext c, Emitted e, Map<Key, List<String>> backs) {
        String acc = null;
        for (Map.Entry<Key, List<String>> b : backs.entrySet()) {
            String sum = b.getValue().get(0);
            for (int i = 1; i < b.getValue().size(); i++) {
                sum = Emit.add(c, sum, b.getValue().get(i));
            }
            Input in = b.getKey().input();
            String r = in.isOnes() ? sum : Emit.mul(c, e.input(in), sum);
            acc = acc == null ? r : b.getKey().subtract() ? Emit.sub(c, acc, r) : Emit.add(c, acc, r);
        }
        return acc;
    }

    private record Key(Input input, boolean subtract) {
    }

    /** The modified inputs and parameters of one node, each emitted once. */
    private static final class Emitted {
        private final RuleContext c;
        private final LinearLayer l;
        private final Map<Object, String> done = new HashMap<>();

        Emitted(RuleContext c, LinearLayer l) {
            this.c = c;
            this.l = l;
        }

        String input(Input m) {
            return done.computeIfAbsent(m, k -> m.apply(c, l));
        }

        String weight(Param m) {
            return done.computeIfAbsent(List.of("weight", m), k -> m.apply(c, l.weight(), l.weightShape(), l.type()));
        }

        String bias(Param m) {
            if (l.bias() == null || m == Params.DROP) {
                return null;
            }
            return done.computeIfAbsent(List.of("bias", m), k -> m.apply(c, l.bias(), null, l.type()));
        }
    }
}
