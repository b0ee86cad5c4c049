package org.explain4j.viz;

import java.awt.Color;
import java.awt.Paint;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.explain4j.core.Explain4jException;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A SHAP-style summary (beeswarm) plot of many rows' attributions, drawn with JFreeChart: one
 * row of dots per feature, the features ordered by mean |attribution| (largest at the top), each
 * dot one example at its attribution, stacked where dots would overlap and coloured by the
 * feature's value (blue low, red high, by the feature's 5th to 95th percentile).
 */
public final class SummaryPlot {
    static final Color LOW = new Color(0x1e88e5);
    static final Color HIGH = new Color(0xff0d57);

    private final String title;
    private final List<String> order;
    private final double[][] points;
    private final Color[][] colours;
    private final int width;
    private final int height;

    private SummaryPlot(String title, List<String> order, double[][] points, Color[][] colours, int width, int height) {
        this.title = title;
        this.order = order;
        this.points = points;
        this.colours = colours;
        this.width = width;
        this.height = height;
    }

    /**
     * The plot of {@code attributions[row][feature]} with the features' {@code values[row][feature]}
     * (for the colours), showing the {@code topK} features of largest mean |attribution|.
     */
    public static SummaryPlot of(String title, List<String> features, double[][] attributions, double[][] values, int topK) {
        Checks.notNull(title, "title");
        List<String> names = Checks.copyOf(features, "features");
        if (attributions.length == 0 || attributions.length != values.length) {
            throw Explain4jException.shape("values", "a summary plot needs rows of attributions and as many rows of values "
                    + "(got " + attributions.length + " and " + values.length + ")");
        }
        int m = names.size();
        for (int r = 0; r < attributions.length; r++) {
            if (attributions[r].length != m || values[r].length != m) {
                throw Explain4jException.shape("attributions", "row " + r + " has " + attributions[r].length
                        + " attributions and " + values[r].length + " values for " + m + " features");
            }
        }
        double[] mean = meanAbs(attributions, m);
        Integer[] idx = new Integer[m];
        for (int j = 0; j < m; j++) {
            idx[j] = j;
        }
        Arrays.sort(idx, Comparator.comparingDouble((Integer j) -> -mean[j]).thenComparingInt(j -> j));
        int k = Math.max(1, Math.min(topK, m));
        List<String> order = new ArrayList<>();
        double[][] pts = new double[k][];
        Color[][] cols = new Color[k][];
        for (int p = 0; p < k; p++) {
            int j = idx[p];
            order.add(names.get(j));
            double[] a = new double[attributions.length];
            double[] v = new double[attributions.length];
            for (int r = 0; r < a.length; r++) {
                a[r] = attributions[r][j];
                v[r] = values[r][j];
            }
            pts[p] = a;
            cols[p] = colours(v);
        }
        return new SummaryPlot(title, order, pts, cols, 900, 120 + 34 * k);
    }

    /** Mean |attribution| per feature. */
    public static double[] meanAbs(double[][] attributions, int features) {
        double[] mean = new double[features];
        for (double[] row : attributions) {
            for (int j = 0; j < features; j++) {
                mean[j] += Math.abs(row[j]);
            }
        }
        for (int j = 0; j < features; j++) {
            mean[j] /= Math.max(1, attributions.length);
        }
        return mean;
    }

    /** Blue to red by value between the 5th and 95th percentiles. */
    static Color[] colours(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        double lo = s[(int) Math.floor(0.05 * (s.length - 1))];
        double hi = s[(int) Math.ceil(0.95 * (s.length - 1))];
        Color[] out = new Color[v.length];
        for (int i = 0; i < v.length; i++) {
            double t = hi > lo ? Math.max(0, Math.min(1, (v[i] - lo) / (hi - lo))) : 0.5;
            out[i] = new Color((int) Math.round(LOW.getRed() + t * (HIGH.getRed() - LOW.getRed())),
                    (int) Math.round(LOW.getGreen() + t * (HIGH.getGreen() - LOW.getGreen())),
                    (int) Math.round(LOW.getBlue() + t * (HIGH.getBlue() - LOW.getBlue())));
        }
        return out;
    }

    /** The features shown, top first. */
    public List<String> features() {
        return order;
    }

    /** A new JFreeChart of the plot. */
    public JFreeChart chart() {
        int k = order.size();
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double[] p : points) {
            for (double x : p) {
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
            }
        }
        double span = hi > lo ? hi - lo : 1;
        XYSeriesCollection data = new XYSeriesCollection();
        for (int p = 0; p < k; p++) {
            double y = k - 1 - p;
            XYSeries s = new XYSeries(order.get(p), false, true);
            double[] off = swarm(points[p], lo, span);
            for (int i = 0; i < points[p].length; i++) {
                s.add(points[p][i], y + off[i]);
            }
            data.addSeries(s);
        }
        String[] ticks = new String[k];
        for (int p = 0; p < k; p++) {
            ticks[k - 1 - p] = order.get(p);
        }
        SymbolAxis yAxis = new SymbolAxis("", ticks);
        yAxis.setGridBandsVisible(false);
        yAxis.setRange(-0.6, k - 0.4);
        yAxis.setTickLabelFont(Canvas.font(12f, false));
        NumberAxis xAxis = new NumberAxis("attribution (impact on the explained output)");
        xAxis.setTickLabelFont(Canvas.font(12f, false));
        xAxis.setLabelFont(Canvas.font(13f, false));
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(false, true) {
            private static final long serialVersionUID = 1L;

            @Override
            public Paint getItemPaint(int series, int item) {
                return colours[series][item];
            }
        };
        for (int p = 0; p < k; p++) {
            r.setSeriesShape(p, new Ellipse2D.Double(-2.5, -2.5, 5, 5));
        }
        XYPlot plot = new XYPlot(data, xAxis, yAxis, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xeeeeee));
        plot.setRangeGridlinePaint(new Color(0xeeeeee));
        plot.addDomainMarker(new ValueMarker(0, new Color(0x999999), new java.awt.BasicStroke(1f)));
        JFreeChart chart = new JFreeChart(title, Canvas.font(15f, true), plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.addSubtitle(new TextTitle("one dot per example; colour: the feature's value, blue low, red high",
                Canvas.font(11f, false)));
        return chart;
    }

    /** Vertical offsets that stack dots falling in the same bin of 1/120 of the x range (alternating up and down). */
    static double[] swarm(double[] x, double lo, double span) {
        int bins = 120;
        int[] count = new int[bins + 1];
        double[] off = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int b = (int) Math.floor((x[i] - lo) / span * bins);
            b = Math.max(0, Math.min(bins, b));
            int c = count[b]++;
            double step = 0.04 * ((c + 1) / 2);
            off[i] = Math.min(0.4, step) * (c % 2 == 0 ? 1 : -1);
        }
        return off;
    }

    public BufferedImage render() {
        return chart().createBufferedImage(width, height);
    }

    public void writePng(Path file) {
        Pictures.writePng(render(), file);
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }
}
