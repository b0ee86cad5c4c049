package org.explain4j.viz;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/** Reading pictures back: PNG files, data URIs in HTML, and what colour a pixel is. */
final class Pixels {
    private static final Pattern DATA_URI = Pattern.compile("src=\"data:image/(png|svg\\+xml);base64,([A-Za-z0-9+/=]+)\"");

    private Pixels() {
    }

    static BufferedImage readPng(Path file) {
        try {
            BufferedImage img = ImageIO.read(file.toFile());
            assertThat(img).as("%s decodes as an image", file).isNotNull();
            return img;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An embedded image of an HTML page: its type ("png" or "svg+xml") and bytes. */
    record Embedded(String type, byte[] bytes) {
        BufferedImage png() {
            try {
                BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
                assertThat(img).as("embedded PNG decodes").isNotNull();
                return img;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        String text() {
            return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** Every {@code src="data:image/...;base64,..."} of a page, in order. */
    static List<Embedded> embedded(String html) {
        List<Embedded> out = new ArrayList<>();
        Matcher m = DATA_URI.matcher(html);
        while (m.find()) {
            out.add(new Embedded(m.group(1), Base64.getDecoder().decode(m.group(2))));
        }
        return out;
    }

    static int r(int rgb) {
        return rgb >> 16 & 0xff;
    }

    static int g(int rgb) {
        return rgb >> 8 & 0xff;
    }

    static int b(int rgb) {
        return rgb & 0xff;
    }

    /** Clearly red: the red channel well above green and blue. */
    static boolean red(int rgb) {
        return r(rgb) > b(rgb) + 40 && r(rgb) > g(rgb) + 40;
    }

    /** Clearly blue: the blue channel well above red. */
    static boolean blue(int rgb) {
        return b(rgb) > r(rgb) + 40;
    }

    /** On the blue side of the diverging map, however light: blue above red. */
    static boolean bluish(int rgb) {
        return b(rgb) > r(rgb) + 10;
    }

    /** Every pixel of {@code actual} equals {@code expected}'s. */
    static void assertSamePixels(String what, BufferedImage actual, BufferedImage expected) {
        assertThat(actual.getWidth()).as("%s: width", what).isEqualTo(expected.getWidth());
        assertThat(actual.getHeight()).as("%s: height", what).isEqualTo(expected.getHeight());
        for (int y = 0; y < expected.getHeight(); y++) {
            for (int x = 0; x < expected.getWidth(); x++) {
                int a = actual.getRGB(x, y) & 0xffffff;
                int e = expected.getRGB(x, y) & 0xffffff;
                if (a != e) {
                    throw new AssertionError(String.format("%s: pixel (%d, %d) is #%06x, expected #%06x as rendered",
                            what, x, y, a, e));
                }
            }
        }
    }

    static String hex(int rgb) {
        return String.format("#%06x", rgb & 0xffffff);
    }
}
