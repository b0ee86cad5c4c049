package org.explain4j.viz;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.explain4j.core.Attribution;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/**
 * The standard picture of image attributions: one row per example, the input in the first
 * column, then one heatmap (or overlay) per method, each titled with the method's name and
 * captioned with its scale; under the table a colour bar and a line stating the normalisation.
 *
 * <p>With {@link ScaleSharing#SHARED} the scale is shared down each method's column (across the
 * examples), never across methods, whose values need not share units.
 */
public final class ExplanationGrid {
    /** One method's column: its title and its values, shape {@code (N, H, W)} or {@code (N, C, H, W)}. */
    public record Column(String title, Tensor values) {
        public Column {
            Checks.notNull(title, "title");
            Checks.notNull(values, "values");
        }

        /** The column of an attribution, titled with its method's name. */
        public static Column of(Attribution attribution) {
            return new Column(attribution.method(), attribution.values());
        }
    }

    private ExplanationGrid() {
    }

    /** The grid of {@code attributions} of {@code inputs}, each column titled with the method's name. */
    public static GridPicture of(Tensor inputs, List<Attribution> attributions, List<String> rowLabels,
                                 GridOptions options) {
        return ofColumns(inputs, Checks.copyOf(attributions, "attributions").stream().map(Column::of).toList(),
                rowLabels, options);
    }

    /**
     * The grid of {@code columns} over {@code inputs} ({@code (N, H, W)} or {@code (N, C, H, W)},
     * C 1 or 3), with one label per example. Column maps at the input's resolution are enlarged
     * with the options' upsampling; coarser layer maps are first brought to the input's size
     * bilinearly.
     */
    public static GridPicture ofColumns(Tensor inputs, List<Column> columns, List<String> rowLabels,
                                        GridOptions options) {
        Checks.notNull(inputs, "inputs");
        List<Column> cols = Checks.copyOf(columns, "columns");
        List<String> labels = Checks.copyOf(rowLabels, "rowLabels");
        Checks.notNull(options, "options");
        HeatmapOptions h = options.heatmap();
        // 1. one input image per example; every column must have the same batch
        if (inputs.rank() != 3 && inputs.rank() != 4) {
            throw Explain4jException.shape("inputs", "expected a batch of images of shape (N, H, W) or (N, C, H, W) but got "
                    + Tensor.shapeString(inputs.shape()));
        }
        int n = inputs.dim(0);
        if (labels.size() != n) {
            throw Explain4jException.shape("rowLabels", "expected one row label per example: the inputs have shape "
                    + Tensor.shapeString(inputs.shape()) + " and there are " + labels.size() + " labels");
        }
        List<InputImage> images = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            images.add(InputImage.ofBatchExample(inputs, i, h.inputRange()));
        }
        int ih = images.get(0).height();
        int iw = images.get(0).width();
        int w = (int) Math.max(1, Math.round((double) options.cellSize() * iw / Math.max(ih, iw)));
        int ht = (int) Math.max(1, Math.round((double) options.cellSize() * ih / Math.max(ih, iw)));
        // 2. per column: one map per example, and their scales (own or shared down the column)
        List<List<Plane>> maps = new ArrayList<>();
        List<List<Scale>> scales = new ArrayList<>();
        for (Column c : cols) {
            if (c.values().rank() < 3 || c.values().dim(0) != n) {
                throw Explain4jException.shape(c.title(), "values of '" + c.title() + "' have shape "
                        + Tensor.shapeString(c.values().shape()) + " but the inputs hold " + n + " examples");
            }
            List<Plane> planes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                planes.add(Plane.ofBatchExample(c.values(), i, h.channels()));
            }
            maps.add(planes);
            scales.add(h.normalization().scalesFor(planes.stream().map(Plane::values).toList()));
        }
        // 3. the cells: input, then each method's heatmap or overlay captioned with its range
        List<GridPicture.Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            InputImage img = images.get(i);
            List<GridPicture.Cell> cells = new ArrayList<>();
            String inputCaption = img.range() == InputRange.MIN_MAX ? "min-max rescaled" : "";
            cells.add(new GridPicture.Cell(img.render(w, ht, h.upsampling()), inputCaption));
            for (int c = 0; c < cols.size(); c++) {
                Plane map = Heatmaps.alignTo(maps.get(c).get(i), img.height(), img.width());
                Scale s = scales.get(c).get(i);
                BufferedImage pic = options.style() == GridOptions.CellStyle.OVERLAY
                        ? Heatmaps.overlay(img, map, s, w, ht, h)
                        : Heatmaps.render(map, s, w, ht, h.upsampling());
                cells.add(new GridPicture.Cell(pic, s.range()));
            }
            rows.add(new GridPicture.Row(labels.get(i), cells));
        }
        // 4. titles, legend and the normalisation stated in words
        List<String> titles = new ArrayList<>();
        titles.add("input");
        cols.forEach(c -> titles.add(c.title()));
        Optional<BufferedImage> legend = options.legend()
                ? Optional.of(ColorBar.renderRelative(h.normalization().mode(), Math.max(200, Math.min(360, 2 * w))))
                : Optional.empty();
        List<String> notes = options.legend()
                ? List.of("Colours: " + h.normalization().describe() + " (" + channelsNote(h.channels()) + ").",
                        "The range under each map is the value drawn at full colour (max).")
                : List.of();
        return new GridPicture(titles, rows, legend, notes);
    }

    private static String channelsNote(ChannelReduction r) {
        return r == ChannelReduction.SUM ? "channels summed" : "absolute values summed over channels";
    }
}
