package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.nio.file.Files;
import java.nio.file.Path;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.onnx.OnnxModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** explain's stop-or-skip rule for non-finite errors, and the token-id check of integer inputs. */
class ReviewFixesCliTest {
    @TempDir
    Path tmp;

    @Test
    void explain_skipsAMethodWhoseOwnAttributionIsNotFinite_unlessTheUserNamedIt() {
        Explain4jException attribution = new Explain4jException(ErrorKind.NON_FINITE, "attribution", "saliency's attribution is NaN");
        Explain4jException output = new Explain4jException(ErrorKind.NON_FINITE, "model output", "the model's output is NaN");
        Explain4jException input = new Explain4jException(ErrorKind.NON_FINITE, "--input", "--input has NaN");
        Explain4jException target = new Explain4jException(ErrorKind.TARGET, "--target", "out of range");
        assertThat(Explainer.stops(attribution, false)).as("default set: the method is skipped").isFalse();
        assertThat(Explainer.stops(attribution, true)).as("named by the user: the run stops").isTrue();
        for (boolean named : new boolean[] {false, true}) {
            assertThat(Explainer.stops(output, named)).isTrue();
            assertThat(Explainer.stops(input, named)).isTrue();
            assertThat(Explainer.stops(target, named)).isTrue();
        }
    }

    private static ValueInfoProto value(String name, int type, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
    }

    private Path write(String name, GraphProto g) throws Exception {
        ModelProto m = ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).setGraph(g).build();
        Path p = tmp.resolve(name);
        Files.write(p, m.toByteArray());
        return p;
    }

    @Test
    void negativeIds_areRefusedOnlyWhereTheInputFeedsAGather() throws Exception {
        int int64 = TensorProto.DataType.INT64_VALUE;
        int f32 = TensorProto.DataType.FLOAT_VALUE;
        Path cast = write("cast.onnx", GraphProto.newBuilder().setName("g")
                .addInput(value("ids", int64, 1, 3)).addOutput(value("f", f32, 1, 3))
                .addNode(NodeProto.newBuilder().setOpType("Cast").addInput("ids").addOutput("f")
                        .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT).setI(f32)))
                .build());
        Tensor negative = Tensor.ofLongs(new long[] {3, -2, 1}, 1, 3);
        try (OnnxModel castModel = OnnxModel.load(cast)) {
            TokenIds.check(castModel, "ids", negative, "--input"); // a signed integer feature, not a token id
        }
        Path gather = write("gather.onnx", GraphProto.newBuilder().setName("g")
                .addInput(value("ids", int64, 1, 3)).addOutput(value("e", f32, 1, 3, 2))
                .addInitializer(TensorProto.newBuilder().setName("table").setDataType(f32).addDims(5).addDims(2)
                        .addAllFloatData(java.util.Collections.nCopies(10, 0.5f)))
                .addNode(NodeProto.newBuilder().setOpType("Cast").addInput("ids").addOutput("ids32")
                        .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT)
                                .setI(TensorProto.DataType.INT32_VALUE)))
                .addNode(NodeProto.newBuilder().setOpType("Gather").addInput("table").addInput("ids32").addOutput("e"))
                .build());
        try (OnnxModel gatherModel = OnnxModel.load(gather)) {
            assertThatThrownBy(() -> TokenIds.check(gatherModel, "ids", negative, "--input"))
                    .isInstanceOfSatisfying(Explain4jException.class, e -> {
                        assertThat(e.argument()).isEqualTo("--input");
                        assertThat(e.getMessage()).contains("-2").contains("[0, 1]");
                    });
            assertThatThrownBy(() -> TokenIds.check(gatherModel, "ids", Tensor.ofLongs(new long[] {0, 5, 1}, 1, 3), "--input"))
                    .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.getMessage()).contains("vocabulary of 5"));
            TokenIds.check(gatherModel, "ids", Tensor.ofLongs(new long[] {0, 4, 1}, 1, 3), "--input");
        }
    }

    /**
     * The token-id check reads the loaded model's analysis, not the file: with the file gone after
     * the load (the check used to read and parse it again, and found nothing), an id past the
     * embedding table is still refused with the vocabulary's size, and a negative one too.
     */
    @Test
    void tokenIds_areCheckedAgainstTheLoadedModel_notARereadOfTheFile() throws Exception {
        int int64 = TensorProto.DataType.INT64_VALUE;
        int f32 = TensorProto.DataType.FLOAT_VALUE;
        GraphProto vocab7 = GraphProto.newBuilder().setName("g")
                .addInput(value("ids", int64, 1, 3)).addOutput(value("e", f32, 1, 3, 2))
                .addInitializer(TensorProto.newBuilder().setName("table").setDataType(f32).addDims(7).addDims(2)
                        .addAllFloatData(java.util.Collections.nCopies(14, 0.25f)))
                .addNode(NodeProto.newBuilder().setOpType("Gather").addInput("table").addInput("ids").addOutput("e"))
                .build();
        for (String session : new String[] {"lazy", "eager"}) {
            Path gather = write("vocab7.onnx", vocab7);
            String old = System.setProperty(OnnxModel.FORWARD_SESSION, session);
            try (ModelLoader.Loaded m = ModelLoader.load(gather, 0, null, null)) {
                Files.delete(gather);
                assertThatThrownBy(() -> TokenIds.check(m.onnx(), "ids", Tensor.ofLongs(new long[] {0, 7, 1}, 1, 3), "--input"))
                        .as(session).isInstanceOfSatisfying(Explain4jException.class, e -> {
                            assertThat(e.argument()).isEqualTo("--input");
                            assertThat(e.getMessage()).contains("token id 7").contains("vocabulary of 7");
                        });
                assertThatThrownBy(() -> TokenIds.check(m.onnx(), "ids", Tensor.ofLongs(new long[] {-1, 0, 1}, 1, 3), "--input"))
                        .as(session).isInstanceOf(Explain4jException.class).hasMessageContaining("-1");
                TokenIds.check(m.onnx(), "ids", Tensor.ofLongs(new long[] {6, 0, 1}, 1, 3), "--input");
                assertThat(m.forward(Tensor.ofLongs(new long[] {6, 0, 1}, 1, 3)).getDouble(0)).as(session).isEqualTo(0.25);
            } finally {
                if (old == null) {
                    System.clearProperty(OnnxModel.FORWARD_SESSION);
                } else {
                    System.setProperty(OnnxModel.FORWARD_SESSION, old);
                }
            }
        }
    }
}
