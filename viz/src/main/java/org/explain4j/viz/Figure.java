package org.explain4j.viz;

import java.awt.image.BufferedImage;

/**
 * A picture in an {@link HtmlReport}: a raster image (embedded as PNG), an SVG document (embedded
 * as an image, so it cannot run script), or highlighted text. Each is inlined in the report.
 */
public sealed interface Figure {
    /** A raster picture and its alternative text. */
    record Raster(BufferedImage image, String alt) implements Figure {
        public Raster {
            Checks.notNull(image, "image");
            Checks.notNull(alt, "alt");
        }
    }

    /** An SVG document and its alternative text. */
    record Svg(String document, String alt) implements Figure {
        public Svg {
            Checks.notNull(document, "document");
            Checks.notNull(alt, "alt");
        }
    }

    /** Words highlighted by attribution, with their legend. */
    record Text(HighlightedText text) implements Figure {
        public Text {
            Checks.notNull(text, "text");
        }
    }

    /**
     * Pictures followed by audio players (audio reports): each sound is a WAV file embedded as a
     * {@code data:audio/wav} URI in an {@code <audio controls>} element, so the report stays one file.
     */
    record Audio(java.util.List<Figure> pictures, java.util.List<Sound> sounds) implements Figure {
        public Audio {
            Checks.notNull(pictures, "pictures");
            Checks.notNull(sounds, "sounds");
            pictures = java.util.List.copyOf(pictures);
            sounds = java.util.List.copyOf(sounds);
            for (Figure f : pictures) {
                if (f instanceof Audio) {
                    throw new IllegalArgumentException("an audio figure cannot hold another audio figure");
                }
            }
        }
    }

    /** A sound to play in a report: a caption and the bytes of a WAV file. */
    record Sound(String label, byte[] wav) {
        public Sound {
            Checks.notNull(label, "label");
            Checks.notNull(wav, "wav");
        }
    }

    static Figure of(BufferedImage image, String alt) {
        return new Raster(image, alt);
    }

    static Figure of(GridPicture grid, String alt) {
        return new Raster(Checks.notNull(grid, "grid").render(), alt);
    }

    /** A bar chart, embedded as SVG. */
    static Figure of(FeatureBarChart chart, String alt) {
        return new Svg(Checks.notNull(chart, "chart").toSvg(), alt);
    }

    static Figure of(HighlightedText text) {
        return new Text(text);
    }
}
