package org.explain4j.viz;

import java.awt.Color;
import java.awt.Paint;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import org.explain4j.core.Explain4jException;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A SHAP-style dependence plot, drawn with JFreeChart: one dot per example at (the feature's
 * value, its attribution), optionally coloured by a second feature's value (blue low, red high),
 * which shows interactions.
 */
public final class DependencePlot {
    private final String feature;
    private final double[] values;
    private final double[] attributions;
    private final String colourFeature;
    private final Color[] colours;

    private DependencePlot(String feature, double[] values, double[] attributions, String colourFeature, Color[] colours) {
        this.feature = feature;
        this.values = values;
        this.attributions = attributions;
        this.colourFeature = colourFeature;
        this.colours = colours;
    }

    /** Attribution against value for {@code feature}; {@code colourBy} (may be null) colours the dots. */
    public static DependencePlot of(String feature, double[] values, double[] attributions, String colourName,
                                    double[] colourBy) {
        Checks.notNull(feature, "feature");
        if (values.length != attributions.length || values.length == 0) {
            throw Explain4jException.shape("attributions", "a dependence plot needs one attribution per value (got "
                    + values.length + " values and " + attributions.length + " attributions)");
        }
        Color[] c = null;
        if (colourBy != null) {
            if (colourBy.length != values.length) {
                throw Explain4jException.shape("colourBy", "colourBy has " + colourBy.length + " values for "
                        + values.length + " examples");
            }
            c = SummaryPlot.colours(colourBy);
        }
        return new DependencePlot(feature, values.clone(), attributions.clone(), colourName, c);
    }

    public JFreeChart chart() {
        XYSeries s = new XYSeries(feature, false, true);
        for (int i = 0; i < values.length; i++) {
            s.add(values[i], attributions[i]);
        }
        NumberAxis x = new NumberAxis(feature + " (value)");
        x.setAutoRangeIncludesZero(false);
        NumberAxis y = new NumberAxis("attribution of " + feature);
        for (NumberAxis a : new NumberAxis[] {x, y}) {
            a.setTickLabelFont(Canvas.font(12f, false));
            a.setLabelFont(Canvas.font(13f, false));
        }
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(false, true) {
            private static final long serialVersionUID = 1L;

            @Override
            public Paint getItemPaint(int series, int item) {
                return colours == null ? SummaryPlot.LOW : colours[item];
            }
        };
        r.setSeriesShape(0, new Ellipse2D.Double(-2.5, -2.5, 5, 5));
        XYPlot plot = new XYPlot(new XYSeriesCollection(s), x, y, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xeeeeee));
        plot.setRangeGridlinePaint(new Color(0xeeeeee));
        plot.addRangeMarker(new ValueMarker(0, new Color(0x999999), new java.awt.BasicStroke(1f)));
        JFreeChart chart = new JFreeChart("Dependence: " + feature, Canvas.font(15f, true), plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        if (colourFeature != null) {
            chart.addSubtitle(new TextTitle("colour: " + colourFeature + ", blue low, red high", Canvas.font(11f, false)));
        }
        return chart;
    }

    public BufferedImage render() {
        return chart().createBufferedImage(700, 480);
    }

    public void writePng(Path file) {
        Pictures.writePng(render(), file);
    }
}
