package org.explain4j.onnx.grad.rules;

import java.util.ArrayList;
import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.RuleContext;

/**
 * The input gradient of a strided 2-D Conv as unit-stride convolutions, one per output phase,
 * instead of a ConvTranspose (which ONNX Runtime's CPU provider runs as a GEMM and col2im on plain
 * NCHW, outside its blocked convolution kernels).
 *
 * <p>Along one axis, with stride s, dilation d and begin pad p, input position {@code i = s q + r}
 * ({@code 0 <= r < s}) receives {@code W[k] g[o]} for every tap k with {@code s o + d k - p = i},
 * that is for the taps k with {@code d k - p - r} divisible by s, from
 * {@code o = q - (d k - p - r) / s}.
 * Those taps form an arithmetic progression {@code k0, k0 + t, ...} with {@code t = s / gcd(d, s)},
 * so phase r is a unit-stride convolution of g with that sub-kernel (a constant Slice of the
 * weights, then the same channel swap and flip as the unit-stride rule; ONNX Runtime folds both at
 * session creation), dilation {@code d / gcd(d, s)}, and pads chosen so that every phase has
 * {@code ceil(in / s)} positions. With strides (s, s) the s*s phase results are stacked along the
 * channels and interleaved by DepthToSpace (DCR order: channel block {@code rh * s + rw}), then
 * cropped to the input's size. The arithmetic is the same as the ConvTranspose's (each tap
 * once per input position, in another summation order), so results agree within float32 rounding.
 *
 * <p>Applies where it pays on ONNX Runtime's CPU provider: optimised forms, 2-D, equal strides of
 * at least 2, float32 with the gradient's and the result's channels multiples of 16 (blocked
 * layout), and taps on every phase (not so a 1x1 stride-2 shortcut, whose one phase would have to
 * be placed by a Pad, which ONNX Runtime runs slower than the ConvTranspose's GEMM and col2im). A
 * phase whose pads come out negative (pads wider than half the window) convolves a cropped
 * gradient. Otherwise the caller keeps its ConvTranspose. System property
 * {@code explain4j.grad.stridedConv}: {@code polyphase} (default), {@code transpose} (always the
 * ConvTranspose, the earlier form), {@code polyphase-all} (also narrow channel counts, e.g. an RGB
 * stem, for measurements). The LRP layers ({@code propagation/LinearLayer}) use the same forms
 * through {@link ConvRule#inputGradient}.
 */
public final class Polyphase {
    /** The system property that picks the strided Conv gradient's form. */
    public static final String PROPERTY = "explain4j.grad.stridedConv";

    private Polyphase() {
    }

    /** The form in use: {@code polyphase}, {@code transpose} or {@code polyphase-all}. */
    public static String mode() {
        String v = System.getProperty(PROPERTY, "polyphase").trim();
        return switch (v) {
            case "polyphase", "transpose", "polyphase-all" -> v;
            default -> throw org.explain4j.core.Explain4jException.usage("-D" + PROPERTY, "system property " + PROPERTY
                    + " is '" + v + "': use polyphase, transpose or polyphase-all");
        };
    }

    /** One phase along one axis: the taps {@code k0, k0 + step, ...} ({@code count} of them), dilation and pads. */
    private record Phase(long k0, long count, long step, long dilation, long padBegin, long padEnd) {
    }

