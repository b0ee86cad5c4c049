package org.explain4j.cli;

import picocli.CommandLine.Option;

/** {@code --device}, shared by the commands that load a model (a picocli mixin). */
public final class DeviceOption {
    @Option(names = "--device", paramLabel = "cpu|cuda[:N]", description = "Where ONNX Runtime runs the model, forward and "
            + "backward: cpu (default) or cuda[:N], which needs the GPU build (mvn -Pgpu) and CUDA.")
    String value = "cpu";

    /** The device as given ({@code cpu}, {@code cuda}, {@code cuda:N}). */
    public String value() {
        return value;
    }

    /** Whether a device other than the default was asked for. */
    boolean given() {
        return !"cpu".equalsIgnoreCase(value.strip());
    }
}
