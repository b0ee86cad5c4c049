package org.explain4j.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Paint;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.explain4j.core.Explain4jException;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.CategoryItemLabelGenerator;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.svg.SVGGraphics2D;

/**
 * A horizontal bar chart of tabular feature attributions, drawn with JFreeChart: one bar per
 * feature, the largest |value| at the top, positive bars red and negative bars blue (the ends of
 * the diverging map), a zero line, and each value printed beside its bar. Written as PNG or as
 * SVG (JFreeSVG; text stays text, so feature names are searchable).
 */
public final class FeatureBarChart {
    static final Color POSITIVE = new Color(0xb2182b);
    static final Color NEGATIVE = new Color(0x2166ac);

    private final List<FeatureBar> bars;
    private final int featureCount;
    private final BarChartOptions options;

    private FeatureBarChart(List<FeatureBar> bars, int featureCount, BarChartOptions options) {
        this.bars = bars;
        this.featureCount = featureCount;
        this.options = options;
    }

    /** The chart of {@code values}, one per name, keeping the {@code options.topK()} largest |values|. */
    public static FeatureBarChart of(List<String> names, double[] values, BarChartOptions options) {
        Checks.notNull(options, "options");
        return new FeatureBarChart(select(names, values, options.topK()), values.length, options);
    }

    /**
     * The {@code topK} features of largest |value|, largest first; ties keep the caller's order,
     * and NaN values come last. Names of the selected features must be distinct.
     */
    public static List<FeatureBar> select(List<String> names, double[] values, int topK) {
        List<String> n = Checks.copyOf(names, "names");
        Checks.notNull(values, "values");
        Checks.atLeast(topK, 1, "topK");
        if (n.size() != values.length) {
            throw Explain4jException.shape("values", "there are " + n.size() + " feature names but " + values.length
                    + " values; pass one name per value");
        }
        List<FeatureBar> all = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            all.add(new FeatureBar(n.get(i), values[i], i));
        }
        Comparator<FeatureBar> byMagnitude = Comparator.comparingDouble(b -> Double.isNaN(b.value())
                ? Double.NEGATIVE_INFINITY : Math.abs(b.value()));
        all.sort(byMagnitude.reversed().thenComparingInt(FeatureBar::index));
        List<FeatureBar> top = List.copyOf(all.subList(0, Math.min(topK, all.size())));
        Set<String> seen = new HashSet<>();
        for (FeatureBar b : top) {
            if (!seen.add(b.name())) {
                throw Explain4jException.usage("names", "feature name '" + b.name() + "' appears twice; give each feature a distinct name");
            }
        }
        return top;
    }

    /** The bars shown, largest |value| first. */
    public List<FeatureBar> bars() {
        return bars;
    }

    /** The image height: a title band plus one row per bar. */
    public int height() {
        return 110 + options.rowHeight() * bars.size();
    }

    /** A new JFreeChart of the bars, for callers who want to style or embed it further. */
    public JFreeChart chart() {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (FeatureBar b : bars) {
            data.addValue(b.value(), options.valueLabel(), b.name());
        }
        CategoryAxis features = new CategoryAxis(null);
        features.setTickLabelFont(Canvas.font(12f, false));
        NumberAxis axis = new NumberAxis(options.valueLabel());
        axis.setAutoRangeIncludesZero(true);
        axis.setLowerMargin(0.12);
        axis.setUpperMargin(0.12);
        CategoryPlot plot = new CategoryPlot(data, features, axis, renderer());
        plot.setOrientation(PlotOrientation.HORIZONTAL);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        plot.setRangeZeroBaselineVisible(true);
        plot.setRangeZeroBaselinePaint(Color.BLACK);
        plot.setRangeZeroBaselineStroke(new BasicStroke(1.2f));
        JFreeChart chart = new JFreeChart(options.title(), Canvas.font(15f, true), plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        String shown = bars.size() < featureCount ? "top " + bars.size() + " of " + featureCount + " features"
                : "all " + featureCount + " features";
        chart.addSubtitle(new TextTitle(shown + " by |attribution|; red positive, blue negative",
                Canvas.font(11f, false)));
        return chart;
    }

    private BarRenderer renderer() {
        BarRenderer r = new BarRenderer() {
            @Override
            public Paint getItemPaint(int row, int column) {
                Number v = getPlot().getDataset().getValue(row, column);
                return v != null && v.doubleValue() < 0 ? NEGATIVE : POSITIVE;
            }
        };
        r.setBarPainter(new StandardBarPainter());
        r.setShadowVisible(false);
        r.setDrawBarOutline(false);
        r.setItemMargin(0.0);
        r.setMaximumBarWidth(0.8);
        r.setDefaultItemLabelGenerator(new ValueLabels());
        r.setDefaultItemLabelsVisible(true);
        r.setDefaultItemLabelFont(Canvas.font(11f, false));
        r.setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE3, TextAnchor.CENTER_LEFT));
        r.setDefaultNegativeItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE9, TextAnchor.CENTER_RIGHT));
        return r;
    }

    /** The chart drawn as an image. */
    public BufferedImage render() {
        return chart().createBufferedImage(options.width(), height());
    }

    /** Writes the chart as a PNG file. */
    public void writePng(Path file) {
        Pictures.writePng(render(), file);
    }

    /** The chart as a standalone SVG document. */
    public String toSvg() {
        SVGGraphics2D g = new SVGGraphics2D(options.width(), height());
        chart().draw(g, new Rectangle2D.Double(0, 0, options.width(), height()));
        return g.getSVGDocument();
    }

    /** Writes the chart as an SVG file (UTF-8). */
    public void writeSvg(Path file) {
        Pictures.write(toSvg().getBytes(StandardCharsets.UTF_8), file);
    }

    /** Prints each value with three significant digits and its sign. */
    private static final class ValueLabels implements CategoryItemLabelGenerator {
        @Override
        public String generateRowLabel(CategoryDataset dataset, int row) {
            return dataset.getRowKey(row).toString();
        }

        @Override
        public String generateColumnLabel(CategoryDataset dataset, int column) {
            return dataset.getColumnKey(column).toString();
        }

        @Override
        public String generateLabel(CategoryDataset dataset, int row, int column) {
            Number v = dataset.getValue(row, column);
            if (v == null) {
                return null;
            }
            double d = v.doubleValue();
            return (d > 0 ? "+" : "") + Numbers.format(d, 3);
        }
    }
}