    /**
     * The input gradient of the Conv of {@code c} (weights {@code weights} of shape {@code w},
     * {@code group}), applied to {@code g}, as phase convolutions, or null where this form does
     * not apply (the caller then emits a ConvTranspose).
     */
    static String inputGradient(RuleContext c, Windows win, String g, String weights, long[] w, long group) {
        String mode = mode();
        if (!c.optimisedForms() || mode.equals("transpose") || win.kernel.length != 2 || c.targetOpset() < 11) {
            return null;
        }
        long s = win.strides[0];
        if (s < 2 || win.strides[1] != s) {
            return null;
        }
        long[] x = c.inputShape(0);
        if (!mode.equals("polyphase-all") && !(Blocked.eligible(c, c.meta(c.input(0))) && w[0] % 16 == 0)) {
            return null;
        }
        int n = 2;
        long[] q = new long[n];
        Phase[][] phases = new Phase[n][];
        for (int i = 0; i < n; i++) {
            q[i] = (win.in[i] + s - 1) / s;
            phases[i] = new Phase[Math.toIntExact(s)];
            for (int r = 0; r < s; r++) {
                Phase p = phase(win, i, r, q[i]);
                if (p != null && win.out[i] + Math.min(0, p.padEnd) - Math.max(0, -p.padBegin) <= 0) {
                    return null; // the phase reads no gradient row at all (pads wider than the input)
                }
                phases[i][r] = p;
            }
        }
        List<long[]> withTaps = new ArrayList<>();
        for (int rh = 0; rh < s; rh++) {
            for (int rw = 0; rw < s; rw++) {
                if (phases[0][rh] != null && phases[1][rw] != null) {
                    withTaps.add(new long[] {rh, rw});
                }
            }
        }
        long channels = x[1];
        if (withTaps.size() != s * s) {
            // one phase with taps (a 1x1 stride-2 shortcut): placing it by Pad or by zero phases
            // cost more than ONNX Runtime's GEMM and col2im of the ConvTranspose (profiled)
            return null;
        }
        List<String> parts = new ArrayList<>();
        for (long[] rr : withTaps) {
            parts.add(phaseConv(c, g, weights, w, group, phases[0][(int) rr[0]], phases[1][(int) rr[1]]));
        }
        String stacked = c.op("Concat", parts, Attr.i("axis", 1));
        String placed = c.op("DepthToSpace", List.of(stacked), Attr.i("blocksize", s), Attr.s("mode", "DCR"));
        if (q[0] * s != win.in[0] || q[1] * s != win.in[1]) {
            placed = c.op("Slice", List.of(placed, c.longs(0, 0), c.longs(win.in[0], win.in[1]), c.longs(2, 3)));
        }
        if (Blocked.eligible(c, c.meta(c.input(0)))) {
            // DepthToSpace runs in plain NCHW: an identity depthwise convolution brings the
            // gradient back into the blocked layout before it meets the sums and masks below
            placed = Blocked.scale(c, placed, channels, 1.0);
        }
        return placed;
    }

    /** Phase {@code r} along axis {@code i}, or null when no tap of the kernel lands on it. */
    private static Phase phase(Windows win, int i, int r, long q) {
        long s = win.strides[i];
        long d = win.dilations[i];
        long pb = win.padBegin[i];
        long k = win.kernel[i];
        long step = s / gcd(d, s);
        long k0 = -1;
        for (long t = 0; t < Math.min(step, k); t++) {
            if (Math.floorMod(d * t - pb - r, s) == 0) {
                k0 = t;
                break;
            }
        }
        if (k0 < 0) {
            return null;
        }
        long count = (k - 1 - k0) / step + 1;
        long dilation = d * step / s;
        long e0 = Math.floorDiv(d * k0 - pb - r, s);
        long reach = dilation * (count - 1);
        long padBegin = reach + e0;
        long padEnd = q - win.out[i] - padBegin + reach;
        return new Phase(k0, count, step, dilation, padBegin, padEnd);
    }

    /**
     * The unit-stride convolution of the gradient that gives phase (ph, pw). A negative pad (the
     * phase starts past the first gradient row, or ends before the last) crops the gradient instead.
     */
    private static String phaseConv(RuleContext c, String gradient, String weights, long[] w, long group,
                                    Phase ph, Phase pw) {
        String g = gradient;
        if (ph.padBegin < 0 || pw.padBegin < 0 || ph.padEnd < 0 || pw.padEnd < 0) {
            long[] out = c.outputShape(0);
            g = c.op("Slice", List.of(g, c.longs(Math.max(0, -ph.padBegin), Math.max(0, -pw.padBegin)),
                    c.longs(out[2] + Math.min(0, ph.padEnd), out[3] + Math.min(0, pw.padEnd)), c.longs(2, 3)));
        }
        String sub = c.op("Slice", List.of(weights, c.longs(ph.k0, pw.k0), c.longs(w[2], w[3]), c.longs(2, 3),
                c.longs(ph.step, pw.step)));
        long[] subShape = {w[0], w[1], ph.count, pw.count};
        String flipped = ConvRule.flippedWeights(c, sub, subShape, group);
        return c.op("Conv", List.of(g, flipped), Attr.ints("kernel_shape", ph.count, pw.count),
                Attr.ints("strides", 1, 1), Attr.ints("dilations", ph.dilation, pw.dilation),
                Attr.ints("pads", Math.max(0, ph.padBegin), Math.max(0, pw.padBegin), Math.max(0, ph.padEnd),
                        Math.max(0, pw.padEnd)), Attr.i("group", group));
    }

    private static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
