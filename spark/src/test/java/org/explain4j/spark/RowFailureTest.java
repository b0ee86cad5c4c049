package org.explain4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.junit.jupiter.api.Test;

/** A row failure's kind and argument survive the text Spark keeps of a task's exception. */
class RowFailureTest {
    @Test
    void kindArgumentAndMessageComeBackFromTheText() {
        RowFailure f = new RowFailure(ErrorKind.TARGET, "target", "row with id 2 (partition 0, row 2) cannot be explained: "
                + "target 2 is out of range");
        String sparkText = "Job aborted due to stage failure: Task 0 in stage 1.0 failed 4 times, most recent failure: "
                + "Lost task 0.3 in stage 1.0 (TID 7) (10.0.0.5 executor 1): " + f + "\n\tat org.explain4j.spark.ExplainJob"
                + ".outputRow(ExplainJob.java:164)\n";
        Explain4jException back = RowFailure.parse(sparkText);
        assertThat(back).isNotNull();
        assertThat(back.kind()).isEqualTo(ErrorKind.TARGET);
        assertThat(back.argument()).isEqualTo("target");
        assertThat(back.getMessage()).isEqualTo(f.getMessage());
        assertThat(RowFailure.parse("org.explain4j.core.Explain4jException: something else")).isNull();
    }
}
