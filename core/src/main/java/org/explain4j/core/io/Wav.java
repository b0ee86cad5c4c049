package org.explain4j.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.explain4j.core.Explain4jException;

/**
 * Reads and writes RIFF/WAVE files: PCM with 8 (unsigned), 16, 24 or 32 bits per sample and IEEE
 * float with 32 or 64 bits, any number of channels, plain or {@code WAVE_FORMAT_EXTENSIBLE}
 * headers. Samples come back as floats in [-1, 1] (PCM divided by 2^(bits-1)), one array per
 * channel. Malformed files (wrong magic, truncated or inconsistent chunks, missing {@code fmt } or
 * {@code data}, unsupported encodings, sizes that claim more bytes than the file holds) are
 * refused with one {@link Explain4jException} (kind FILE) naming the argument; no other exception
 * escapes and nothing is allocated from a size the file claims, only from the bytes it has.
 */
public final class Wav {
    /** Files larger than this are refused before they are read (about 2^31 bytes: Java arrays are int-indexed). */
    public static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 64;
    private static final int PCM = 1;
    private static final int FLOAT = 3;
    private static final int EXTENSIBLE = 0xFFFE;

    private Wav() {
    }

    /** How the samples were stored. */
    public enum Encoding {
        PCM_U8, PCM_16, PCM_24, PCM_32, FLOAT_32, FLOAT_64;

        /** Bytes per sample of one channel. */
        public int bytes() {
            return switch (this) {
                case PCM_U8 -> 1;
                case PCM_16 -> 2;
                case PCM_24 -> 3;
                case PCM_32, FLOAT_32 -> 4;
                case FLOAT_64 -> 8;
            };
        }
    }

    /**
     * A decoded file.
     *
     * @param sampleRate samples per second of each channel
     * @param encoding   how the file stored them
     * @param channels   the samples of each channel, in [-1, 1] for PCM (float files as stored)
     */
    public record Audio(int sampleRate, Encoding encoding, float[][] channels) {
        /** The number of samples per channel. */
        public int frames() {
            return channels.length == 0 ? 0 : channels[0].length;
        }

        /** The channels' mean, sample by sample (the channel itself for mono). */
        public float[] mono() {
            if (channels.length == 1) {
                return channels[0].clone();
            }
            float[] out = new float[frames()];
            for (int i = 0; i < out.length; i++) {
                double s = 0;
                for (float[] c : channels) {
                    s += c[i];
                }
                out[i] = (float) (s / channels.length);
            }
            return out;
        }

        /** Duration in seconds. */
        public double seconds() {
            return frames() / (double) sampleRate;
        }
    }

    /** Reads {@code path}; {@code argument} names the option it came from (e.g. {@code --audio}). */
    public static Audio read(Path path, String argument) {
        byte[] bytes;
        try {
            long size = Files.size(path);
            if (size > MAX_FILE_BYTES) {
                throw bad(argument, path.toString(), "is " + size + " bytes; files over 2 GiB are not read: cut the clip "
                        + "(e.g. sox in.wav out.wav trim 0 60)");
            }
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw Explain4jException.file(argument, argument + " file not found: " + path + "; check the path");
        } catch (IOException e) {
            throw Explain4jException.file(argument, argument + " " + path + " cannot be read: " + e.getMessage(), e);
        }
        return read(bytes, argument, path.toString());
    }

