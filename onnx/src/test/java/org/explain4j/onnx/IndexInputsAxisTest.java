package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Which Gathers make an integer input a token id: row lookups (axis 0), not picks along other axes. */
class IndexInputsAxisTest {
    @Test
    void aGatherAlongAxis0IsALookup_alongAnotherAxisAPick() {
        GraphProto g = GraphProto.newBuilder()
                .addInitializer(TensorProto.newBuilder().setName("table").setDataType(TensorProto.DataType.FLOAT_VALUE)
                        .addDims(50).addDims(4))
                .addInput(ValueInfoProto.newBuilder().setName("ids"))
                .addInput(ValueInfoProto.newBuilder().setName("hidden"))
                .addInput(ValueInfoProto.newBuilder().setName("pick"))
                .addInput(ValueInfoProto.newBuilder().setName("mask"))
                .addNode(NodeProto.newBuilder().setOpType("Gather").addInput("table").addInput("ids").addOutput("e"))
                .addNode(NodeProto.newBuilder().setOpType("Gather").addInput("hidden").addInput("pick").addOutput("p")
                        .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT)
                                .setI(1)))
                .addNode(NodeProto.newBuilder().setOpType("Mul").addInput("p").addInput("mask").addOutput("y"))
                .build();
        Map<String, IndexInputs.Use> uses = IndexInputs.of(g);
        assertThat(uses.get("ids")).isEqualTo(new IndexInputs.Use(true, true, OptionalLong.of(50)));
        // the last position along axis 1 (index -1) is valid ONNX, not a token id
        assertThat(uses.get("pick")).isEqualTo(new IndexInputs.Use(true, false, OptionalLong.empty()));
        assertThat(uses.get("mask")).isEqualTo(new IndexInputs.Use(true, false, OptionalLong.empty()));
        assertThat(uses).doesNotContainKey("table");
    }
}
