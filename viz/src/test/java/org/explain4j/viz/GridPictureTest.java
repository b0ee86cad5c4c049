package org.explain4j.viz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.GraphicsEnvironment;
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

    @Test
    void runsHeadless() {
        assertThat(GraphicsEnvironment.isHeadless()).as("tests run with java.awt.headless=true").isTrue();
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
        assertThat(Fixtures.distinctColours(grid.rows().get(0).cells().get(1).image())).isGreaterThan(10);
    }

    @Test
    void explanationGrid_labelsThatDoNotMatchTheBatch_areAShapeError() {
        assertThatThrownBy(() -> ExplanationGrid.of(Fixtures.digits(),
                List.of(Fixtures.attribution("saliency", Fixtures.saliency())), List.of("only one"), GridOptions.defaults()))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("one row label per example");
    }
}
