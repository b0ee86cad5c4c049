package org.explain4j.viz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;

class GridPictureTest {
    static {
        Fixtures.headless();
    }

    private static BufferedImage solid(int w, int h, int rgb) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(rgb));
        g.fillRect(0, 0, w, h);
        g.dispose();
        return img;
    }

    /** Pixels darker than mid-grey (drawn text) in a rectangle. */
    private static int darkPixels(BufferedImage img, int x0, int y0, int x1, int y1) {
        int n = 0;
        for (int y = Math.max(0, y0); y < Math.min(img.getHeight(), y1); y++) {
            for (int x = Math.max(0, x0); x < Math.min(img.getWidth(), x1); x++) {
                int rgb = img.getRGB(x, y);
                n += Pixels.r(rgb) + Pixels.g(rgb) + Pixels.b(rgb) < 3 * 128 ? 1 : 0;
            }
        }
        return n;
    }

    @Test
    void headlessRender_drawsEveryTitleAndRowLabel_andABlueToRedLegendBelowTheCells() {
        // the tests run with java.awt.headless=true (Fixtures): fonts and drawing must still work there
        List<GridPicture.Row> rows = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            rows.add(new GridPicture.Row("example " + r, List.of(GridPicture.Cell.of(solid(40, 30, 0xffffff)),
                    GridPicture.Cell.of(solid(40, 30, 0xffffff)))));
        }
        GridPicture grid = new GridPicture(List.of("input", "saliency"), rows,
                Optional.of(ColorBar.renderRelative(SignMode.SIGNED, 200)), List.of());
        GridPicture.Layout l = grid.layout();
        BufferedImage img = grid.render();
        for (int c = 0; c < 2; c++) {
            assertThat(darkPixels(img, l.cellX(c), 0, l.cellX(c) + l.cellWidth(), l.cellY(0)))
                    .as("dark text pixels of column title %d above its cell", c).isGreaterThan(10);
        }
        for (int r = 0; r < 2; r++) {
            assertThat(darkPixels(img, 0, l.cellY(r), l.cellX(0), l.cellY(r) + l.cellHeight()))
                    .as("dark text pixels of row label %d left of its cells", r).isGreaterThan(10);
        }
        // the cells themselves are white: nothing was drawn over them
        assertThat(darkPixels(img, l.cellX(0), l.cellY(0), l.cellX(1) + l.cellWidth(), l.cellY(1) + l.cellHeight()))
                .as("dark pixels inside the white cells").isZero();
        int lastBlue = -1;
        int firstRed = Integer.MAX_VALUE;
        for (int y = l.legendTop(); y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if (Pixels.blue(img.getRGB(x, y))) {
                    lastBlue = Math.max(lastBlue, x);
                }
                if (Pixels.red(img.getRGB(x, y))) {
                    firstRed = Math.min(firstRed, x);
                }
            }
        }
        assertThat(lastBlue).as("blue (negative end) in the legend below the cells").isNotNegative();
        assertThat(firstRed).as("red (positive end) in the legend, right of every blue pixel").isGreaterThan(lastBlue)
                .isLessThan(Integer.MAX_VALUE);
    }

    @Test
    void layout_placesEveryCellWhereTheRenderDrawsIt() {
        int[][] colours = {{0x112233, 0x445566, 0x778899}, {0xaa0000, 0x00aa00, 0x0000aa}};
        List<GridPicture.Row> rows = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            List<GridPicture.Cell> cells = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
                cells.add(new GridPicture.Cell(solid(40, 30, colours[r][c]), c == 0 ? "" : "cap"));
            }
            rows.add(new GridPicture.Row("pred: seven (p=0.98)\nexample " + r, cells));
        }
        GridPicture grid = new GridPicture(List.of("input", "saliency", "integrated-gradients"), rows,
                Optional.of(ColorBar.renderRelative(SignMode.SIGNED, 200)), List.of("a note"));
        GridPicture.Layout l = grid.layout();
        BufferedImage img = grid.render();
        assertThat(img.getWidth()).isEqualTo(l.width());
        assertThat(img.getHeight()).isEqualTo(l.height());
        assertThat(l.cellWidth()).isEqualTo(40);
        assertThat(l.cellHeight()).isEqualTo(30);
        assertThat(l.labelWidth()).as("room for the row labels").isGreaterThan(60);
        for (int r = 0; r < 2; r++) {
            for (int c = 0; c < 3; c++) {
                assertThat(img.getRGB(l.cellX(c) + 20, l.cellY(r) + 15) & 0xffffff)
                        .as("centre of cell (%d, %d)", r, c).isEqualTo(colours[r][c]);
            }
        }
        assertThat(l.cellX(2) + l.cellWidth()).isLessThanOrEqualTo(l.width());
        assertThat(l.legendTop()).isGreaterThan(l.cellY(1) + l.cellHeight());
    }

    @Test
    void rowWithTheWrongNumberOfCells_isAShapeError() {
        GridPicture.Row row = new GridPicture.Row("x", List.of(GridPicture.Cell.of(solid(4, 4, 0))));
        assertThatThrownBy(() -> new GridPicture(List.of("a", "b"), List.of(row), Optional.empty(), List.of()))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("has 1 cells but the grid has 2 columns");
    }

    @Test
    void explanationGrid_hasOneRowPerExampleAndInputPlusOneColumnPerMethod() {
        Tensor x = Fixtures.digits();
        GridPicture grid = ExplanationGrid.of(x, List.of(Fixtures.attribution("saliency", Fixtures.saliency()),
                        Fixtures.attribution("integrated-gradients", Fixtures.signedAttribution()),
                        Fixtures.attribution("grad-cam", Fixtures.layerMap())),
                List.of("pred: seven (p=0.98)", "pred: one (p=0.91)"), GridOptions.defaults().withCellSize(64));
        assertThat(grid.columnTitles()).containsExactly("input", "saliency", "integrated-gradients", "grad-cam");
        assertThat(grid.rows()).hasSize(2);
        assertThat(grid.rows().get(1).cells()).hasSize(4);
        assertThat(grid.rows().get(0).cells().get(2).caption()).startsWith("\u00b1");
        GridPicture.Layout l = grid.layout();
        assertThat(l.cellWidth()).isEqualTo(64);
        assertThat(l.cellHeight()).isEqualTo(64);
        BufferedImage img = grid.render();
        assertThat(img.getWidth()).isEqualTo(l.width());
        assertThat(img.getHeight()).isEqualTo(l.height());
        // the integrated-gradients cell of example 0 is the heatmap of its map on its own scale
        Plane map = Plane.ofBatchExample(Fixtures.signedAttribution(), 0, ChannelReduction.SUM);
        BufferedImage expected = Heatmaps.render(map, Normalization.defaults().scaleFor(map.values()), 64, 64,
                Interpolation.NEAREST);
        assertThat(img.getRGB(l.cellX(2) + 20, l.cellY(0) + 44)).isEqualTo(expected.getRGB(20, 44));
    }

    @Test
    void explanationGrid_nonSquareRgbInput_keepsTheAspectRatio_andOverlaysWork() {
        double[] v = new double[1 * 3 * 8 * 16];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i % 17) * 15.0;
        }
        Tensor x = Tensor.ofDoubles(v, 1, 3, 8, 16);
        Tensor attr = Tensor.ofDoubles(java.util.Arrays.stream(v).map(d -> d - 120).toArray(), 1, 3, 8, 16);
        GridPicture grid = ExplanationGrid.ofColumns(x, List.of(new ExplanationGrid.Column("occlusion", attr)),
                List.of("#0"), GridOptions.defaults().withCellSize(96).withStyle(GridOptions.CellStyle.OVERLAY)
                        .withHeatmap(HeatmapOptions.defaults().withMode(SignMode.ABSOLUTE)));
        assertThat(grid.layout().cellWidth()).isEqualTo(96);
        assertThat(grid.layout().cellHeight()).isEqualTo(48);
        BufferedImage cell = grid.rows().get(0).cells().get(1).image();
        assertThat(Fixtures.distinctColours(cell)).as("shades in the overlay cell").isGreaterThan(10);
        // absolute mode draws magnitudes in reds only, although the attribution has negative values
        int blue = 0;
        for (int y = 0; y < cell.getHeight(); y++) {
            for (int xx = 0; xx < cell.getWidth(); xx++) {
                blue += Pixels.blue(cell.getRGB(xx, y)) ? 1 : 0;
            }
        }
        assertThat(blue).as("blue pixels in an absolute-mode overlay").isZero();
    }

    @Test
    void explanationGrid_labelsThatDoNotMatchTheBatch_areAShapeError() {
        assertThatThrownBy(() -> ExplanationGrid.of(Fixtures.digits(),
                List.of(Fixtures.attribution("saliency", Fixtures.saliency())), List.of("only one"), GridOptions.defaults()))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("one row label per example");
    }
}
