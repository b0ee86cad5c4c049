package org.explain4j.cli;

import java.nio.file.Path;
import org.explain4j.core.model.Model;
import org.explain4j.onnx.OnnxModel;

/** Opens the model a command names. */
final class ModelLoader {
    private ModelLoader() {
    }

    static Model load(Path path, int threads, String inputName, String outputName) {
        OnnxModel.Options o = OnnxModel.Options.defaults().withThreads(threads);
        if (inputName != null) {
            o = o.withInputName(inputName);
        }
        if (outputName != null) {
            o = o.withOutputName(outputName);
        }
        return OnnxModel.load(path, o);
    }
}
