package org.explain4j.viz;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.explain4j.core.Explain4jException;

/** PNG encoding of pictures: to bytes, to a file, or to a {@code data:} URI for HTML. */
public final class Pictures {
    private Pictures() {
    }

    /** {@code image} encoded as PNG. */
    public static byte[] pngBytes(BufferedImage image) {
        Checks.notNull(image, "image");
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            if (!ImageIO.write(image, "png", out)) {
                throw new IllegalStateException("no PNG writer is installed in this JVM");
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code image} as a PNG file, creating missing parent directories. */
    public static void writePng(BufferedImage image, Path file) {
        write(pngBytes(image), file);
    }

    /** {@code image} as a {@code data:image/png;base64,...} URI. */
    public static String pngDataUri(BufferedImage image) {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(pngBytes(image));
    }

    static void write(byte[] bytes, Path file) {
        Checks.notNull(file, "file");
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.write(file, bytes);
        } catch (IOException e) {
            throw Explain4jException.file(file.toString(), "cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
