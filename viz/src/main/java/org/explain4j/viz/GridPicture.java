package org.explain4j.viz;

import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.explain4j.core.Explain4jException;

/**
 * A table of pictures: a title over each column, a label to the left of each row (several lines
 * where it contains {@code \n}), an optional caption under each picture, and below the table an
 * optional legend image and footnotes. Pictures in one grid are drawn in cells of the largest
 * picture's size, centred. Drawn with Java2D; works headless.
 *
 * @param columnTitles one title per column
 * @param rows         the rows, each with one cell per column
 * @param legend       an image drawn under the table, such as a {@link ColorBar}
 * @param footnotes    lines of text under the legend
 */
public record GridPicture(List<String> columnTitles, List<Row> rows, Optional<BufferedImage> legend,
                          List<String> footnotes) {
    static final int MARGIN = 12;
    static final int GAP = 8;
    static final int MAX_LABEL_WIDTH = 240;
    private static final Font TITLE = Canvas.font(13f, true);
    private static final Font LABEL = Canvas.font(12f, false);
    private static final Font CAPTION = Canvas.font(11f, false);

    /** One picture and the caption under it ({@code ""} for none). */
    public record Cell(BufferedImage image, String caption) {
        public Cell {
            Checks.notNull(image, "image");
            Checks.notNull(caption, "caption");
        }

        public static Cell of(BufferedImage image) {
            return new Cell(image, "");
        }
    }

    /** A row: its label and one cell per column. */
    public record Row(String label, List<Cell> cells) {
        public Row {
            Checks.notNull(label, "label");
            cells = Checks.copyOf(cells, "cells");
        }
    }

    /**
     * Where things go, in pixels: the picture's size, the left edge of each column's cells and the
     * top edge of each row's cells.
     */
    public record Layout(int width, int height, int cellWidth, int cellHeight, int labelWidth, int headerHeight,
                         int rowHeight, int legendTop) {
        /** The left edge of column {@code c}'s cells. */
        public int cellX(int c) {
            return MARGIN + labelWidth + (labelWidth > 0 ? GAP : 0) + c * (cellWidth + GAP);
        }

        /** The top edge of row {@code r}'s cells. */
        public int cellY(int r) {
            return MARGIN + headerHeight + r * (rowHeight + GAP);
        }
    }

    public GridPicture {
        columnTitles = Checks.copyOf(columnTitles, "columnTitles");
        rows = Checks.copyOf(rows, "rows");
        Checks.notNull(legend, "legend");
        footnotes = Checks.copyOf(footnotes, "footnotes");
        if (columnTitles.isEmpty() || rows.isEmpty()) {
            throw Explain4jException.usage("grid", "a grid needs at least one column and one row");
        }
        for (Row r : rows) {
            if (r.cells().size() != columnTitles.size()) {
                throw Explain4jException.shape("grid", "row '" + r.label() + "' has " + r.cells().size()
                        + " cells but the grid has " + columnTitles.size() + " columns");
            }
        }
    }

    /** The positions of everything in the rendered picture. */
    public Layout layout() {
        int cw = 0;
        int ch = 0;
        boolean captions = false;
        int label = 0;
        FontMetrics lm = Canvas.metrics(LABEL);
        for (Row r : rows) {
            for (Cell c : r.cells()) {
                cw = Math.max(cw, c.image().getWidth());
                ch = Math.max(ch, c.image().getHeight());
                captions |= !c.caption().isEmpty();
            }
            for (String line : r.label().split("\n", -1)) {
                label = Math.max(label, Math.min(MAX_LABEL_WIDTH, lm.stringWidth(line)));
            }
        }
        int header = Canvas.metrics(TITLE).getHeight() + 6;
        int row = ch + (captions ? Canvas.metrics(CAPTION).getHeight() + 2 : 0);
        int n = columnTitles.size();
        int tableWidth = label + (label > 0 ? GAP : 0) + n * cw + (n - 1) * GAP;
        int legendTop = MARGIN + header + rows.size() * (row + GAP) + 4;
        int notes = footnotes.size() * Canvas.metrics(CAPTION).getHeight();
        int legendWidth = legend.map(BufferedImage::getWidth).orElse(0);
        int noteWidth = footnotes.stream().mapToInt(Canvas.metrics(CAPTION)::stringWidth).max().orElse(0);
        int width = 2 * MARGIN + Math.max(tableWidth, Math.max(legendWidth, Math.min(noteWidth, 2 * tableWidth)));
        int height = legendTop + legend.map(img -> img.getHeight() + 6).orElse(0) + notes + MARGIN;
        return new Layout(width, height, cw, ch, label, header, row, legendTop);
    }

    /** The grid as an image. */
    public BufferedImage render() {
        Layout l = layout();
        BufferedImage out = Canvas.blank(l.width(), l.height());
        Graphics2D g = Canvas.graphics(out);
        try {
            g.setFont(TITLE);
            FontMetrics tm = g.getFontMetrics();
            for (int c = 0; c < columnTitles.size(); c++) {
                String t = Canvas.fit(columnTitles.get(c), tm, l.cellWidth() + GAP);
                Canvas.centred(g, t, l.cellX(c) + l.cellWidth() / 2, MARGIN + tm.getAscent());
            }
            for (int r = 0; r < rows.size(); r++) {
                drawRow(g, l, r);
            }
            int y = l.legendTop();
            if (legend.isPresent()) {
                g.drawImage(legend.get(), MARGIN, y, null);
                y += legend.get().getHeight() + 6;
            }
            g.setFont(CAPTION);
            g.setColor(Canvas.MUTED);
            FontMetrics fm = g.getFontMetrics();
            for (String note : footnotes) {
                g.drawString(Canvas.fit(note, fm, l.width() - 2 * MARGIN), MARGIN, y + fm.getAscent());
                y += fm.getHeight();
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    private void drawRow(Graphics2D g, Layout l, int r) {
        Row row = rows.get(r);
        int top = l.cellY(r);
        g.setFont(LABEL);
        g.setColor(Canvas.TEXT);
        FontMetrics lm = g.getFontMetrics();
        String[] lines = row.label().split("\n", -1);
        int y = top + (l.cellHeight() - lines.length * lm.getHeight()) / 2 + lm.getAscent();
        for (String line : lines) {
            g.drawString(Canvas.fit(line, lm, l.labelWidth()), MARGIN, y);
            y += lm.getHeight();
        }
        g.setFont(CAPTION);
        FontMetrics cm = g.getFontMetrics();
        for (int c = 0; c < row.cells().size(); c++) {
            Cell cell = row.cells().get(c);
            BufferedImage img = cell.image();
            int x = l.cellX(c);
            g.drawImage(img, x + (l.cellWidth() - img.getWidth()) / 2, top + (l.cellHeight() - img.getHeight()) / 2, null);
            if (!cell.caption().isEmpty()) {
                g.setColor(Canvas.MUTED);
                Canvas.centred(g, Canvas.fit(cell.caption(), cm, l.cellWidth() + GAP), x + l.cellWidth() / 2,
                        top + l.cellHeight() + 2 + cm.getAscent());
                g.setColor(Canvas.TEXT);
            }
        }
    }

    /** Renders the grid and writes it as a PNG file. */
    public void writePng(Path file) {
        Pictures.writePng(render(), file);
    }
}
