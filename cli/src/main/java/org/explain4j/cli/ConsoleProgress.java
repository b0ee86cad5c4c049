package org.explain4j.cli;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.explain4j.core.engine.ProgressListener;

/** Shows a progress bar on stderr for runs of at least {@code threshold} model evaluations. */
final class ConsoleProgress implements ProgressListener {
    private final long threshold;
    private ProgressBar bar;

    ConsoleProgress(long threshold) {
        this.threshold = threshold;
    }

    @Override
    public void start(String task, long total) {
        if (total >= threshold && bar == null) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setUnit(" evals", 1).setUpdateIntervalMillis(250).continuousUpdate().build();
        }
    }

    @Override
    public void advance(long done) {
        if (bar != null) {
            bar.stepBy(done);
        }
    }

    @Override
    public void finish() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
