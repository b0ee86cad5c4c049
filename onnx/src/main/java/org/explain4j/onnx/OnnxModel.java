package org.explain4j.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;

/**
 * A model run by ONNX Runtime. The file is read once (never written); one session is created
 * and reused for every call, and may be called from several threads. Inputs may be float32,
 * float64 or int64 (token ids); the batch dimension may be dynamic.
 *
 * <p>The JVM-wide {@link OrtEnvironment} is shared and never closed; {@link #close()} closes only
 * this model's session.
 */
public final class OnnxModel implements Model {
    /** Session settings. */
    public record Options(int intraOpThreads, OrtSession.SessionOptions.OptLevel optimization,
                          Optional<String> inputName, Optional<String> outputName) {
        public Options {
            if (intraOpThreads < 0) {
                throw Explain4jException.usage("--threads", "--threads must be 0 (let ONNX Runtime choose) or more");
            }
            if (optimization == null || inputName == null || outputName == null) {
                throw new IllegalArgumentException("optimization, inputName and outputName must not be null");
            }
        }

        /** ONNX Runtime's own thread count, all graph optimisations, the model's first input and output. */
        public static Options defaults() {
            return new Options(0, OrtSession.SessionOptions.OptLevel.ALL_OPT, Optional.empty(), Optional.empty());
        }

        public Options withThreads(int n) {
            return new Options(n, optimization, inputName, outputName);
        }

        public Options withOptimization(OrtSession.SessionOptions.OptLevel level) {
            return new Options(intraOpThreads, level, inputName, outputName);
        }

        public Options withInputName(String name) {
            return new Options(intraOpThreads, optimization, Optional.of(name), outputName);
        }

        public Options withOutputName(String name) {
            return new Options(intraOpThreads, optimization, inputName, Optional.of(name));
        }
    }

    private final Path path;
    private final byte[] bytes;
    private final String sha256;
    private final Options options;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final ModelSignature signature;
    private final String outputName;

