package org.explain4j.viz;

import java.awt.image.BufferedImage;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.explain4j.core.Attribution;
import org.explain4j.core.Diagnostics;
import org.explain4j.core.Provenance;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;

/** Small synthetic inputs and attributions for the tests. */
final class Fixtures {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    static final String SHA = "3f5a9c0e1b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a";

    private static final String[] SEVEN = {
        "........",
        ".######.",
        "......#.",
        ".....#..",
        "....#...",
        "...#....",
        "...#....",
        "........"};
    private static final String[] ONE = {
        "....#...",
        "...##...",
        "....#...",
        "....#...",
        "....#...",
        "....#...",
        "...###..",
        "........"};

    private Fixtures() {
    }

    static void headless() {
        // the static initialiser has run once this is called
    }

    /** Two 8x8 digit images, shape (2, 1, 8, 8), values in [0, 16] like scikit-learn's digits. */
    static Tensor digits() {
        double[] d = new double[2 * 64];
        String[][] imgs = {SEVEN, ONE};
        for (int n = 0; n < 2; n++) {
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    d[n * 64 + y * 8 + x] = imgs[n][y].charAt(x) == '#' ? 16.0 : (x + y) % 5 == 0 ? 2.0 : 0.0;
                }
            }
        }
        return Tensor.ofDoubles(d, 2, 1, 8, 8);
    }

    /** A signed attribution for {@link #digits()}: positive on the strokes, negative around them. */
    static Tensor signedAttribution() {
        double[] x = digits().toDoubleArray();
        double[] a = new double[x.length];
        for (int i = 0; i < a.length; i++) {
            int y = i % 64 / 8;
            a[i] = x[i] > 8 ? 0.02 * x[i] * (1 + 0.1 * y) : -0.05 * ((i * 7) % 5) / 4.0;
        }
        return Tensor.ofDoubles(a, 2, 1, 8, 8);
    }

    /** A non-negative attribution for {@link #digits()}. */
    static Tensor saliency() {
        double[] s = signedAttribution().toDoubleArray();
        for (int i = 0; i < s.length; i++) {
            s[i] = Math.abs(s[i]) + 0.01 * (i % 3);
        }
        return Tensor.ofDoubles(s, 2, 1, 8, 8);
    }

    /** A Grad-CAM-like layer map of shape (2, 1, 4, 4). */
    static Tensor layerMap() {
        double[] g = new double[2 * 16];
        for (int i = 0; i < g.length; i++) {
            int y = i % 16 / 4;
            int x = i % 4;
            g[i] = Math.max(0.0, 1.0 - 0.3 * Math.hypot(y - 1.5, x - (i < 16 ? 2.0 : 1.5)));
        }
        return Tensor.ofDoubles(g, 2, 1, 4, 4);
    }

    static Attribution attribution(String method, Tensor values) {
        Diagnostics d = new Diagnostics(120, Duration.ofMillis(42), Optional.of(new double[] {1.5e-6, -2.0e-6}),
                Optional.empty());
        return new Attribution(method, values, Target.of(7, 1), Map.of("steps", 64), OptionalLong.empty(), d,
                new Provenance("digits-cnn", SHA, "explain4j", "test", Instant.EPOCH));
    }

    static Attribution limeAttribution(Tensor values) {
        Diagnostics d = new Diagnostics(1000, Duration.ofMillis(1300), Optional.empty(),
                Optional.of(new double[] {0.91, 0.84}));
        return new Attribution("lime", values, Target.classIndex(7), Map.of("samples", 500, "alpha", 1.0),
                OptionalLong.of(7L), d, new Provenance("digits-cnn", SHA, "explain4j", "test", Instant.EPOCH));
    }

    static int distinctColours(BufferedImage img) {
        Set<Integer> c = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                c.add(img.getRGB(x, y) & 0xffffff);
            }
        }
        return c.size();
    }
}
