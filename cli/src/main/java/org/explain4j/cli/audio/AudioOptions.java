package org.explain4j.cli.audio;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The audio flags of {@code explain} and {@code attribute} (a picocli mixin). */
public final class AudioOptions {
    @Option(names = "--audio", paramLabel = "FILE", description = "A waveform to explain: a .wav file (PCM 8/16/24/32-bit "
            + "or float, channels averaged, resampled to the model's rate) or an .npy waveform (T) at the model's rate. "
            + "Streaming voice-activity models in Silero VAD's layout (input, state, sr) are run chunk by chunk.")
    public Path audio;

    @Option(names = "--sample-rate", paramLabel = "HZ", description = "The model's sample rate (default: the value of a "
            + "fed sr input, else 16000).")
    public Integer sampleRate;

    @Option(names = "--front-end", paramLabel = "CARD.json", description = "With --audio, for a model that takes a log-mel "
            + "spectrogram (N, [1,] mels, frames): its front end as JSON {\"sample_rate\", \"n_fft\", \"hop\", \"n_mels\", "
            + "\"f_min\", \"f_max\", \"log_offset\", optional \"labels\"}; attributions are then over time and frequency.")
    public Path features;

    @Option(names = "--window-ms", paramLabel = "MS", description = "With --audio: occlusion's window, and the segment "
            + "length of feature-ablation, kernel-shap, lime and the Shapley methods, in milliseconds (default 100; "
            + "kernel-shap, lime and the Shapley methods 250).")
    public Double windowMs;

    @Option(names = "--stride-ms", paramLabel = "MS", description = "With --audio: occlusion's stride in milliseconds "
            + "(default half the window).")
    public Double strideMs;

    /** Refuses the audio-only flags when no {@code --audio} is given. */
    public void refuseWithoutAudio() {
        String flag = features != null ? "--front-end" : windowMs != null ? "--window-ms" : strideMs != null ? "--stride-ms" : sampleRate != null
                ? "--sample-rate" : null;
        if (flag != null && audio == null) {
            throw org.explain4j.core.Explain4jException.usage(flag, flag + " needs --audio (time windows of a waveform); "
                    + "for an .npy input give --window and --stride in elements");
        }
    }

    /** Whether an audio input was given. */
    public boolean given() {
        return audio != null;
    }
}