    private OnnxModel(Path path, byte[] bytes, Options options) {
        this.path = path;
        this.bytes = bytes;
        this.sha256 = sha256(bytes);
        this.options = options;
        this.env = OrtEnvironment.getEnvironment();
        try {
            this.session = createSession(env, bytes, options);
        } catch (OrtException e) {
            throw Explain4jException.model("--model", "--model " + path + " could not be loaded by ONNX Runtime: "
                    + firstLine(e.getMessage()) + "; check that the file is a valid ONNX model", e);
        }
        try {
            Map<String, NodeInfo> inputs = session.getInputInfo();
            String in = options.inputName().orElseGet(() -> inputs.keySet().iterator().next());
            if (!inputs.containsKey(in)) {
                throw Explain4jException.usage("--input-name", "the model has no input named '" + in + "'; its inputs are "
                        + inputs.keySet());
            }
            if (inputs.size() > 1) {
                throw Explain4jException.unsupported("--model", "the model has " + inputs.size() + " inputs " + inputs.keySet()
                        + "; explain4j explains models with a single input");
            }
            Map<String, NodeInfo> outputs = session.getOutputInfo();
            this.outputName = options.outputName().orElseGet(() -> outputs.keySet().iterator().next());
            if (!outputs.containsKey(outputName)) {
                throw Explain4jException.usage("--output-name", "the model has no output named '" + outputName
                        + "'; its outputs are " + outputs.keySet());
            }
            TensorInfo ti = (TensorInfo) inputs.get(in).getInfo();
            DType type = switch (ti.type) {
                case FLOAT -> DType.FLOAT32;
                case DOUBLE -> DType.FLOAT64;
                case INT64 -> DType.INT64;
                default -> throw Explain4jException.unsupported("--model", "the model's input '" + in + "' is "
                        + ti.type + "; explain4j supports float32, float64 and int64 inputs");
            };
            long[] s = ti.getShape();
            int[] ex = new int[Math.max(0, s.length - 1)];
            for (int i = 1; i < s.length; i++) {
                ex[i - 1] = s[i] < 0 ? -1 : Math.toIntExact(s[i]);
            }
            TensorInfo to = (TensorInfo) outputs.get(outputName).getInfo();
            long[] os = to.getShape();
            int outSize = -1;
            if (os.length >= 1) {
                long prod = 1;
                for (int i = 1; i < os.length; i++) {
                    prod = os[i] < 0 ? -1 : prod * os[i];
                    if (prod < 0) {
                        break;
                    }
                }
                outSize = (int) prod;
            }
            this.signature = new ModelSignature(in, type, ex, outSize);
        } catch (OrtException e) {
            closeQuietly();
            throw Explain4jException.model("--model", "cannot read the inputs and outputs of " + path + ": "
                    + firstLine(e.getMessage()), e);
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    /** Loads a model file with default options. */
    public static OnnxModel load(Path path) {
        return load(path, Options.defaults());
    }

    /** Loads a model file. */
    public static OnnxModel load(Path path, Options options) {
        return new OnnxModel(path, readModel(path), options);
    }

    /**
     * A model from bytes held in memory, e.g. an edited copy of a loaded model (the randomised
     * models of MPRT); {@code name} stands for the file in messages and provenance.
     */
    public static OnnxModel fromBytes(String name, byte[] bytes, Options options) {
        return new OnnxModel(Path.of(name), bytes.clone(), options);
    }

    /** Reads a model file's bytes with the errors the command line reports. */
    public static byte[] readModel(Path path) {
        try {
            byte[] b = Files.readAllBytes(path);
            if (b.length == 0) {
                throw Explain4jException.file("--model", "--model " + path + " is empty; pass an .onnx model file");
            }
            return b;
        } catch (NoSuchFileException e) {
            throw Explain4jException.file("--model", "--model file not found: " + path + "; check the path");
        } catch (IOException e) {
            throw Explain4jException.file("--model", "--model " + path + " cannot be read: " + e.getMessage(), e);
        }
    }

    static OrtSession createSession(OrtEnvironment env, byte[] model, Options options) throws OrtException {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(options.optimization());
            // warnings (e.g. about renaming implicit inputs of Loop bodies) are not the user's concern
            so.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            if (options.intraOpThreads() > 0) {
                so.setIntraOpNumThreads(options.intraOpThreads());
            }
            String profile = System.getenv("EXPLAIN4J_ORT_PROFILE");
            if (profile != null && !profile.isBlank()) {
                // performance work only: ONNX Runtime writes a per-op timing trace with this prefix
                so.enableProfiling(profile + "_forward");
            }
            return env.createSession(model, so);
        }
    }

    /** The model file this was loaded from. */
    public Path path() {
        return path;
    }

    /** The session options this model was loaded with. */
    public Options options() {
        return options;
    }

    /** A copy of the model file's bytes, as read. */
    public byte[] modelBytes() {
        return bytes.clone();
    }

    /** The name of the explained output. */
    public String outputName() {
        return outputName;
    }

    @Override
    public Tensor forward(Tensor input) {
        Tensor in = input.dtype() == signature.inputType() ? input : input.to(signature.inputType());
        try (OnnxTensor t = OrtTensors.toOrt(env, in);
             OrtSession.Result r = session.run(Map.of(signature.inputName(), t), java.util.Set.of(outputName))) {
            OnnxTensor out = (OnnxTensor) r.get(0);
            Tensor o = OrtTensors.fromOrt(out);
            if (o.rank() == 1) {
                return o.reshape(o.dim(0), 1);
            }
            if (o.rank() > 2) {
                return o.reshape(o.dim(0), o.exampleSize());
            }
            return o;
        } catch (OrtException e) {
            throw Explain4jException.model("--model", "ONNX Runtime failed on " + path.getFileName() + " with input "
                    + input.describe() + ": " + firstLine(e.getMessage()), e);
        }
    }

    @Override
    public ModelSignature signature() {
        return signature;
    }

    @Override
    public ModelInfo info() {
        return new ModelInfo(path.getFileName().toString(), sha256);
    }

    @Override
    public void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        try {
            session.close();
        } catch (OrtException e) {
            // nothing more can be done with a session that fails to close
        }
    }

    static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
