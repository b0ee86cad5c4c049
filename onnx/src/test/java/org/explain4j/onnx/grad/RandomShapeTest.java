package org.explain4j.onnx.grad;

import static org.explain4j.onnx.grad.TestModels.DOUBLE;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Broadcasting binary ops and batched MatMul on random shapes, against finite differences. (Plain
 * seeded JUnit cases rather than jqwik properties, which would leave a database file behind.)
 */
class RandomShapeTest {

    /** A random shape of rank 1..3 and the shape of an operand that broadcasts against it. */
    private static long[][] broadcastPair(Random rnd) {
        int rank = 1 + rnd.nextInt(3);
        long[] a = new long[rank];
        for (int i = 0; i < rank; i++) {
            a[i] = 1 + rnd.nextInt(3);
        }
        int rankB = 1 + rnd.nextInt(rank);
        long[] b = new long[rankB];
        for (int i = 0; i < rankB; i++) {
            long d = a[rank - rankB + i];
            b[i] = rnd.nextBoolean() ? d : 1;
        }
        // sometimes the input is the smaller operand
        return rnd.nextBoolean() ? new long[][] {a, b} : new long[][] {b, a};
    }

    private static int[] ints(long[] s) {
        return Arrays.stream(s).mapToInt(Math::toIntExact).toArray();
    }

    static LongStream seeds() {
        return LongStream.range(0, 20);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void broadcastingBinaryOps(long seed) {
        Random rnd = new Random(seed);
        String op = List.of("Add", "Sub", "Mul", "Div").get(rnd.nextInt(4));
        long[][] shapes = broadcastPair(rnd);
        boolean inputFirst = rnd.nextBoolean();
        List<String> in = inputFirst ? List.of("x", "W") : List.of("W", "x");
        ModelProto m = TestModels.opset(13).input("x", DOUBLE, shapes[0]).random("W", DOUBLE, rnd, 0.5, 2, shapes[1])
                .node(op, in, List.of("o")).node("Tanh", "o", "y").output("y", DOUBLE).build();
        Tensor x = GradCheck.random(rnd, DType.FLOAT64, 0.5, 2, ints(shapes[0]));
        GradCheck.checkInputGradient(m, x, 1e-6, 1e-6);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void batchedMatMul(long seed) {
        Random rnd = new Random(seed);
        long m = 1 + rnd.nextInt(3);
        long k = 1 + rnd.nextInt(3);
        long n = 1 + rnd.nextInt(3);
        long batch = 1 + rnd.nextInt(3);
        long[] a = rnd.nextBoolean() ? new long[] {batch, m, k} : new long[] {m, k};
        long[] b = rnd.nextBoolean() ? new long[] {rnd.nextBoolean() ? batch : 1, k, n} : new long[] {k, n};
        boolean xIsA = rnd.nextBoolean();
        ModelProto model = TestModels.opset(13).input("x", DOUBLE, xIsA ? a : b)
                .random("W", DOUBLE, rnd, -1, 1, xIsA ? b : a)
                .node("MatMul", xIsA ? List.of("x", "W") : List.of("W", "x"), List.of("y"))
                .output("y", DOUBLE).build();
        Tensor x = GradCheck.random(rnd, DType.FLOAT64, -1, 1, ints(xIsA ? a : b));
        GradCheck.checkInputGradient(model, x, 1e-6, 1e-6);
    }
}