    /** Decodes the bytes of a WAV file; {@code argument} and {@code name} appear in error messages. */
    public static Audio read(byte[] bytes, String argument, String name) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 12) {
            throw bad(argument, name, "is " + bytes.length + " bytes, too short for a WAV header (12 bytes at least)");
        }
        String riff = ascii(bytes, 0);
        if (riff.equals("RF64") || riff.equals("RIFX")) {
            throw bad(argument, name, "is a " + riff + " file; only RIFF (little-endian) WAV is read: convert it with "
                    + "sox in.wav -b 16 out.wav");
        }
        if (!riff.equals("RIFF") || !ascii(bytes, 8).equals("WAVE")) {
            throw bad(argument, name, "is not a WAV file (no RIFF/WAVE header); give a .wav file or an .npy waveform");
        }
        int pos = 12;
        int format = -1;
        int channels = 0;
        long rate = 0;
        int blockAlign = 0;
        int bits = 0;
        int dataStart = -1;
        int dataBytes = 0;
        while (pos + 8 <= bytes.length) {
            String id = ascii(bytes, pos);
            long size = Integer.toUnsignedLong(b.getInt(pos + 4));
            int body = pos + 8;
            long remaining = bytes.length - (long) body;
            if (id.equals("data")) {
                if (size > remaining) {
                    throw bad(argument, name, "is truncated: its data chunk claims " + size + " bytes but only "
                            + remaining + " follow");
                }
                dataStart = body;
                dataBytes = (int) size;
                if (format >= 0) {
                    break;
                }
            } else if (id.equals("fmt ")) {
                if (size < 16 || size > remaining) {
                    throw bad(argument, name, "has a malformed fmt chunk (" + size + " bytes claimed, " + remaining
                            + " present; 16 at least needed)");
                }
                format = b.getShort(body) & 0xFFFF;
                channels = b.getShort(body + 2) & 0xFFFF;
                rate = Integer.toUnsignedLong(b.getInt(body + 4));
                blockAlign = b.getShort(body + 12) & 0xFFFF;
                bits = b.getShort(body + 14) & 0xFFFF;
                if (format == EXTENSIBLE) {
                    if (size < 40) {
                        throw bad(argument, name, "has a WAVE_FORMAT_EXTENSIBLE fmt chunk of " + size
                                + " bytes (40 expected)");
                    }
                    format = b.getShort(body + 24) & 0xFFFF;
                }
                if (dataStart >= 0) {
                    break;
                }
            } else if (size > remaining) {
                throw bad(argument, name, "is truncated: its '" + printable(id) + "' chunk claims " + size
                        + " bytes but only " + remaining + " follow");
            }
            long next = body + size + (size & 1);
            if (next > bytes.length) {
                break;
            }
            pos = (int) next;
        }
        if (format < 0) {
            throw bad(argument, name, "has no fmt chunk; the file is damaged");
        }
        if (dataStart < 0) {
            throw bad(argument, name, "has no data chunk; the file is damaged or empty");
        }
        Encoding enc = encoding(format, bits, argument, name);
        if (channels < 1) {
            throw bad(argument, name, "declares 0 channels");
        }
        if (rate < 1 || rate > 1_000_000) {
            throw bad(argument, name, "declares a sample rate of " + rate + " Hz (1 to 1000000 expected)");
        }
        if (blockAlign != channels * enc.bytes()) {
            throw bad(argument, name, "declares " + blockAlign + " bytes per frame, but " + channels + " channel(s) of "
                    + bits + "-bit samples take " + channels * enc.bytes());
        }
        int frames = dataBytes / blockAlign;
        float[][] out = new float[channels][frames];
        ByteBuffer d = ByteBuffer.wrap(bytes, dataStart, dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int f = 0; f < frames; f++) {
            int base = dataStart + f * blockAlign;
            for (int c = 0; c < channels; c++) {
                int at = base + c * enc.bytes();
                out[c][f] = switch (enc) {
                    case PCM_U8 -> ((bytes[at] & 0xFF) - 128) / 128f;
                    case PCM_16 -> d.getShort(at) / 32768f;
                    case PCM_24 -> (((bytes[at] & 0xFF) | (bytes[at + 1] & 0xFF) << 8 | bytes[at + 2] << 16)) / 8388608f;
                    case PCM_32 -> (float) (d.getInt(at) / 2147483648.0);
                    case FLOAT_32 -> d.getFloat(at);
                    case FLOAT_64 -> (float) d.getDouble(at);
                };
            }
        }
        return new Audio((int) rate, enc, out);
    }

    private static Encoding encoding(int format, int bits, String argument, String name) {
        if (format == PCM) {
            switch (bits) {
                case 8: return Encoding.PCM_U8;
                case 16: return Encoding.PCM_16;
                case 24: return Encoding.PCM_24;
                case 32: return Encoding.PCM_32;
                default: break;
            }
        } else if (format == FLOAT) {
            if (bits == 32) {
                return Encoding.FLOAT_32;
            }
            if (bits == 64) {
                return Encoding.FLOAT_64;
            }
        } else {
            throw bad(argument, name, "uses WAV format code " + format + " (compressed?); only PCM (1) and IEEE float (3) "
                    + "are read: convert it with sox in.wav -e signed-integer -b 16 out.wav");
        }
        throw bad(argument, name, "has " + bits + "-bit " + (format == PCM ? "PCM" : "float") + " samples; PCM 8/16/24/32 "
                + "and float 32/64 are read: convert it with sox in.wav -b 16 out.wav");
    }

    /** A WAV file of {@code channels} (each the same length) at {@code rate}, encoded as {@code enc}. */
    public static byte[] encode(float[][] channels, int rate, Encoding enc) {
        if (channels.length < 1 || channels.length > 65535) {
            throw Explain4jException.usage("channels", "a WAV file needs 1 to 65535 channels (got " + channels.length + ")");
        }
        if (rate < 1) {
            throw Explain4jException.usage("rate", "the sample rate must be positive (got " + rate + ")");
        }
        int frames = channels[0].length;
        for (float[] c : channels) {
            if (c.length != frames) {
                throw Explain4jException.shape("channels", "every channel needs the same number of samples");
            }
        }
        int block = channels.length * enc.bytes();
        long data = (long) frames * block;
        if (data > MAX_FILE_BYTES - 44) {
            throw Explain4jException.usage("channels", "the audio is too long for one WAV file (" + data + " bytes)");
        }
        boolean fl = enc == Encoding.FLOAT_32 || enc == Encoding.FLOAT_64;
        ByteBuffer b = ByteBuffer.allocate(44 + (int) data + (int) (data & 1)).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt((int) (36 + data + (data & 1)))
                .put("WAVE".getBytes(StandardCharsets.US_ASCII))
                .put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16)
                .putShort((short) (fl ? FLOAT : PCM)).putShort((short) channels.length).putInt(rate)
                .putInt(rate * block).putShort((short) block).putShort((short) (enc.bytes() * 8))
                .put("data".getBytes(StandardCharsets.US_ASCII)).putInt((int) data);
        for (int f = 0; f < frames; f++) {
            for (float[] c : channels) {
                float v = c[f];
                switch (enc) {
                    case PCM_U8 -> b.put((byte) (pcm(v, 128) + 128));
                    case PCM_16 -> b.putShort((short) pcm(v, 32768));
                    case PCM_24 -> {
                        long s = pcm(v, 8388608);
                        b.put((byte) s).put((byte) (s >> 8)).put((byte) (s >> 16));
                    }
                    case PCM_32 -> b.putInt((int) pcm(v, 2147483648L));
                    case FLOAT_32 -> b.putFloat(v);
                    case FLOAT_64 -> b.putDouble(v);
                }
            }
        }
        return b.array();
    }

    /** A mono 16-bit PCM WAV file of {@code samples} at {@code rate} (values clipped to [-1, 1]). */
    public static byte[] encodePcm16(float[] samples, int rate) {
        return encode(new float[][] {samples}, rate, Encoding.PCM_16);
    }

    /** Writes {@link #encode} of the channels to {@code file}. */
    public static void write(float[][] channels, int rate, Encoding enc, Path file) {
        try {
            Files.write(file, encode(channels, rate, enc));
        } catch (IOException e) {
            throw Explain4jException.file(file.toString(), "cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Rounds {@code v * scale} to the nearest integer in [-scale, scale - 1]. */
    private static long pcm(float v, long scale) {
        double s = Math.rint((double) v * scale);
        return (long) Math.max(-scale, Math.min(scale - 1, s));
    }

    private static String ascii(byte[] bytes, int at) {
        return new String(bytes, at, 4, StandardCharsets.ISO_8859_1);
    }

    private static String printable(String id) {
        return id.replaceAll("[^\\x20-\\x7E]", "?");
    }

    private static Explain4jException bad(String argument, String name, String what) {
        return Explain4jException.file(argument, argument + " " + name + " " + what);
    }
}
