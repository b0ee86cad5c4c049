package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Resize (ONNX opset 10-19) and the old Upsample (opset 7-9). Resize is linear in its input and
 * separable: along every resized axis each output element is a fixed combination of input
 * elements, so the gradient is each axis's {@code out x in} interpolation matrix transposed
 * ({@link AxisMaps}). The matrices follow the ONNX specification as ONNX Runtime computes it (in
 * float32): the output coordinate is mapped back by {@code coordinate_transformation_mode}
 * ({@code half_pixel}, {@code half_pixel_symmetric}, {@code pytorch_half_pixel},
 * {@code align_corners}, {@code asymmetric}, {@code tf_half_pixel_for_nn}); {@code nearest} picks
 * one input by {@code nearest_mode} ({@code round_prefer_floor}, {@code round_prefer_ceil},
 * {@code floor}, {@code ceil}), clamped to the axis; {@code linear} weighs the two neighbours of
 * the coordinate clamped to {@code [0, in - 1]}; {@code cubic} weighs four neighbours by Keys'
 * kernel with {@code cubic_coeff_a} (indices clamped to the edge, or with
 * {@code exclude_outside} the outside weights dropped and the rest renormalised). The scale of an
 * axis is the {@code scales} input's value, or {@code out / in} when {@code sizes} is given (or
 * the scales are computed inside the graph), adjusted by {@code keep_aspect_ratio_policy}
 * (opset 18); {@code axes} (opset 18) selects the axes they refer to. Upsample and Resize-10
 * (inputs X and scales) map coordinates asymmetrically and their nearest mode truncates (rounds
 * up when downsampling), as ONNX Runtime.
 * {@code tf_crop_and_resize} and antialiased downsampling are refused. Only the data input gets a
 * gradient.
 */
final class ResizeRule implements OpRule {
    private final boolean upsample;

    ResizeRule(boolean upsample) {
        this.upsample = upsample;
    }

    @Override
    public void backward(RuleContext c) {
        for (int i = 1; i < c.inputCount(); i++) {
            c.requireNoGrad(i);
        }
        long[] in = c.inputShape(0);
        long[] out = c.outputShape(0);
        String mode = c.attrString("mode", "nearest");
        // Upsample, and Resize-10 (inputs X and scales), map coordinates asymmetrically
        boolean old = upsample || c.opset() < 11;
        String transform = old ? "asymmetric" : c.attrString("coordinate_transformation_mode", "half_pixel");
        String nearest = old ? "simple" : c.attrString("nearest_mode", "round_prefer_floor");
        if (transform.equals("tf_crop_and_resize")) {
            throw c.unsupported("coordinate_transformation_mode 'tf_crop_and_resize' has no rule");
        }
        if (!mode.equals("nearest") && !mode.equals("linear") && !mode.equals("cubic")) {
            throw c.unsupported("mode '" + mode + "' is not an ONNX Resize mode (nearest, linear, cubic)");
        }
        if (old && mode.equals("cubic")) {
            throw c.unsupported("this opset's " + c.opType() + " has no cubic mode");
        }
        float[] scales = scales(c, in, out);
        double[][][] maps = new double[in.length][][];
        for (int a = 0; a < in.length; a++) {
            if (in[a] == out[a] && scales[a] == 1f) {
                continue;
            }
            if (c.attrInt("antialias", 0) != 0 && scales[a] < 1f && !mode.equals("nearest")) {
                throw c.unsupported("antialiased downsampling has no rule");
            }
            Axis axis = new Axis(c, transform, (int) in[a], (int) out[a], scales[a]);
            maps[a] = switch (mode) {
                case "nearest" -> axis.nearest(nearest);
                case "linear" -> axis.linear();
                default -> axis.cubic(c.attrFloat("cubic_coeff_a", -0.75f), c.attrInt("exclude_outside", 0) != 0);
            };
        }
        c.addGrad(0, AxisMaps.transposedApply(c, c.grad(0), out, maps, c.inputType(0)));
    }

