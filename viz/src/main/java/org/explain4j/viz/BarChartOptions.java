package org.explain4j.viz;

/**
 * How a {@link FeatureBarChart} is drawn.
 *
 * @param title      the chart's title (default {@code Feature attributions})
 * @param valueLabel the value axis label (default {@code attribution})
 * @param topK       how many features to show, largest |value| first, at least 1 (default 20)
 * @param width      image width in pixels, at least 200 (default 720)
 * @param rowHeight  pixels per bar, at least 10 (default 26); the height follows from it
 */
public record BarChartOptions(String title, String valueLabel, int topK, int width, int rowHeight) {
    public BarChartOptions {
        Checks.notNull(title, "title");
        Checks.notNull(valueLabel, "valueLabel");
        Checks.atLeast(topK, 1, "topK");
        Checks.atLeast(width, 200, "width");
        Checks.atLeast(rowHeight, 10, "rowHeight");
    }

    public static BarChartOptions defaults() {
        return new BarChartOptions("Feature attributions", "attribution", 20, 720, 26);
    }

    public BarChartOptions withTitle(String t) {
        return new BarChartOptions(t, valueLabel, topK, width, rowHeight);
    }

    public BarChartOptions withValueLabel(String l) {
        return new BarChartOptions(title, l, topK, width, rowHeight);
    }

    public BarChartOptions withTopK(int k) {
        return new BarChartOptions(title, valueLabel, k, width, rowHeight);
    }

    public BarChartOptions withWidth(int w) {
        return new BarChartOptions(title, valueLabel, topK, w, rowHeight);
    }

    public BarChartOptions withRowHeight(int h) {
        return new BarChartOptions(title, valueLabel, topK, width, h);
    }
}
