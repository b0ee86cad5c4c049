package org.explain4j.cli;

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
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --input NAME=FILE}, {@code --explain} and their errors on a model with three inputs. */
class MultiInputCliTest {
    @TempDir
    Path tmp;
    Path model;
    Path x;
    Path mask;
    Path bias;

    static final float[] W = {0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f, 1f, 1f};

    /** {@code y = (x * mask) W + bias}: x float (N, 4), mask int64 (N, 4), bias float (N, 2). */
    static ModelProto model() {
        TensorProto w = TensorProto.newBuilder().setName("W").setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(4).addDims(2).addAllFloatData(floats(W)).build();
        GraphProto g = GraphProto.newBuilder().setName("masked")
                .addInput(info("x", TensorProto.DataType.FLOAT_VALUE, "batch", 4))
                .addInput(info("mask", TensorProto.DataType.INT64_VALUE, "batch", 4))
                .addInput(info("bias", TensorProto.DataType.FLOAT_VALUE, "batch", 2))
                .addInitializer(w)
                .addNode(NodeProto.newBuilder().setOpType("Cast").setName("cast").addInput("mask").addOutput("maskf")
                        .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT)
                                .setI(TensorProto.DataType.FLOAT_VALUE)))
                .addNode(NodeProto.newBuilder().setOpType("Mul").setName("mul").addInput("x").addInput("maskf").addOutput("xm"))
                .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("mm").addInput("xm").addInput("W").addOutput("z"))
                .addNode(NodeProto.newBuilder().setOpType("Add").setName("add").addInput("z").addInput("bias").addOutput("y"))
                .addOutput(info("y", TensorProto.DataType.FLOAT_VALUE, "batch", 2))
                .build();
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("explain4j-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(g).build();
    }

    private static List<Float> floats(float[] v) {
        List<Float> out = new ArrayList<>();
        for (float f : v) {
            out.add(f);
        }
        return out;
    }

    private static ValueInfoProto info(String name, int type, String batch, long dim) {
        TensorShapeProto s = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(batch))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(dim)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
    }

    @BeforeEach
    void files() throws IOException {
        model = tmp.resolve("masked.onnx");
        Files.write(model, model().toByteArray());
        x = tmp.resolve("x.npy");
        Npy.write(Tensor.ofFloats(new float[] {1, 2, 3, 4, -1, 0.5f, 2, -2}, 2, 4), x);
        mask = tmp.resolve("mask.npy");
        Npy.write(Tensor.ofLongs(new long[] {1, 0, 1, 1, 0, 1, 1, 0}, 2, 4), mask);
        bias = tmp.resolve("bias.npy");
        Npy.write(Tensor.ofFloats(new float[] {0.3f, -0.2f, 0.7f, 0.1f}, 2, 2), bias);
    }

    private CliRunner.Run attribute(String... extra) {
        List<String> args = new ArrayList<>(List.of("attribute", "--quiet", "--model", model.toString(),
                "--method", "integrated-gradients", "--output", tmp.resolve("ig.npy").toString()));
        args.addAll(List.of(extra));
        return CliRunner.run(args.toArray(String[]::new));
    }

    private static void assertError(CliRunner.Run r, ErrorKind kind, String... mentions) {
        assertThat(r.exitCode()).as("exit code for: %s", r.err()).isEqualTo(kind.exitCode());
        assertThat(r.err().strip().lines().count()).as("one line: %s", r.err()).isEqualTo(1);
        for (String m : mentions) {
            assertThat(r.err()).contains(m);
        }
    }

    @Test
    void namedInputs_explainOneAndFeedTheOthers() throws IOException {
        CliRunner.Run r = attribute("--input", "x=" + x, "--input", "mask=" + mask, "--input", "bias=" + bias,
                "--explain", "x", "--target", "0", "--format", "json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        var json = new ObjectMapper().readTree(tmp.resolve("ig.npy").toFile());
        assertThat(json.get("input").asText()).isEqualTo("x");
        float[] xs = Npy.read(x).toFloatArray();
        long[] ms = Npy.read(mask).toLongArray();
        for (int i = 0; i < 8; i++) {
            // linear in x: IG is exactly x * mask * W[:, 0]
            double expected = xs[i] * ms[i] * W[(i % 4) * 2];
            assertThat(json.get("values").get(i).asDouble()).as("element %d", i).isCloseTo(expected, within(1e-5));
        }
    }

    @Test
    void explainSeveral_writesOneResultPerInput() {
        CliRunner.Run r = attribute("--input", "x=" + x, "--input", "mask=" + mask, "--input", "bias=" + bias,
                "--explain", "x,bias", "--target", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        Tensor b = Npy.read(tmp.resolve("ig.bias.npy"));
        // the bias enters additively: its attribution to output 1 is the bias itself there, 0 elsewhere
        assertThat(b.toFloatArray()).containsExactly(0f, -0.2f, 0f, 0.1f);
        assertThat(Npy.read(tmp.resolve("ig.x.npy")).shape()).containsExactly(2, 4);
    }

    @Test
    void changingTheFedMask_changesTheAttribution() {
        Path open = tmp.resolve("open.npy");
        Npy.write(Tensor.ofLongs(new long[] {1, 1, 1, 1, 1, 1, 1, 1}, 2, 4), open);
        assertThat(attribute("--input", "x=" + x, "--input", "mask=" + open, "--input", "bias=" + bias,
                "--explain", "x").exitCode()).isZero();
        float[] v = Npy.read(tmp.resolve("ig.npy")).toFloatArray();
        assertThat(v[1]).isCloseTo(2f * W[2], within(1e-5f));
        assertThat(attribute("--input", "x=" + x, "--input", "mask=" + mask, "--input", "bias=" + bias,
                "--explain", "x").exitCode()).isZero();
        assertThat(Npy.read(tmp.resolve("ig.npy")).toFloatArray()[1]).isEqualTo(0f);
    }

    @Test
    void explain_withNamedInputs_writesAReportWhoseCommandsFeedThemAgain() throws IOException {
        Path out = tmp.resolve("report");
        CliRunner.Run r = CliRunner.run("explain", "--quiet", "--model", model.toString(), "--input", "x=" + x,
                "--input", "mask=" + mask, "--input", "bias=" + bias, "--explain", "x",
                "--methods", "integrated-gradients,feature-ablation", "--target", "0", "--out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        var sections = Reports.sections(Files.readString(out.resolve("report.html")));
        assertThat(sections.keySet()).containsExactly("integrated-gradients", "feature-ablation");
        long[] ms = Npy.read(mask).toLongArray();
        for (var s : sections.values()) {
            assertThat(s.command()).as(s.title()).contains("--input mask=").contains("--input bias=");
            Tensor values = Npy.read(out.resolve(s.title() + ".npy"));
            for (int i = 0; i < 8; i++) {
                if (ms[i] == 0) {
                    assertThat(values.getDouble(i)).as("%s at masked element %d", s.title(), i).isEqualTo(0.0);
                }
            }
            Tensor again = Reports.rerun(s, out.resolve(s.title() + ".npy"), tmp.resolve(s.title() + ".rerun.npy"));
            assertThat(again.toFloatArray()).as(s.title()).containsExactly(values.toFloatArray());
        }
    }

    @Test
    void twoFloatingInputsWithoutExplain_isAnErrorListingTheChoices() {
        assertError(attribute("--input", "x=" + x, "--input", "mask=" + mask, "--input", "bias=" + bias),
                ErrorKind.USAGE, "--explain", "x float32 (batch, 4)", "bias float32 (batch, 2)");
    }

    @Test
    void unknownInputName_isAUsageError() {
        assertError(attribute("--input", "x=" + x, "--input", "mask=" + mask, "--input", "token_type_ids=" + bias,
                "--explain", "x"), ErrorKind.USAGE, "no input named 'token_type_ids'", "mask");
    }

    @Test
    void missingRequiredInput_isAUsageErrorNamingIt() {
        assertError(attribute("--input", x.toString(), "--input", "mask=" + mask, "--explain", "x"),
                ErrorKind.USAGE, "'bias'", "--input bias=FILE");
    }

    @Test
    void misshapenFedInput_isAShapeError() {
        Path wrong = tmp.resolve("wrong.npy");
        Npy.write(Tensor.ofLongs(new long[6], 2, 3), wrong);
        assertError(attribute("--input", "x=" + x, "--input", "mask=" + wrong, "--input", "bias=" + bias,
                "--explain", "x"), ErrorKind.SHAPE, "'mask'", "dimension 1 must be 4");
    }

    @Test
    void int32Files_areReportedAsInt32AndWidenedWhereTheModelTakesInt64() {
        Path ints = tmp.resolve("ints.npy");
        Npy.write(Tensor.ofInt32(new long[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 4), ints);
        assertError(attribute("--input", "x=" + ints, "--input", "mask=" + mask, "--input", "bias=" + bias,
                "--explain", "x"), ErrorKind.DTYPE, "is int32", "float32");
        Path mask32 = tmp.resolve("mask32.npy");
        Npy.write(Npy.read(mask).to(org.explain4j.core.DType.INT32), mask32);
        assertThat(Npy.read(mask32).dtype()).isEqualTo(org.explain4j.core.DType.INT32);
        assertThat(attribute("--input", "x=" + x, "--input", "mask=" + mask32, "--input", "bias=" + bias,
                "--explain", "x").exitCode()).isZero();
        assertThat(Npy.read(tmp.resolve("ig.npy")).toFloatArray()[1]).isEqualTo(0f);
    }

    @Test
    void unknownExplainName_isAUsageError() {
        assertError(attribute("--input", "x=" + x, "--input", "mask=" + mask, "--input", "bias=" + bias,
                "--explain", "ids"), ErrorKind.USAGE, "ids", "x, mask, bias");
    }
}
