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
