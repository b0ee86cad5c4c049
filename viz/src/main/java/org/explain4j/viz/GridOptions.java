package org.explain4j.viz;

/**
 * How an {@link ExplanationGrid} is drawn.
 *
 * @param heatmap  colours, channel reduction, upsampling and overlay opacity
 * @param style    a plain heatmap or an overlay on the input (default {@link CellStyle#HEATMAP})
 * @param cellSize the longer side of each picture in pixels, at least 16 (default 160)
 * @param legend   whether to draw a colour bar and a line stating the normalisation (default true)
 */
public record GridOptions(HeatmapOptions heatmap, CellStyle style, int cellSize, boolean legend) {
    /** How each method's cell shows its map. */
    public enum CellStyle {
        /** The map alone, coloured. */
        HEATMAP,
        /** The map blended over the input in grey ({@link Heatmaps#overlay}). */
        OVERLAY
    }

    public GridOptions {
        Checks.notNull(heatmap, "heatmap");
        Checks.notNull(style, "style");
        Checks.atLeast(cellSize, 16, "cellSize");
    }

    /** Default heatmap options, plain heatmaps, 160-pixel cells, with a legend. */
    public static GridOptions defaults() {
        return new GridOptions(HeatmapOptions.defaults(), CellStyle.HEATMAP, 160, true);
    }

    public GridOptions withHeatmap(HeatmapOptions h) {
        return new GridOptions(h, style, cellSize, legend);
    }

    public GridOptions withStyle(CellStyle s) {
        return new GridOptions(heatmap, s, cellSize, legend);
    }

    public GridOptions withCellSize(int n) {
        return new GridOptions(heatmap, style, n, legend);
    }

    public GridOptions withLegend(boolean l) {
        return new GridOptions(heatmap, style, cellSize, l);
    }
}
