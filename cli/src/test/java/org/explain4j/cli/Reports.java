package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;

/** Reads what {@code explain} and {@code demo} write: report sections, embedded pictures, results. */
final class Reports {
    private static final Pattern SECTION = Pattern.compile("<section id=\"method-\\d+\">\\n<h2>(.*?)</h2>(.*?)</section>",
            Pattern.DOTALL);
    private static final Pattern COMMAND = Pattern.compile("<h3>Reproduce</h3>\\n<pre><code>(.*?)</code></pre>",
            Pattern.DOTALL);
    private static final Pattern DATA_URI = Pattern.compile("src=\"data:image/(png|svg\\+xml);base64,([A-Za-z0-9+/=]+)\"");

    private Reports() {
    }

    /** One method section of a report: its title, its reproduce command and its embedded pictures. */
    record Section(String title, String html, String command) {
        /** The embedded pictures: type ("png" or "svg+xml") and bytes. */
        List<Map.Entry<String, byte[]>> pictures() {
            List<Map.Entry<String, byte[]>> out = new ArrayList<>();
            Matcher m = DATA_URI.matcher(html);
            while (m.find()) {
                out.add(Map.entry(m.group(1), Base64.getDecoder().decode(m.group(2))));
            }
            return out;
        }
    }

    /** The method sections of a report, by title, in order. */
    static Map<String, Section> sections(String html) {
        Map<String, Section> out = new LinkedHashMap<>();
        Matcher m = SECTION.matcher(html);
        while (m.find()) {
            Matcher c = COMMAND.matcher(m.group(2));
            String command = c.find() ? unescape(c.group(1)) : "";
            out.put(unescape(m.group(1)), new Section(unescape(m.group(1)), m.group(2), command));
        }
        return out;
    }

    static String unescape(String s) {
        return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
                .replace("&amp;", "&");
    }

    /** POSIX-shell words of a command line with single-quoted parts (as the reports write them). */
    static List<String> shellWords(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (ch == '\'') {
                int end = line.indexOf('\'', i + 1);
                assertThat(end).as("closing quote in: %s", line).isPositive();
                w.append(line, i + 1, end);
                i = end;
                inWord = true;
            } else if (ch == '\\' && i + 1 < line.length()) {
                w.append(line.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(ch)) {
                if (inWord) {
                    words.add(w.toString());
                    w.setLength(0);
                    inWord = false;
                }
            } else {
                w.append(ch);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(w.toString());
        }
        return words;
    }

    static BufferedImage png(byte[] bytes) {
        try {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
            assertThat(img).as("a PNG that decodes").isNotNull();
            return img;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static BufferedImage png(Path file) {
        try {
            BufferedImage img = ImageIO.read(file.toFile());
            assertThat(img).as("%s decodes as a PNG", file).isNotNull();
            return img;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every pixel of {@code actual} equals {@code expected}'s. */
    static void assertSamePixels(String what, BufferedImage actual, BufferedImage expected) {
        assertThat(actual.getWidth()).as("%s: width", what).isEqualTo(expected.getWidth());
        assertThat(actual.getHeight()).as("%s: height", what).isEqualTo(expected.getHeight());
        for (int y = 0; y < expected.getHeight(); y++) {
            for (int x = 0; x < expected.getWidth(); x++) {
                if ((actual.getRGB(x, y) & 0xffffff) != (expected.getRGB(x, y) & 0xffffff)) {
                    throw new AssertionError(String.format("%s: pixel (%d, %d) is #%06x, expected #%06x", what, x, y,
                            actual.getRGB(x, y) & 0xffffff, expected.getRGB(x, y) & 0xffffff));
                }
            }
        }
    }

    /** The values of a written JSON result, checked against its declared shape. */
    static Tensor jsonValues(Path file) {
        try {
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            assertThat(root.path("format").asText()).as("%s: format", file).isEqualTo("explain4j.attribution");
            int[] shape = new int[root.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = root.get("shape").get(i).asInt();
            }
            double[] v = new double[root.get("values").size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = root.get("values").get(i).asDouble();
            }
            assertThat((long) v.length).as("%s: number of values, expected the product of its shape", file)
                    .isEqualTo(Tensor.sizeOf(shape));
            return Tensor.ofDoubles(v, shape);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** max|a - b| over max(1e-12, max|b|); the shapes must agree. */
    static double relativeError(String what, Tensor a, Tensor b) {
        assertThat(a.shape()).as("%s: shape", what).containsExactly(b.shape());
        double err = 0;
        double ref = 1e-12;
        for (int i = 0; i < b.size(); i++) {
            double d = Math.abs(a.getDouble(i) - b.getDouble(i));
            err = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(err, d);
            ref = Math.max(ref, Math.abs(b.getDouble(i)));
        }
        return err / ref;
    }

    /**
     * Runs a section's {@code explain4j attribute ...} command again, writing to {@code rerun}, and
     * returns what it wrote. The command must name {@code expectedOutput} as its output.
     */
    static Tensor rerun(Section s, Path expectedOutput, Path rerun) {
        List<String> words = shellWords(s.command());
        assertThat(words).as("%s: reproduce command starts with 'explain4j attribute'", s.title())
                .startsWith("explain4j", "attribute");
        List<String> args = new ArrayList<>(words.subList(1, words.size()));
        int o = args.indexOf("--output");
        assertThat(o).as("%s: the command names its --output", s.title()).isPositive();
        assertThat(Path.of(args.get(o + 1)).toAbsolutePath().normalize())
                .as("%s: the command's output, expected the written result", s.title())
                .isEqualTo(expectedOutput.toAbsolutePath().normalize());
        args.set(o + 1, rerun.toString());
        args.add("--quiet");
        CliRunner.Run r = CliRunner.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as("%s: exit code of the reproduce command (expected 0); stderr: %s", s.title(), r.err())
                .isZero();
        return Npy.read(rerun);
    }
}
