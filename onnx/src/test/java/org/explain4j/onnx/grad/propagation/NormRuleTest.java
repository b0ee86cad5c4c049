package org.explain4j.onnx.grad.propagation;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The norm rule (Zennit's Norm) on sums and average pooling against the naive matrix form. */
class NormRuleTest {
    private static final double TOL = 2e-4;
    private static final RuleSet NORM = new RuleSet("norm", List.of(
            new RuleSet.Assignment(new RuleSet.Selector.OpType("MatMul"), "epsilon", Map.of("epsilon", 0.01)),
            over("Add"), over("AveragePool"), over("GlobalAveragePool")));

    private static RuleSet.Assignment over(String op) {
        return new RuleSet.Assignment(new RuleSet.Selector.OpType(op), "norm", Map.of("epsilon", 1e-3));
    }

    @Test
    void residualSumAndBias_splitRelevanceByContribution() {
        Random rnd = new Random(3);
        Net net = Net.input(-1, 6).random("W", rnd, -1, 1, 6, 6).random("C", rnd, -0.5, 0.5, 6)
                .node("MatMul", List.of("x", "W"), "a").node("Add", List.of("a", "x"), "y")
                .node("Add", List.of("y", "C"), "out");
        double[][] w = NaiveLrp.dense(net.values("W"), 6, 6, false, 1);
        double[] c = net.values("C");
        Tensor x = LrpRulesTest.random(rnd, 3, 6);
        double[] rel = LrpRulesTest.random(rnd, 3, 6).toDoubleArray();
        double[] actual = run(net.build("out"), x, rel);
        double[] expected = LrpRulesTest.perExample(null, x, rel, (xn, rn) -> {
            double[] a = NaiveLrp.z(w, null, xn);
            double[] y = NaiveLrp.add(a, xn);
            double[] out = NaiveLrp.add(y, c);
            double[] relY = new double[6];
            double[] s = new double[6];
            for (int k = 0; k < 6; k++) {
                relY[k] = y[k] * rn[k] / NaiveLrp.stabilize(out[k], 1e-3);
                s[k] = relY[k] / NaiveLrp.stabilize(y[k], 1e-3);
            }
            double[] relA = NaiveLrp.times(a, s);
            return NaiveLrp.add(NaiveLrp.times(xn, s), NaiveLrp.epsilon(w, null, xn, relA, 0.01));
        });
        assertThat(Fixtures.relativeError(actual, expected)).as("Add norm against the naive form")
                .isLessThanOrEqualTo(TOL);
    }

    @ParameterizedTest(name = "count_include_pad={0}")
    @ValueSource(ints = {0, 1})
    void averagePool_matchesTheNaivePoolingMatrix(int includePad) {
        Random rnd = new Random(4);
        ModelProto m = Net.input(-1, 3, 7, 6).node("AveragePool", "x", "y", Attr.ints("kernel_shape", 3, 3),
                Attr.ints("strides", 2, 2), Attr.ints("pads", 1, 1, 1, 1), Attr.i("count_include_pad", includePad))
                .build("y");
        Tensor x = LrpRulesTest.random(rnd, 2, 3, 7, 6);
        double[] rel = LrpRulesTest.random(rnd, 2, 3, 4, 3).toDoubleArray();
        double[][] pool = new double[3 * 4 * 3][3 * 7 * 6];
        for (int ch = 0; ch < 3; ch++) {
            for (int oy = 0; oy < 4; oy++) {
                for (int ox = 0; ox < 3; ox++) {
                    int row = (ch * 4 + oy) * 3 + ox;
                    int count = 0;
                    for (int i = 0; i < 3; i++) {
                        for (int j = 0; j < 3; j++) {
                            int iy = oy * 2 - 1 + i;
                            int ix = ox * 2 - 1 + j;
                            boolean inside = iy >= 0 && iy < 7 && ix >= 0 && ix < 6;
                            count += inside || includePad == 1 ? 1 : 0;
                            if (inside) {
                                pool[row][(ch * 7 + iy) * 6 + ix] = 1;
                            }
                        }
                    }
                    for (int k = 0; k < pool[row].length; k++) {
                        pool[row][k] /= count;
                    }
                }
            }
        }
        double[] expected = LrpRulesTest.perExample(null, x, rel,
                (xn, rn) -> NaiveLrp.epsilon(pool, null, xn, rn, 1e-3));
        assertThat(Fixtures.relativeError(run(m, x, rel), expected)).as("AveragePool norm against the naive form")
                .isLessThanOrEqualTo(TOL);
    }

    @Test
    void globalAveragePool_matchesTheNaivePoolingMatrix() {
        Random rnd = new Random(6);
        ModelProto m = Net.input(-1, 3, 4, 5).node("GlobalAveragePool", "x", "y").build("y");
        Tensor x = LrpRulesTest.random(rnd, 2, 3, 4, 5);
        double[] rel = LrpRulesTest.random(rnd, 2, 3, 1, 1).toDoubleArray();
        double[][] pool = new double[3][60];
        for (int k = 0; k < 60; k++) {
            pool[k / 20][k] = 1.0 / 20;
        }
        double[] expected = LrpRulesTest.perExample(null, x, rel,
                (xn, rn) -> NaiveLrp.epsilon(pool, null, xn, rn, 1e-3));
        assertThat(Fixtures.relativeError(run(m, x, rel), expected)).as("GlobalAveragePool norm against the naive form")
                .isLessThanOrEqualTo(TOL);
    }

    private static double[] run(ModelProto model, Tensor x, double[] rel) {
        OnnxDifferentiableModel m = Fixtures.load(model);
        try {
            return Fixtures.backward(m, x, rel, m.forward(x).shape(), NORM);
        } finally {
            Fixtures.close(m);
        }
    }
}
