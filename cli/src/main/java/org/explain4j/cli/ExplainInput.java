package org.explain4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.model.ModelSignature;

/**
 * An input for {@code explain}, read from an image (PNG/JPEG), an {@code .npy} tensor, a CSV
 * file with a header, or a file of token ids with a vocabulary, and turned into the model's
 * input batch; with what is needed to show it (the image before normalisation, feature names,
 * tokens).
 */
record ExplainInput(Kind kind, Tensor batch, Tensor display, List<String> featureNames, List<List<String>> tokens) {
    /** What the input is, which decides how results are shown. */
    enum Kind {
        IMAGE, TABULAR, TOKENS
    }

    /**
     * Image preprocessing: size (H, W: always two, {@link #of} refuses others), per-channel mean and
     * standard deviation, channel order.
     */
    record Preprocessing(Optional<int[]> resize, double[] mean, double[] std, String channels) {
        static Preprocessing of(String resize, String mean, String std, String channels, Optional<JsonNode> card) {
            Optional<int[]> size = Optional.ofNullable(resize).map(r -> Parse.ints("--resize", r));
            double[] m = mean == null ? null : numbers("--mean", mean);
            double[] s = std == null ? null : numbers("--std", std);
            String ch = channels;
            if (card.isPresent()) {
                JsonNode c = card.get();
                if (size.isEmpty() && c.has("resize")) {
                    size = Optional.of(new int[] {c.get("resize").get(0).asInt(), c.get("resize").get(1).asInt()});
                }
                if (m == null && c.has("mean")) {
                    m = array(c.get("mean"));
                }
                if (s == null && c.has("std")) {
                    s = array(c.get("std"));
                }
                if (ch == null && c.has("channels")) {
                    ch = c.get("channels").asText();
                }
            }
            ch = ch == null ? "rgb" : ch.toLowerCase(Locale.ROOT);
            if (!ch.equals("rgb") && !ch.equals("bgr")) {
                throw Explain4jException.usage("--channels", "--channels '" + ch + "' must be rgb or bgr");
            }
            for (double v : s == null ? new double[0] : s) {
                if (!(v > 0)) {
                    throw Explain4jException.usage("--std", "--std values must be positive");
                }
            }
            size.ifPresent(r -> {
                if (r.length != 2 || r[0] <= 0 || r[1] <= 0) {
                    throw Explain4jException.usage("--resize", "--resize must be two positive sizes H,W, e.g. --resize 224,224");
                }
            });
            return new Preprocessing(size, m == null ? new double[] {0} : m, s == null ? new double[] {1} : s, ch);
        }

        /** Refuses a --mean or --std whose length is neither 1 nor the image's number of channels. */
        void requireChannels(int c) {
            if (mean.length != 1 && mean.length != c) {
                throw Explain4jException.usage("--mean", "--mean has " + mean.length + " values but the model's images have "
                        + c + " channel" + (c == 1 ? "; give 1 value" : "s; give 1 or " + c + " values"));
            }
            if (std.length != 1 && std.length != c) {
                throw Explain4jException.usage("--std", "--std has " + std.length + " values but the model's images have "
                        + c + " channel" + (c == 1 ? "; give 1 value" : "s; give 1 or " + c + " values"));
            }
        }

        private static double[] numbers(String flag, String text) {
            String[] parts = text.split(",");
            double[] out = new double[parts.length];
            for (int i = 0; i < parts.length; i++) {
                out[i] = Parse.number(flag, parts[i]);
            }
            return out;
        }

        private static double[] array(JsonNode a) {
            double[] out = new double[a.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = a.get(i).asDouble();
            }
            return out;
        }
    }

