package org.explain4j.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.explain4j.core.Explain4jException;

/**
 * Where ONNX Runtime runs a model's sessions (forward and backward alike): the CPU, or a CUDA
 * device through ONNX Runtime's CUDA execution provider. CUDA needs ONNX Runtime's GPU build
 * ({@code com.microsoft.onnxruntime:onnxruntime_gpu}, the same version; the build's {@code -Pgpu}
 * profile puts it in place of the CPU artifact) and a machine with an NVIDIA driver, CUDA and
 * cuDNN as that build requires. Nodes the CUDA provider lacks fall back to the CPU inside
 * ONNX Runtime. The shape probe of the backward-graph builder always runs on the CPU.
 *
 * @param cuda whether the CUDA provider is asked for
 * @param index the CUDA device ordinal (0 for the CPU)
 */
public record Device(boolean cuda, int index) {
    /** The CPU (the default). */
    public static final Device CPU = new Device(false, 0);

    private static final Pattern CUDA = Pattern.compile("cuda(?::(\\d{1,4}))?");

    public Device {
        if (index < 0 || (!cuda && index != 0)) {
            throw Explain4jException.usage("--device", "--device index must be 0 or more and only given with cuda (got "
                    + index + ")");
        }
    }

    /** CUDA device {@code index}. */
    public static Device cuda(int index) {
        return new Device(true, index);
    }

    /** {@code cpu}, {@code cuda} (device 0) or {@code cuda:N}, case-insensitive. */
    public static Device parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("cpu")) {
            return CPU;
        }
        Matcher m = CUDA.matcher(t);
        if (m.matches()) {
            return cuda(m.group(1) == null ? 0 : Integer.parseInt(m.group(1)));
        }
        throw Explain4jException.usage("--device", "--device must be cpu, cuda or cuda:N with N a device number such as 0 (got '"
                + text + "')");
    }

    /** {@code cpu} or {@code cuda:N}. */
    @Override
    public String toString() {
        return cuda ? "cuda:" + index : "cpu";
    }

    /**
     * Adds this device's execution provider to {@code so}. For CUDA, fails with one line when the
     * ONNX Runtime on the class path has no CUDA provider (the CPU artifact) or the provider
     * cannot start (no driver, no such device, missing CUDA/cuDNN libraries).
     */
    void configure(OrtSession.SessionOptions so) {
        if (!cuda) {
            return;
        }
        requireCudaProvider(OrtEnvironment.getAvailableProviders());
        try {
            so.addCUDA(index);
        } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
            throw Explain4jException.unsupported("--device", "--device " + this + ": ONNX Runtime's CUDA provider could not "
                    + "start: " + firstLine(e.getMessage()) + "; check the NVIDIA driver, the device number and the "
                    + "CUDA and cuDNN libraries that onnxruntime_gpu needs, or use --device cpu");
        }
    }

    /** The one-line error for a build of ONNX Runtime without CUDA, checked before any session is made. */
    void requireCudaProvider(Set<OrtProvider> available) {
        if (cuda && !available.contains(OrtProvider.CUDA)) {
            throw Explain4jException.unsupported("--device", "--device " + this + ": this ONNX Runtime build has no CUDA "
                    + "provider (providers: " + available.stream().map(Enum::name).sorted().toList()
                    + "); build explain4j with -Pgpu (com.microsoft.onnxruntime:onnxruntime_gpu) on a machine "
                    + "with CUDA, or use --device cpu");
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "no message";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
