package org.explain4j.onnx.grad.propagation;

import org.explain4j.onnx.grad.RuleContext;

/**
 * DeepLIFT's batch convention: rows {@code 0..N-1} are the inputs and rows {@code N..2N-1} their
 * references (the concrete batch size is {@code 2N}).
 */
final class Halves {
    final long n;
    final long rows;

    Halves(RuleContext c) {
        long[] x = c.inputShape(0);
        rows = x.length == 0 ? 0 : x[0];
        if (rows == 0 || rows % 2 != 0) {
            throw c.unsupported("DeepLIFT needs a batch of the inputs followed by their references (an even"
                    + " number of rows along axis 0), but this node sees " + rows + " rows");
        }
        n = rows / 2;
    }

    /** {@code [t - t_ref; t - t_ref]}: the difference from the reference, for both halves. */
    String delta(RuleContext c, String t) {
        String d = Emit.sub(c, first(c, t), second(c, t));
        return Emit.stack(c, d, d);
    }

    String first(RuleContext c, String t) {
        return Emit.rows(c, t, 0, n);
    }

    String second(RuleContext c, String t) {
        return Emit.rows(c, t, n, rows);
    }
}
