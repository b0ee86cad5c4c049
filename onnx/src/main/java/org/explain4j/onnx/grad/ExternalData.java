package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;
import org.explain4j.core.Explain4jException;
import org.explain4j.onnx.OnnxModel;

/**
 * Derived models (the shape probe's, the backward graph) of a model whose weights are stored as
 * external data: ONNX Runtime resolves external data relative to the model file's folder, but a
 * derived model is handed over as bytes, so the folder is recorded in the derived model's
 * metadata ({@value #FOLDER_KEY}) and every session created from such bytes is told it through
 * ONNX Runtime's session option {@value #ORT_FOLDER_OPTION}. Nothing is written next to the
 * user's model.
 */
final class ExternalData {
    /** Metadata key of the folder the model's external data paths are relative to. */
    static final String FOLDER_KEY = "explain4j.external_data_folder";
    /** ONNX Runtime's session option for the external data folder of a model loaded from bytes. */
    static final String ORT_FOLDER_OPTION = "session.model_external_initializers_file_folder_path";

    private ExternalData() {
    }

    /** Parses a model (its external data stays where it is) and records its file's folder. */
    static ModelProto load(OnnxModel model) {
        Path file = model.path();
        try (InputStream in = model.openModel()) {
            ModelProto p = ModelProto.parseFrom(in);
            Path folder = file.toAbsolutePath().getParent();
            return folder == null ? p : p.toBuilder().addMetadataProps(StringStringEntryProto.newBuilder()
                    .setKey(FOLDER_KEY).setValue(folder.toString())).build();
        } catch (IOException e) {
            throw Explain4jException.model("--model", "cannot parse " + file.getFileName() + " as an ONNX model: "
                    + e.getMessage(), e);
        }
    }

    /** True when some tensor of {@code p} (in any subgraph too) keeps its data in an external file. */
    static boolean hasExternalTensors(ModelProto p) {
        return external(p.getGraph());
    }

    private static boolean external(ai.onnx.proto.OnnxMl.GraphProto g) {
        for (ai.onnx.proto.OnnxMl.TensorProto t : g.getInitializerList()) {
            if (t.getDataLocation() == ai.onnx.proto.OnnxMl.TensorProto.DataLocation.EXTERNAL) {
                return true;
            }
        }
        for (ai.onnx.proto.OnnxMl.NodeProto n : g.getNodeList()) {
            for (ai.onnx.proto.OnnxMl.AttributeProto a : n.getAttributeList()) {
                if (a.hasT() && a.getT().getDataLocation() == ai.onnx.proto.OnnxMl.TensorProto.DataLocation.EXTERNAL
                        || a.hasG() && external(a.getG())) {
                    return true;
                }
                for (ai.onnx.proto.OnnxMl.GraphProto sub : a.getGraphsList()) {
                    if (external(sub)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** The folder recorded by {@link #load}, if any. */
    static Optional<String> folder(ModelProto p) {
        return p.getMetadataPropsList().stream().filter(e -> e.getKey().equals(FOLDER_KEY))
                .map(StringStringEntryProto::getValue).findFirst();
    }

    /** Points {@code so} at the external data folder of {@code p}, where it has one. */
    static void configure(OrtSession.SessionOptions so, ModelProto p) throws OrtException {
        Optional<String> f = folder(p);
        if (f.isPresent()) {
            so.addConfigEntry(ORT_FOLDER_OPTION, f.get());
        }
    }

    /** A session for a derived model, its external data found in the original model's folder. */
    static OrtSession createSession(OrtEnvironment env, ModelProto p, OrtSession.SessionOptions so) throws OrtException {
        configure(so, p);
        return env.createSession(p.toByteArray(), so);
    }
}