    /** Reads a model card (JSON), if one is given. */
    static Optional<JsonNode> card(Path path) {
        if (path == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ObjectMapper().readTree(path.toFile()));
        } catch (IOException e) {
            throw Explain4jException.file("--card", "--card " + path + " is not readable JSON: " + Main.oneLine(e.getMessage()));
        }
    }

    /** Loads {@code file} for a model with signature {@code sig}. */
    static ExplainInput load(Path file, ModelSignature sig, Preprocessing pre, Path vocab) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!Files.isRegularFile(file)) {
            throw Explain4jException.file("--input", "--input file not found: " + file + "; check the path");
        }
        if (name.endsWith(".png") || name.endsWith(".jpg") || name.endsWith(".jpeg")) {
            return image(file, sig, pre);
        }
        if (name.endsWith(".csv")) {
            return csv(file, sig);
        }
        if (name.endsWith(".npy")) {
            Tensor t = Npy.read(file, "--input");
            Kind kind = t.rank() >= 3 ? Kind.IMAGE : !t.dtype().isFloating() ? Kind.TOKENS : Kind.TABULAR;
            List<List<String>> tokens = kind == Kind.TOKENS ? tokens(t, vocab) : List.of();
            return new ExplainInput(kind, t, t, names(t), tokens);
        }
        if (name.endsWith(".txt") || name.endsWith(".ids")) {
            return ids(file, vocab);
        }
        throw Explain4jException.usage("--input", "--input " + file + ": unknown kind of file; give a .png/.jpg image, "
                + "an .npy tensor, a .csv table with a header, or a .txt file of token ids (with --vocab)");
    }

    private static ExplainInput image(Path file, ModelSignature sig, Preprocessing pre) {
        BufferedImage img = decode(file);
        int[] ex = sig.exampleShape();
        if (ex.length != 3) {
            throw Explain4jException.shape("--input", "--input is an image but the model takes examples of shape "
                    + Tensor.shapeString(ex) + "; images need a model input (N, C, H, W)");
        }
        int c = ex[0] > 0 ? ex[0] : 3;
        pre.requireChannels(c);
        int h = pre.resize().map(r -> r[0]).orElse(ex[1] > 0 ? ex[1] : img.getHeight());
        int w = pre.resize().map(r -> r[1]).orElse(ex[2] > 0 ? ex[2] : img.getWidth());
        if ((ex[1] > 0 && h != ex[1]) || (ex[2] > 0 && w != ex[2])) {
            throw Explain4jException.shape("--resize", "--resize " + h + "," + w + " does not match the model's fixed image size "
                    + ex[1] + "x" + ex[2] + " (input " + Tensor.shapeString(ex) + "); leave --resize out or give --resize "
                    + ex[1] + "," + ex[2]);
        }
        BufferedImage scaled = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(img, 0, 0, w, h, null);
        g.dispose();
        float[] unit = new float[c * h * w];
        float[] norm = new float[c * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = scaled.getRGB(x, y);
                double[] px = {(rgb >> 16 & 255) / 255.0, (rgb >> 8 & 255) / 255.0, (rgb & 255) / 255.0};
                for (int k = 0; k < c; k++) {
                    double v = c == 1 ? (0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2])
                            : px[pre.channels().equals("bgr") ? 2 - k : k];
                    int at = (k * h + y) * w + x;
                    unit[at] = (float) v;
                    double mean = pre.mean()[pre.mean().length == 1 ? 0 : k];
                    double std = pre.std()[pre.std().length == 1 ? 0 : k];
                    norm[at] = (float) ((v - mean) / std);
                }
            }
        }
        return new ExplainInput(Kind.IMAGE, Tensor.ofFloats(norm, 1, c, h, w), Tensor.ofFloats(unit, 1, c, h, w), List.of(),
                List.of());
    }

    /** Most pixels an input image may declare: a header claiming more is refused before any decoding. */
    static final long MAX_PIXELS = 1L << 26;

    /**
     * Decodes a PNG or JPEG; refuses a header that claims more than {@link #MAX_PIXELS} pixels (the
     * decoder would allocate them before reading any data) and any malformed file, with the
     * project's error.
     */
    private static BufferedImage decode(Path file) {
        try (javax.imageio.stream.ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            java.util.Iterator<javax.imageio.ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers != null && readers.hasNext()) {
                javax.imageio.ImageReader reader = readers.next();
                try {
                    reader.setInput(in, true, true);
                    long w = reader.getWidth(0);
                    long h = reader.getHeight(0);
                    if (w <= 0 || h <= 0 || w * h > MAX_PIXELS) {
                        throw Explain4jException.file("--input", "--input " + file + " declares " + w + " x " + h
                                + " pixels; images of at most " + MAX_PIXELS + " pixels are read");
                    }
                    BufferedImage img = reader.read(0);
                    if (img != null) {
                        return img;
                    }
                } finally {
                    reader.dispose();
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof Explain4jException x) {
                throw x;
            }
            // a malformed file: the same answer as an unreadable one
        }
        throw Explain4jException.file("--input", "--input " + file + " is not a readable PNG or JPEG image");
    }

    private static ExplainInput csv(Path file, ModelSignature sig) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw Explain4jException.file("--input", "--input " + file + " cannot be read: " + e.getMessage());
        }
        if (lines.size() < 2) {
            throw Explain4jException.file("--input", "--input " + file + " needs a header line and at least one row");
        }
        List<String> header = List.of(lines.get(0).split(",")).stream().map(String::trim).toList();
        int rows = lines.size() - 1;
        double[] data = new double[rows * header.size()];
        for (int r = 0; r < rows; r++) {
            String[] cells = lines.get(r + 1).split(",");
            if (cells.length != header.size()) {
                throw Explain4jException.file("--input", "--input " + file + ": row " + (r + 1) + " has " + cells.length
                        + " values but the header names " + header.size() + " columns");
            }
            for (int k = 0; k < cells.length; k++) {
                data[r * header.size() + k] = cell(file, r + 1, header.get(k), cells[k]);
            }
        }
        Tensor t = sig.inputType() == DType.FLOAT64 ? Tensor.ofDoubles(data, rows, header.size())
                : Tensor.ofDoublesAsFloats(data, rows, header.size());
        return new ExplainInput(Kind.TABULAR, t, t, header, List.of());
    }

    /** One CSV cell: a finite number, else one line naming the row (1 = the first after the header) and column. */
    private static double cell(Path file, int row, String column, String text) {
        String t = text.trim();
        double v;
        try {
            v = Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw Explain4jException.file("--input", "--input " + file + ": row " + row + ", column '" + column + "' holds '"
                    + t + "', not a number; write a number in every cell");
        }
        if (!Double.isFinite(v)) {
            throw new Explain4jException(org.explain4j.core.ErrorKind.NON_FINITE, "--input", "--input " + file + ": row " + row
                    + ", column '" + column + "' is " + t + "; replace NaN and infinite values before explaining");
        }
        return v;
    }

    private static ExplainInput ids(Path file, Path vocab) {
        List<long[]> rows = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                String[] parts = line.trim().split("[\\s,]+");
                long[] ids = new long[parts.length];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = Long.parseLong(parts[i]);
                }
                rows.add(ids);
            }
        } catch (IOException | NumberFormatException e) {
            throw Explain4jException.file("--input", "--input " + file + " must hold token ids, one sequence per line");
        }
        if (rows.isEmpty() || rows.stream().anyMatch(r -> r.length != rows.get(0).length)) {
            throw Explain4jException.shape("--input", "--input " + file + " needs sequences of equal length (pad them)");
        }
        int t = rows.get(0).length;
        long[] all = new long[rows.size() * t];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, all, i * t, t);
        }
        Tensor ids = Tensor.ofLongs(all, rows.size(), t);
        return new ExplainInput(Kind.TOKENS, ids, ids, names(ids), tokens(ids, vocab));
    }

    private static List<List<String>> tokens(Tensor ids, Path vocab) {
        List<String> words = List.of();
        if (vocab != null) {
            try {
                words = Files.readAllLines(vocab, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw Explain4jException.file("--vocab", "--vocab " + vocab + " cannot be read: " + e.getMessage());
            }
        }
        List<List<String>> out = new ArrayList<>();
        int t = ids.exampleSize();
        for (int n = 0; n < ids.batchSize(); n++) {
            List<String> row = new ArrayList<>();
            for (int i = 0; i < t; i++) {
                long id = ids.getLong(n * t + i);
                row.add(id >= 0 && id < words.size() ? words.get((int) id) : "#" + id);
            }
            out.add(row);
        }
        return out;
    }

    private static List<String> names(Tensor t) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < t.exampleSize(); i++) {
            out.add("x" + i);
        }
        return out;
    }
}