    /** The scale of every axis, as ONNX Runtime uses it in the coordinate transform. */
    private float[] scales(RuleContext c, long[] in, long[] out) {
        int rank = in.length;
        long[] axes = c.attrInts("axes", null);
        if (axes == null) {
            axes = new long[rank];
            for (int a = 0; a < rank; a++) {
                axes[a] = a;
            }
        }
        float[] s = new float[rank];
        for (int a = 0; a < rank; a++) {
            s[a] = (float) out[a] / (float) in[a];
        }
        boolean old = upsample || c.opset() < 11;
        int scalesInput = old ? 1 : 2;
        double[] given = upsample && c.opset() < 9 ? attributeScales(c)
                : c.hasInput(scalesInput) ? c.constantFloats(scalesInput) : null;
        boolean sizes = !old && c.hasInput(3);
        if (given != null && given.length == axes.length && !sizes) {
            for (int k = 0; k < axes.length; k++) {
                s[RuleContext.axis(axes[k], rank)] = (float) given[k];
            }
            return s;
        }
        String policy = c.attrString("keep_aspect_ratio_policy", "stretch");
        if (sizes && !policy.equals("stretch")) {
            long[] wanted = c.constantInput(3);
            float common = policy.equals("not_larger") ? Float.MAX_VALUE : 0f;
            for (int k = 0; k < axes.length; k++) {
                int a = RuleContext.axis(axes[k], rank);
                float r = (float) wanted[k] / (float) in[a];
                common = policy.equals("not_larger") ? Math.min(common, r) : Math.max(common, r);
            }
            for (long axis : axes) {
                s[RuleContext.axis(axis, rank)] = common;
            }
        }
        return s;
    }

    /** Upsample-7's {@code scales} attribute. */
    private static double[] attributeScales(RuleContext c) {
        return Attr.find(c.node(), "scales")
                .map(a -> a.getFloatsList().stream().mapToDouble(Float::doubleValue).toArray()).orElse(null);
    }

    /** The interpolation matrices of one axis. */
    private record Axis(RuleContext c, String transform, int in, int out, float scale) {

        /** The input coordinate of output position {@code o}, in float32 as ONNX Runtime computes it. */
        float original(int o) {
            float x = o;
            return switch (transform) {
                case "half_pixel" -> (x + 0.5f) / scale - 0.5f;
                case "half_pixel_symmetric" -> {
                    float adjustment = out / (in * scale);
                    float offset = in / 2f * (1 - adjustment);
                    yield offset + (x + 0.5f) / scale - 0.5f;
                }
                case "pytorch_half_pixel" -> out > 1 ? (x + 0.5f) / scale - 0.5f : 0f;
                case "align_corners" -> out == 1 ? 0f : x * (in - 1) / (out - 1);
                case "asymmetric" -> x / scale;
                case "tf_half_pixel_for_nn" -> (x + 0.5f) / scale;
                default -> throw c.unsupported("coordinate_transformation_mode '" + transform
                        + "' is not an ONNX value");
            };
        }

        double[][] nearest(String mode) {
            int[] src = new int[out];
            for (int o = 0; o < out; o++) {
                float x = original(o);
                double fl = Math.floor(x);
                boolean half = x - fl == 0.5f;
                double p = switch (mode) {
                    case "round_prefer_floor" -> half ? fl : Math.round(x);
                    case "round_prefer_ceil" -> half ? fl + 1 : Math.round(x);
                    case "floor" -> fl;
                    case "ceil" -> Math.ceil(x);
                    case "simple" -> scale < 1f ? Math.ceil(x) : (long) x;
                    default -> throw c.unsupported("nearest_mode '" + mode + "' is not an ONNX value");
                };
                src[o] = (int) Math.min(Math.max(p, 0), in - 1);
            }
            return AxisMaps.selection(src, in);
        }

        double[][] linear() {
            double[][] m = new double[out][in];
            for (int o = 0; o < out; o++) {
                float x = Math.max(0f, Math.min(original(o), in - 1));
                int x1 = Math.min((int) Math.floor(x), in - 1);
                int x2 = Math.min(x1 + 1, in - 1);
                float f = x - x1;
                m[o][x1] += 1 - f;
                m[o][x2] += f;
            }
            return m;
        }

        double[][] cubic(float a, boolean excludeOutside) {
            double[][] m = new double[out][in];
            for (int o = 0; o < out; o++) {
                float x = original(o);
                int base = (int) Math.floor(x);
                float s = x - base;
                double[] w = {
                    ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a,
                    ((a + 2) * s - (a + 3)) * s * s + 1,
                    ((a + 2) * (1 - s) - (a + 3)) * (1 - s) * (1 - s) + 1,
                    ((a * (2 - s) - 5 * a) * (2 - s) + 8 * a) * (2 - s) - 4 * a};
                double kept = 0;
                for (int k = 0; k < 4; k++) {
                    int p = base - 1 + k;
                    if (excludeOutside && (p < 0 || p >= in)) {
                        w[k] = 0;
                    }
                    kept += w[k];
                }
                for (int k = 0; k < 4; k++) {
                    int p = Math.min(Math.max(base - 1 + k, 0), in - 1);
                    m[o][p] += excludeOutside ? w[k] / kept : w[k];
                }
            }
            return m;
        }
    }
}
