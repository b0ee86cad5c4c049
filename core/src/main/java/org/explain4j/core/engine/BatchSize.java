package org.explain4j.core.engine;

import java.util.Map;
import java.util.OptionalLong;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.model.Model;

/**
 * The {@code batch-size} option that every method and engine shares: its one check, and the
 * automatic size ({@link #AUTO}, the default) that follows the {@link MemoryBudget}.
 *
 * <p>{@code auto} = {@code floor(budget / bytesPerRow)} rows, at least the method's minimum (1; 2
 * for DeepLIFT), at most {@link MemoryBudget#maxRows(long)} ({@value MemoryBudget#MAX_ROWS}, more for
 * rows under 64 KiB). {@code bytesPerRow} comes from the model
 * when it implements {@link RowMemory} (an ONNX model: the activations of a probe run of one row,
 * times a factor for a backward pass); otherwise it is the bytes of one input row plus one output
 * row. Results do not depend on the batch size, only speed and memory do.
 */
public final class BatchSize {
    /** The option's name, as the method catalogue and every error message call it. */
    public static final String OPTION = "batch-size";
    /** The value that asks for the automatic size (the default); the option's text is {@code auto}. */
    public static final int AUTO = -1;

    private BatchSize() {
    }

    /** {@code n} when it is {@link #AUTO} or at least 1; otherwise a usage error naming {@value #OPTION}. */
    public static int check(int n) {
        return check(n, 1, "");
    }

    /**
     * {@code n} when it is {@link #AUTO} or at least {@code min}; otherwise a usage error naming
     * {@value #OPTION} with {@code reason} (e.g. ", because each input is evaluated with its reference").
     */
    public static int check(int n, int min, String reason) {
        if (n != AUTO && n < min) {
            throw Explain4jException.usage(OPTION, OPTION + " must be at least " + min + reason + " (got " + n + ")");
        }
        return n;
    }

    /** {@code n} as written in listings: {@code auto} or the number. */
    public static String describe(int n) {
        return n == AUTO ? "auto" : Integer.toString(n);
    }

    /**
     * The rows per call for {@code requested}: itself when given; for {@link #AUTO}, the most rows
     * of examples like {@code input}'s first (with the fed inputs of that example) that keep a
     * call of kind {@code call} under the {@link MemoryBudget}, at least {@code min}.
     */
    public static int resolve(int requested, Model model, Tensor input, FedInputs.Bound fed, RowMemory.Call call,
                              int min) {
        check(requested, min, "");
        if (requested != AUTO) {
            return requested;
        }
        Tensor row = input.slice(0, 1);
        Map<String, Tensor> fedRow = fed.isEmpty() ? Map.of() : fed.rows(0, 1, r -> 0);
        return MemoryBudget.rows(MemoryBudget.bytes(), bytesPerRow(model, row, fedRow, call), min);
    }

    /**
     * The rows per call for {@code requested} when no input is at hand (an engine made directly):
     * {@link #AUTO} is sized for a zero example of the model's declared shape (open dimensions as 1).
     */
    static int resolve(int requested, Model model, RowMemory.Call call) {
        if (requested != AUTO) {
            return requested;
        }
        int[] ex = model.signature().exampleShape();
        int[] shape = new int[ex.length + 1];
        shape[0] = 1;
        for (int i = 0; i < ex.length; i++) {
            shape[i + 1] = Math.max(1, ex[i]);
        }
        Tensor row = Tensor.zeros(model.signature().inputType(), shape);
        OptionalLong b = model.signature().fedInputNames().isEmpty() ? OptionalLong.empty()
                : OptionalLong.of(ioBytesPerRow(model, row));
        long bytes = b.isPresent() ? b.getAsLong() : bytesPerRow(model, row, Map.of(), call);
        return MemoryBudget.rows(MemoryBudget.bytes(), bytes, 1);
    }

    /** The model's own estimate of one row, else the bytes of its input row and output row. */
    public static long bytesPerRow(Model model, Tensor row, Map<String, Tensor> fedRow, RowMemory.Call call) {
        if (model instanceof RowMemory rm) {
            OptionalLong b = rm.bytesPerRow(row, fedRow, call);
            if (b.isPresent() && b.getAsLong() > 0) {
                return b.getAsLong();
            }
        }
        long fed = 0;
        for (Tensor t : fedRow.values()) {
            fed += (long) t.size() * bytes(t.dtype());
        }
        return ioBytesPerRow(model, row) + fed;
    }

    /** Bytes of one input row (the model's input type) and one output row (float64, as the engine reads it). */
    static long ioBytesPerRow(Model model, Tensor row) {
        long in = (long) row.exampleSize() * bytes(model.signature().inputType());
        long out = 8L * Math.max(1, model.signature().outputSize());
        return in + out;
    }

    /** Bytes per element of {@code t}. */
    public static int bytes(DType t) {
        return switch (t) {
            case FLOAT32, INT32 -> 4;
            case FLOAT64, INT64 -> 8;
        };
    }
}
