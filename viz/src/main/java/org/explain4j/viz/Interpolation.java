package org.explain4j.viz;

/** How a map is resampled to a display size. */
public enum Interpolation {
    /**
     * Each output pixel takes the value of the input pixel it falls in ({@code floor(dst * in / out)}):
     * crisp blocks, so an 8x8 input stays readable as 64 squares.
     */
    NEAREST,
    /**
     * Linear in each direction between the four nearest input pixel centres, with half-pixel
     * alignment ({@code src = (dst + 0.5) * in / out - 0.5}, PyTorch's {@code align_corners=False}):
     * smooth, the usual choice for coarse layer maps such as Grad-CAM.
     */
    BILINEAR
}
