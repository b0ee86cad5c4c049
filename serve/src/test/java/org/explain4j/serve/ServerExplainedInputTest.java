package org.explain4j.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model with two floating inputs is served when its card names the explained one
 * ({@code "explain": NAME}, as {@code attribute --explain}); without it, it is listed as not ready.
 */
class ServerExplainedInputTest {
    @TempDir
    static Path tmp;
    static TestServer s;

    /** {@code y = (x * mask) W + bias}: x float (N, 4), mask int64 (N, 4), bias float (N, 2). */
    static final float[] W = {0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f, 1f, 1f};

    static ModelProto model() {
        TensorProto.Builder w = TensorProto.newBuilder().setName("W").setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(4).addDims(2);
        for (float f : W) {
            w.addFloatData(f);
        }
        GraphProto g = GraphProto.newBuilder().setName("masked")
                .addInput(info("x", TensorProto.DataType.FLOAT_VALUE, 4))
                .addInput(info("mask", TensorProto.DataType.INT64_VALUE, 4))
                .addInput(info("bias", TensorProto.DataType.FLOAT_VALUE, 2))
                .addInitializer(w)
                .addNode(NodeProto.newBuilder().setOpType("Cast").setName("cast").addInput("mask").addOutput("maskf")
                        .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT)
                                .setI(TensorProto.DataType.FLOAT_VALUE)))
                .addNode(NodeProto.newBuilder().setOpType("Mul").setName("mul").addInput("x").addInput("maskf").addOutput("xm"))
                .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("mm").addInput("xm").addInput("W").addOutput("z"))
                .addNode(NodeProto.newBuilder().setOpType("Add").setName("add").addInput("z").addInput("bias").addOutput("y"))
                .addOutput(info("y", TensorProto.DataType.FLOAT_VALUE, 2))
                .build();
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("explain4j-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(g).build();
    }

    private static ValueInfoProto info(String name, int type, long dim) {
        TensorShapeProto shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(dim)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape))).build();
    }

    @BeforeAll
    static void start() throws IOException {
        Path models = TestServer.modelsFolder(tmp.resolve("models"));
        byte[] bytes = model().toByteArray();
        for (String name : new String[] {"plain", "ex_x", "ex_bias", "ex_missing", "ex_number"}) {
            Files.write(models.resolve(name + ".onnx"), bytes);
        }
        card(models, "ex_x", Map.of("explain", "x"));
        card(models, "ex_bias", Map.of("explain", "bias"));
        card(models, "ex_missing", Map.of("explain", "nope"));
        card(models, "ex_number", Map.of("explain", 3));
        s = new TestServer(ServeConfig.defaults(models));
    }

    static void card(Path dir, String name, Map<String, Object> card) throws IOException {
        Files.writeString(dir.resolve(name + ".json"), TestServer.JSON.writeValueAsString(card));
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    static ObjectNode explain(int target) {
        ObjectNode b = TestServer.JSON.createObjectNode();
        ObjectNode in = b.putArray("instances").addObject().putObject("inputs");
        in.putArray("x").add(1).add(2).add(3).add(4);
        in.putArray("mask").add(1).add(0).add(1).add(1);
        in.putArray("bias").add(0.3).add(-0.2);
        b.putObject("parameters").put("method", "integrated-gradients").put("target", target);
        return b;
    }

    static Map<String, JsonNode> listing() {
        Map<String, JsonNode> byName = new HashMap<>();
        s.get("/v1/models").json().get("models").forEach(m -> byName.put(m.get("name").asText(), m));
        return byName;
    }

    @Test
    void withoutACardChoice_aModelWithTwoFloatingInputsIsNotReady() {
        JsonNode plain = listing().get("plain");
        assertThat(plain.get("ready").asBoolean()).isFalse();
        assertThat(plain.get("error").asText()).contains("x").contains("bias");
    }

    @Test
    void theCardsChoiceIsExplained_theOthersAreFedAsGiven() {
        Map<String, JsonNode> byName = listing();
        assertThat(byName.get("ex_x").get("ready").asBoolean()).isTrue();
        assertThat(byName.get("ex_bias").get("ready").asBoolean()).isTrue();

        TestServer.Reply x = s.post("/v1/models/ex_x:explain", explain(0));
        assertThat(x.status()).as(x.text()).isEqualTo(200);
        JsonNode a = x.json().get("explanations").get(0).get("data");
        assertThat(a.get("shape").toString()).isEqualTo("[4]");
        double[] xs = {1, 2, 3, 4};
        int[] mask = {1, 0, 1, 1};
        for (int i = 0; i < 4; i++) {
            // linear in x: IG is exactly x * mask * W[i, 0]
            assertThat(a.get("attributions").get(i).asDouble()).as("x[%d]", i)
                    .isCloseTo(xs[i] * mask[i] * W[i * 2], within(1e-5));
        }

        TestServer.Reply b = s.post("/v1/models/ex_bias:explain", explain(1));
        assertThat(b.status()).as(b.text()).isEqualTo(200);
        JsonNode bias = b.json().get("explanations").get(0).get("data");
        assertThat(bias.get("shape").toString()).isEqualTo("[2]");
        // the bias enters additively: its attribution to output 1 is the bias itself there, 0 elsewhere
        assertThat(bias.get("attributions").get(0).asDouble()).isEqualTo(0.0);
        assertThat(bias.get("attributions").get(1).asDouble()).isCloseTo(-0.2, within(1e-6));
    }

    @Test
    void aBaselineGivenAsNumericText_isTakenAsTheCommandLineTakesIt() {
        ObjectNode b = explain(0);
        ((ObjectNode) b.get("parameters")).put("baseline", "0.5");
        TestServer.Reply r = s.post("/v1/models/ex_x:explain", b);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode a = r.json().get("explanations").get(0).get("data").get("attributions");
        double[] xs = {1, 2, 3, 4};
        int[] mask = {1, 0, 1, 1};
        for (int i = 0; i < 4; i++) {
            // linear: IG from the constant baseline 0.5 is (x - 0.5) * mask * W[i, 0]
            assertThat(a.get(i).asDouble()).as("x[%d]", i).isCloseTo((xs[i] - 0.5) * mask[i] * W[i * 2], within(1e-5));
        }
    }

    @Test
    void aCardNamingNoInputOrNotAName_isNotReadyWithItsReason() {
        Map<String, JsonNode> byName = listing();
        assertThat(byName.get("ex_missing").get("ready").asBoolean()).isFalse();
        assertThat(byName.get("ex_missing").get("error").asText()).contains("nope")
                .contains("the card ex_missing.json names \"explain\"");
        assertThat(byName.get("ex_number").get("ready").asBoolean()).isFalse();
        assertThat(byName.get("ex_number").get("error").asText()).contains("\"explain\"").contains("input name");
        TestServer.Reply r = s.post("/v1/models/ex_missing:explain", explain(0));
        assertThat(r.status()).isBetween(400, 499);
        assertThat(r.text()).contains("nope");
        assertThat(r.json().path("error").path("argument").asText()).as("a card error, not the CLI's flag").isEqualTo("card");
    }
}
