/**
 * Pictures and reports of attributions: heatmaps, overlays, text highlighting, bar charts, HTML reports.
 *
 * <ul>
 *   <li>Colours: {@link org.explain4j.viz.SignMode} picks the values shown and the
 *       {@link org.explain4j.viz.ColorMap}; {@link org.explain4j.viz.Normalization} turns values
 *       into a {@link org.explain4j.viz.Scale} (percentile clipping, per image or shared), which
 *       states itself in captions.</li>
 *   <li>Images: {@link org.explain4j.viz.Plane} (one map, channels combined by a
 *       {@link org.explain4j.viz.ChannelReduction}), {@link org.explain4j.viz.InputImage},
 *       {@link org.explain4j.viz.Heatmaps} (heatmap, overlay, legend), {@link org.explain4j.viz.ColorBar},
 *       and the grid: {@link org.explain4j.viz.ExplanationGrid} builds a
 *       {@link org.explain4j.viz.GridPicture} of examples by methods.</li>
 *   <li>Text: {@link org.explain4j.viz.SubwordScheme} groups word pieces into
 *       {@link org.explain4j.viz.Word}s; {@link org.explain4j.viz.HighlightedText} writes HTML.</li>
 *   <li>Tabular: {@link org.explain4j.viz.FeatureBarChart} (JFreeChart; PNG and SVG).</li>
 *   <li>Reports: {@link org.explain4j.viz.HtmlReport}, one self-contained HTML file.</li>
 * </ul>
 *
 * <p>Everything draws with Java2D on {@code BufferedImage}s in the logical font {@code SansSerif}
 * and works with {@code -Djava.awt.headless=true}. Options are validated records with
 * {@code defaults()} and {@code withX} methods; nothing in the public API takes or returns null.
 */
package org.explain4j.viz;
