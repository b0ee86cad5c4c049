package org.explain4j.cli.text;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Tensor;

/**
 * Padded batch tensors of some texts: ids (padded with the pad id), attention mask, token types,
 * and each text's length.
 */
public record TokenBatch(Tensor ids, Tensor mask, Tensor types, int[] lengths) {
    /** The texts padded to the longest one with {@code pad}. */
    public static TokenBatch of(List<TokenizedText> texts, long pad) {
        int t = texts.stream().mapToInt(TokenizedText::size).max().orElse(1);
        int n = texts.size();
        long[] ids = new long[n * t];
        long[] mask = new long[n * t];
        long[] types = new long[n * t];
        int[] lengths = new int[n];
        Arrays.fill(ids, pad);
        for (int i = 0; i < n; i++) {
            List<TokenizedText.Token> tk = texts.get(i).tokens();
            lengths[i] = tk.size();
            for (int j = 0; j < tk.size(); j++) {
                ids[i * t + j] = tk.get(j).id();
                mask[i * t + j] = 1;
                types[i * t + j] = tk.get(j).typeId();
            }
        }
        return new TokenBatch(Tensor.ofLongs(ids, n, t), Tensor.ofLongs(mask, n, t), Tensor.ofLongs(types, n, t), lengths);
    }

    /** The first row repeated {@code n} times. */
    public TokenBatch repeat(int n) {
        int t = ids.dim(1);
        long[] i = new long[n * t];
        long[] m = new long[n * t];
        long[] y = new long[n * t];
        int[] l = new int[n];
        for (int r = 0; r < n; r++) {
            System.arraycopy(ids.toLongArray(), 0, i, r * t, t);
            System.arraycopy(mask.toLongArray(), 0, m, r * t, t);
            System.arraycopy(types.toLongArray(), 0, y, r * t, t);
            l[r] = lengths[0];
        }
        return new TokenBatch(Tensor.ofLongs(i, n, t), Tensor.ofLongs(m, n, t), Tensor.ofLongs(y, n, t), l);
    }

    /** The model's fed inputs: the mask and the token types, for those inputs the model has. */
    public Map<String, Tensor> fed(TokenInputs in) {
        Map<String, Tensor> f = new LinkedHashMap<>();
        if (in.mask() != null) {
            f.put(in.mask(), mask);
        }
        if (in.types() != null) {
            f.put(in.types(), types);
        }
        return f;
    }
}
