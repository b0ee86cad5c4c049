package org.explain4j.cli.text;

import java.util.HashMap;
import java.util.Map;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;

/**
 * A token model seen through deletion: token id {@link #DELETED} in a row means "this token is
 * not there". Each row is compacted before the model sees it (the remaining tokens move left,
 * the row is refilled with the pad id and attention mask 0 at the end), with its attention mask
 * and token types moved alike. So the deletion baseline of the perturbation methods is the
 * constant {@link #DELETED} at the tokens being explained, and the model sees real shorter texts,
 * never an id it does not know.
 */
public final class DeletionModel implements Model {
    /** The id that marks a deleted token. */
    public static final long DELETED = -1;

    private final Model inner;
    private final String maskInput;
    private final String typeInput;
    private final long padId;

    /**
     * @param inner     the token model, explaining its ids input
     * @param maskInput its attention-mask input (fed), or null
     * @param typeInput its token-type input (fed), or null
     * @param padId     the tokenizer's pad id
     */
    public DeletionModel(Model inner, String maskInput, String typeInput, long padId) {
        this.inner = inner;
        this.maskInput = maskInput;
        this.typeInput = typeInput;
        this.padId = padId;
    }

    @Override
    public Tensor forward(Tensor input) {
        return forward(input, Map.of());
    }

    @Override
    public Tensor forward(Tensor input, Map<String, Tensor> fed) {
        int n = input.batchSize();
        int t = input.exampleSize();
        long[] ids = input.toLongArray();
        Tensor mask = maskInput == null ? null : fed.get(maskInput);
        Tensor types = typeInput == null ? null : fed.get(typeInput);
        long[] m = mask == null ? null : rows(mask, n, t);
        long[] ty = types == null ? null : rows(types, n, t);
        long[] outIds = new long[n * t];
        long[] outMask = new long[n * t];
        long[] outTypes = new long[n * t];
        java.util.Arrays.fill(outIds, padId);
        for (int r = 0; r < n; r++) {
            int k = 0;
            for (int j = 0; j < t; j++) {
                int at = r * t + j;
                if (ids[at] == DELETED) {
                    continue;
                }
                outIds[r * t + k] = ids[at];
                outMask[r * t + k] = m == null ? 1 : m[at];
                outTypes[r * t + k] = ty == null ? 0 : ty[at];
                k++;
            }
        }
        Map<String, Tensor> f = new HashMap<>(fed);
        if (mask != null) {
            f.put(maskInput, Tensor.ofLongs(outMask, n, t).to(mask.dtype()));
        }
        if (types != null) {
            f.put(typeInput, Tensor.ofLongs(outTypes, n, t).to(types.dtype()));
        }
        return inner.forward(Tensor.ofLongs(outIds, n, t).to(input.dtype()), f);
    }

    /** The fed tensor as n rows of t values (a row shared by all examples is repeated). */
    private static long[] rows(Tensor fed, int n, int t) {
        long[] v = fed.toLongArray();
        if (v.length == n * t) {
            return v;
        }
        long[] out = new long[n * t];
        for (int r = 0; r < n; r++) {
            System.arraycopy(v, 0, out, r * t, t);
        }
        return out;
    }

    @Override
    public ModelSignature signature() {
        return inner.signature();
    }

    @Override
    public ModelInfo info() {
        return inner.info();
    }
}
