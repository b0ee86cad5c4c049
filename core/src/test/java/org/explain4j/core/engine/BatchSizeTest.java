package org.explain4j.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.model.FunctionModel;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BatchSizeTest {
    @AfterEach
    void clearBudget() {
        System.clearProperty(MemoryBudget.PROPERTY);
    }

    static FunctionModel sums(int features, int outputs) {
        return FunctionModel.perExample("sums", ModelSignature.of(DType.FLOAT32, new int[] {features}, outputs), x -> {
            double[] y = new double[outputs];
            for (int i = 0; i < x.length; i++) {
                y[i % outputs] += x[i];
            }
            return y;
        });
    }

    /** A model that reports its own row sizes, as an ONNX model does from its probe. */
    record Estimating(long forward, long backward) implements Model, RowMemory {
        @Override
        public Tensor forward(Tensor input) {
            return Tensor.zeros(DType.FLOAT32, input.batchSize(), 1);
        }

        @Override
        public ModelSignature signature() {
            return ModelSignature.of(DType.FLOAT32, new int[] {4}, 1);
        }

        @Override
        public ModelInfo info() {
            return new ModelInfo("estimating", "none");
        }

        @Override
        public OptionalLong bytesPerRow(Tensor row, Map<String, Tensor> fedRow, Call call) {
            return OptionalLong.of(call == Call.BACKWARD ? backward : forward);
        }
    }

    private static int auto(Model m, int features, RowMemory.Call call, int min) {
        Tensor x = Tensor.zeros(DType.FLOAT32, 3, features);
        return BatchSize.resolve(BatchSize.AUTO, m, x, FedInputs.Bound.none(3), call, min);
    }

    @Test
    void budgetText_isBytesOrPowersOf1024() {
        assertEquals(512L << 20, MemoryBudget.parse("512m", "memory-budget"));
        assertEquals(2L << 30, MemoryBudget.parse("2G", "memory-budget"));
        assertEquals(64L << 10, MemoryBudget.parse("64kb", "memory-budget"));
        assertEquals(1_000_000L, MemoryBudget.parse("1000000", "memory-budget"));
        assertEquals(3L << 29, MemoryBudget.parse("1.5g", "memory-budget"));
    }

    @Test
    void badBudgetText_isOneLineErrorNamingTheArgument() {
        Explain4jException e = assertThrows(Explain4jException.class, () -> MemoryBudget.parse("lots", "--memory-budget"));
        assertEquals("--memory-budget 'lots' is not a size (e.g. 1g, 512m, 1073741824)", e.getMessage());
        Explain4jException zero = assertThrows(Explain4jException.class, () -> MemoryBudget.parse("0", "--memory-budget"));
        assertTrue(zero.getMessage().startsWith("--memory-budget '0' must be a positive size"), zero.getMessage());
    }

    @Test
    void noPropertyOrEnvironment_budgetIsOneGibibyte() {
        if (System.getenv(MemoryBudget.ENVIRONMENT) == null) {
            assertEquals(1L << 30, MemoryBudget.bytes());
        }
        System.setProperty(MemoryBudget.PROPERTY, "3m");
        assertEquals(3L << 20, MemoryBudget.bytes());
    }

    @Test
    void rows_areBudgetOverRowBytesBetweenMinimumAndCap() {
        assertEquals(10, MemoryBudget.rows(1000, 100, 1));
        assertEquals(9, MemoryBudget.rows(999, 100, 1));
        assertEquals(1, MemoryBudget.rows(1000, 3000, 1));
        assertEquals(2, MemoryBudget.rows(1000, 3000, 2));
        // the cap: 256 rows of ordinary rows, more of small ones (16 MiB of rows a call, at most 16384)
        assertEquals(MemoryBudget.MAX_ROWS, MemoryBudget.rows(1L << 30, 200_000, 1));
        assertEquals(MemoryBudget.MAX_ROWS, MemoryBudget.rows(1L << 30, 64 << 10, 1));
        assertEquals(512, MemoryBudget.rows(1L << 30, 32 << 10, 1));
        assertEquals(4096, MemoryBudget.rows(1L << 30, 4096, 1));
        assertEquals(MemoryBudget.MAX_SMALL_ROWS, MemoryBudget.rows(1L << 30, 1, 1));
        assertEquals(16384, MemoryBudget.MAX_SMALL_ROWS);
        // the budget still binds below the cap
        assertEquals(1000, MemoryBudget.rows(1000L * 1024, 1024, 1));
    }

    @Test
    void functionModel_autoFollowsInputAndOutputRowBytes() {
        // one row: features * 4 bytes (float32 input) + outputs * 8 bytes (float64 as read back)
        System.setProperty(MemoryBudget.PROPERTY, Long.toString(416L * 7));
        assertEquals(7, auto(sums(100, 2), 100, RowMemory.Call.FORWARD, 1));
        // ten times the input row: 4016 bytes a row, so 2912 / 4016 rounds down to the minimum 1
        assertEquals(1, auto(sums(1000, 2), 1000, RowMemory.Call.FORWARD, 1));
        System.setProperty(MemoryBudget.PROPERTY, Long.toString(4016L * 5 + 4015));
        assertEquals(5, auto(sums(1000, 2), 1000, RowMemory.Call.FORWARD, 1));
        assertEquals(57, auto(sums(100, 2), 100, RowMemory.Call.FORWARD, 1)); // 24095 / 416
    }

    @Test
    void estimatingModel_largerRowsGetSmallerBatchPerCallKind() {
        System.setProperty(MemoryBudget.PROPERTY, "30000");
        Estimating small = new Estimating(1000, 3000);
        Estimating large = new Estimating(10_000, 30_000);
        assertEquals(30, auto(small, 4, RowMemory.Call.FORWARD, 1));
        assertEquals(10, auto(small, 4, RowMemory.Call.BACKWARD, 1));
        assertEquals(3, auto(large, 4, RowMemory.Call.FORWARD, 1));
        assertEquals(1, auto(large, 4, RowMemory.Call.BACKWARD, 1));
        assertEquals(2, auto(large, 4, RowMemory.Call.BACKWARD, 2));
    }

    @Test
    void explicitSize_isKeptWhateverTheBudget() {
        System.setProperty(MemoryBudget.PROPERTY, "1");
        Tensor x = Tensor.zeros(DType.FLOAT32, 3, 100);
        assertEquals(64, BatchSize.resolve(64, sums(100, 2), x, FedInputs.Bound.none(3), RowMemory.Call.FORWARD, 1));
    }

    @Test
    void zeroOrNegativeSize_isRefusedNamingTheOption() {
        Explain4jException zero = assertThrows(Explain4jException.class, () -> BatchSize.check(0));
        assertEquals("batch-size must be at least 1 (got 0)", zero.getMessage());
        assertThrows(Explain4jException.class, () -> BatchSize.check(-5));
        assertEquals(BatchSize.AUTO, BatchSize.check(BatchSize.AUTO));
        Explain4jException one = assertThrows(Explain4jException.class, () -> BatchSize.check(1, 2, " for DeepLIFT"));
        assertEquals("batch-size must be at least 2 for DeepLIFT (got 1)", one.getMessage());
    }

    @Test
    void engineGivenAuto_chunksByTheResolvedSize() {
        System.setProperty(MemoryBudget.PROPERTY, Long.toString(416L * 7));
        AtomicInteger most = new AtomicInteger();
        FunctionModel inner = sums(100, 2);
        Model counting = FunctionModel.batched("counting", inner.signature(), x -> {
            most.accumulateAndGet(x.batchSize(), Math::max);
            return inner.forward(x);
        });
        EvaluationEngine e = new EvaluationEngine(counting, BatchSize.AUTO);
        assertEquals(7, e.batchSize());
        e.forward(Tensor.zeros(DType.FLOAT32, 30, 100));
        assertEquals(7, most.get());
        assertEquals(30, e.evaluations());
    }
}
