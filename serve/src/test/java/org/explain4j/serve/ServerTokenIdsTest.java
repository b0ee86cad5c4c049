package org.explain4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token ids sent as numbers are checked as the command line checks them: ONNX Runtime's Gather
 * reads a negative id from the end of the embedding table (a wrong prediction, answered 200) and
 * fails on one past it with a message about a node; the service answers 400 naming the instance,
 * the id, its index and the vocabulary's size.
 */
class ServerTokenIdsTest {
    @TempDir
    Path tmp;

    private static ValueInfoProto value(String name, int type, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
    }

    @Test
    void negativeOrOutOfVocabularyIds_areRefusedWith400_validOnesPredict() throws Exception {
        int f32 = TensorProto.DataType.FLOAT_VALUE;
        TensorProto.Builder table = TensorProto.newBuilder().setName("table").setDataType(f32).addDims(5).addDims(2);
        for (int i = 0; i < 10; i++) {
            table.addFloatData(i);
        }
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addInput(value("ids", TensorProto.DataType.INT64_VALUE, -1, 3)).addOutput(value("y", f32, -1, 6))
                .addInitializer(table)
                .addNode(NodeProto.newBuilder().setOpType("Gather").addInput("table").addInput("ids").addOutput("e"))
                .addNode(NodeProto.newBuilder().setOpType("Flatten").addInput("e").addOutput("y"))
                .build();
        Path models = tmp.resolve("models");
        Files.createDirectories(models);
        Files.write(models.resolve("ids.onnx"), ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).setGraph(g).build().toByteArray());
        try (TestServer s = new TestServer(ServeConfig.defaults(models))) {
            TestServer.Reply ok = s.post("/v1/models/ids:predict", Map.of("instances", new long[][] {{4, 0, 2}}));
            assertThat(ok.status()).as(ok.text()).isEqualTo(200);
            assertThat(ok.json().get("predictions").get(0).get("output").toString()).isEqualTo("[8.0,9.0,0.0,1.0,4.0,5.0]");

            TestServer.Reply negative = s.post("/v1/models/ids:predict", Map.of("instances", new long[][] {{0, 1, 2}, {4, -1, 2}}));
            assertThat(negative.status()).as(negative.text()).isEqualTo(400);
            assertThat(negative.text()).contains("instances[1]").contains("token id -1").contains("[0, 1]");

            TestServer.Reply past = s.post("/v1/models/ids:predict", Map.of("instances", new long[][] {{5, 0, 2}}));
            assertThat(past.status()).as(past.text()).isEqualTo(400);
            assertThat(past.text()).contains("instances[0]").contains("token id 5").contains("vocabulary of 5");
        }
    }
}
