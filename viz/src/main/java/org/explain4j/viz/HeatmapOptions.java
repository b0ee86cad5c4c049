package org.explain4j.viz;

/**
 * How an image attribution is drawn.
 *
 * @param normalization  values to colours (default: signed, per image, 99.5th percentile)
 * @param channels       how channels are combined (default {@link ChannelReduction#SUM}; use
 *                       {@link ChannelReduction#SUM_OF_ABSOLUTES} for magnitude pictures)
 * @param upsampling     how a map at the input's resolution is enlarged to the display size
 *                       (default {@link Interpolation#NEAREST}: crisp pixels); maps coarser than
 *                       the input (layer maps such as Grad-CAM) are first brought to the input's
 *                       size bilinearly, whatever this says
 * @param inputRange     how the input's values map to brightness (default {@link InputRange#AUTO})
 * @param overlayOpacity opacity of the heatmap at full colour on an overlay, in {@code [0, 1]}
 *                       (default 0.8); zero values are fully transparent
 */
public record HeatmapOptions(Normalization normalization, ChannelReduction channels, Interpolation upsampling,
                             InputRange inputRange, double overlayOpacity) {
    public HeatmapOptions {
        Checks.notNull(normalization, "normalization");
        Checks.notNull(channels, "channels");
        Checks.notNull(upsampling, "upsampling");
        Checks.notNull(inputRange, "inputRange");
        Checks.inRange(overlayOpacity, 0.0, 1.0, "overlayOpacity");
    }

    /** Signed, per image, 99.5th percentile; channels summed; nearest-neighbour upsampling; opacity 0.8. */
    public static HeatmapOptions defaults() {
        return new HeatmapOptions(Normalization.defaults(), ChannelReduction.SUM, Interpolation.NEAREST,
                InputRange.AUTO, 0.8);
    }

    public HeatmapOptions withNormalization(Normalization n) {
        return new HeatmapOptions(n, channels, upsampling, inputRange, overlayOpacity);
    }

    /** Another sign mode, with the channel reduction that suits it ({@link ChannelReduction#defaultFor}). */
    public HeatmapOptions withMode(SignMode mode) {
        return new HeatmapOptions(normalization.withMode(mode), ChannelReduction.defaultFor(mode), upsampling,
                inputRange, overlayOpacity);
    }

    public HeatmapOptions withSharing(ScaleSharing sharing) {
        return withNormalization(normalization.withSharing(sharing));
    }

    public HeatmapOptions withChannels(ChannelReduction c) {
        return new HeatmapOptions(normalization, c, upsampling, inputRange, overlayOpacity);
    }

    public HeatmapOptions withUpsampling(Interpolation i) {
        return new HeatmapOptions(normalization, channels, i, inputRange, overlayOpacity);
    }

    public HeatmapOptions withInputRange(InputRange r) {
        return new HeatmapOptions(normalization, channels, upsampling, r, overlayOpacity);
    }

    public HeatmapOptions withOverlayOpacity(double o) {
        return new HeatmapOptions(normalization, channels, upsampling, inputRange, o);
    }
}
