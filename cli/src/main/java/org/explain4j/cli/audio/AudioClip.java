package org.explain4j.cli.audio;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.audio.Resampler;
import org.explain4j.core.io.Npy;
import org.explain4j.core.io.Wav;

/**
 * A mono waveform at a model's sample rate, read from a WAV file (PCM or float, any channel count:
 * channels are averaged; resampled with {@link Resampler} when its rate differs) or from an
 * {@code .npy} waveform of shape (T) or (1, T), which is taken to be at the model's rate already.
 *
 * @param samples     the samples
 * @param rate        samples per second
 * @param description where it came from and what was done to it, for reports
 */
public record AudioClip(float[] samples, int rate, String description) {
    /** The number of samples. */
    public int length() {
        return samples.length;
    }

    /** Duration in seconds. */
    public double seconds() {
        return samples.length / (double) rate;
    }

    /** Reads {@code file} for a model that takes {@code rate} Hz; {@code argument} names the option. */
    public static AudioClip load(Path file, int rate, String argument) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!Files.isRegularFile(file)) {
            throw Explain4jException.file(argument, argument + " file not found: " + file + "; check the path");
        }
        if (name.endsWith(".npy")) {
            Tensor t = Npy.read(file, argument);
            if (!t.dtype().isFloating() || !(t.rank() == 1 || (t.rank() == 2 && t.dim(0) == 1))) {
                throw Explain4jException.shape(argument, argument + " " + file + " holds " + t.describe()
                        + "; an .npy waveform is float with shape (T) or (1, T), at the model's sample rate (" + rate + " Hz)");
            }
            return checked(new AudioClip(t.toFloatArray(), rate, file.getFileName() + ": " + t.size() + " samples taken "
                    + "to be at " + rate + " Hz"), argument, file);
        }
        if (!name.endsWith(".wav") && !name.endsWith(".wave")) {
            throw Explain4jException.usage(argument, argument + " " + file + ": unknown kind of audio file; give a .wav "
                    + "file or an .npy waveform (convert others with sox in.mp3 out.wav)");
        }
        Wav.Audio a = Wav.read(file, argument);
        float[] mono = a.mono();
        float[] x = a.sampleRate() == rate ? mono : Resampler.resample(mono, a.sampleRate(), rate);
        String what = String.format(Locale.ROOT, "%s: %.2f s, %d Hz, %d channel%s, %s", file.getFileName(), a.seconds(),
                a.sampleRate(), a.channels().length, a.channels().length == 1 ? "" : "s (averaged)",
                a.encoding().name().toLowerCase(Locale.ROOT).replace('_', ' '))
                + (a.sampleRate() == rate ? "" : ", resampled to " + rate + " Hz");
        return checked(new AudioClip(x, rate, what), argument, file);
    }

    private static AudioClip checked(AudioClip c, String argument, Path file) {
        if (c.length() == 0) {
            throw Explain4jException.usage(argument, argument + " " + file + " holds no samples; give a clip of at least one "
                    + "model window");
        }
        Tensor t = Tensor.ofFloats(c.samples(), c.length());
        int bad = t.firstNonFinite();
        if (bad >= 0) {
            throw Explain4jException.usage(argument, argument + " " + file + " has a non-finite sample at index " + bad);
        }
        return c;
    }

    /** Samples for {@code ms} milliseconds at this clip's rate (at least 1). */
    public int samplesFor(double ms) {
        return Math.max(1, (int) Math.round(ms * rate / 1000.0));
    }
}
