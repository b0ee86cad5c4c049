package org.explain4j.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Stroke;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import org.explain4j.core.Explain4jException;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A line chart of several named series over one x-axis, drawn with JFreeChart: e.g. the mean
 * deletion curve of each method, or the MPRT similarity per randomised layer with the layers as
 * x-axis labels. Series are told apart by colour (12 colours) and, beyond 12 series, by dash
 * pattern; the legend lists them below the plot.
 */
public final class LineChart {
    /** One line: its name and points (x ascending). */
    public record Series(String name, double[] x, double[] y) {
        public Series {
            Checks.notNull(name, "name");
            Checks.notNull(x, "x");
            Checks.notNull(y, "y");
            if (x.length != y.length) {
                throw Explain4jException.shape("y", "series '" + name + "' has " + x.length + " x values but " + y.length
                        + " y values; pass one y per x");
            }
            x = x.clone();
            y = y.clone();
        }

        @Override
        public double[] x() {
            return x.clone();
        }

        @Override
        public double[] y() {
            return y.clone();
        }
    }

    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
        new Color(0xbcbd22), new Color(0x17becf), new Color(0x393b79), new Color(0xad494a)};
    private static final float[][] DASHES = {null, {6f, 4f}, {2f, 3f}};

    private final String title;
    private final String subtitle;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series;
    private final List<String> xTicks;
    private final int width;
    private final int height;

    private LineChart(String title, String subtitle, String xLabel, String yLabel, List<Series> series, List<String> xTicks,
                      int width, int height) {
        this.title = title;
        this.subtitle = subtitle;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.series = series;
        this.xTicks = xTicks;
        this.width = width;
        this.height = height;
    }

    /**
     * A chart of {@code series} on numeric axes; {@code xTicks}, when not empty, names the integer
     * x positions 0, 1, ... instead (a category axis such as randomised layers).
     */
    public static LineChart of(String title, String subtitle, String xLabel, String yLabel, List<Series> series,
                               List<String> xTicks) {
        Checks.notNull(title, "title");
        Checks.notNull(subtitle, "subtitle");
        Checks.notNull(xLabel, "xLabel");
        Checks.notNull(yLabel, "yLabel");
        List<Series> s = Checks.copyOf(series, "series");
        if (s.isEmpty()) {
            throw Explain4jException.usage("series", "a line chart needs at least one series");
        }
        int rows = (s.size() + 3) / 4;
        return new LineChart(title, subtitle, xLabel, yLabel, s, Checks.copyOf(xTicks, "xTicks"), 900, 430 + 20 * rows);
    }

    public List<Series> series() {
        return series;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** A new JFreeChart of the series. */
    public JFreeChart chart() {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Series s : series) {
            XYSeries xy = new XYSeries(s.name(), false, true);
            double[] x = s.x();
            double[] y = s.y();
            for (int i = 0; i < x.length; i++) {
                xy.add(x[i], Double.isFinite(y[i]) ? Double.valueOf(y[i]) : null);
            }
            data.addSeries(xy);
        }
        ValueAxis xAxis = xTicks.isEmpty() ? new NumberAxis(xLabel) : new SymbolAxis(xLabel, xTicks.toArray(String[]::new));
        xAxis.setTickLabelFont(Canvas.font(12f, false));
        xAxis.setLabelFont(Canvas.font(13f, false));
        if (xAxis instanceof NumberAxis n) {
            n.setAutoRangeIncludesZero(false);
            double lo = series.stream().flatMapToDouble(s -> java.util.Arrays.stream(s.x())).min().orElse(0);
            double hi = series.stream().flatMapToDouble(s -> java.util.Arrays.stream(s.x())).max().orElse(1);
            if (hi > lo) {
                n.setRange(lo, hi + 0.03 * (hi - lo));
            }
        }
        if (xAxis instanceof SymbolAxis sym) {
            sym.setGridBandsVisible(false);
            sym.setRange(-0.25, xTicks.size() - 0.75);
        }
        NumberAxis yAxis = new NumberAxis(yLabel);
        yAxis.setAutoRangeIncludesZero(false);
        yAxis.setTickLabelFont(Canvas.font(12f, false));
        yAxis.setLabelFont(Canvas.font(13f, false));
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, !xTicks.isEmpty());
        for (int i = 0; i < series.size(); i++) {
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            r.setSeriesStroke(i, stroke(i / PALETTE.length));
        }
        XYPlot plot = new XYPlot(data, xAxis, yAxis, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        JFreeChart chart = new JFreeChart(title, Canvas.font(15f, true), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        if (!subtitle.isEmpty()) {
            chart.addSubtitle(new TextTitle(subtitle, Canvas.font(11f, false)));
        }
        LegendTitle legend = chart.getLegend();
        legend.setPosition(RectangleEdge.BOTTOM);
        legend.setItemFont(Canvas.font(11f, false));
        return chart;
    }

    private static Stroke stroke(int dash) {
        float[] d = DASHES[dash % DASHES.length];
        return d == null ? new BasicStroke(2f) : new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, d, 0f);
    }

    /** The chart drawn as an image. */
    public BufferedImage render() {
        return chart().createBufferedImage(width, height);
    }

    /** Writes the chart as a PNG file. */
    public void writePng(Path file) {
        Pictures.writePng(render(), file);
    }
}
