package io.irgstream.app.cli;

import java.io.PrintWriter;

/** A one-line progress bar on the terminal (stderr), redrawn in place. */
final class Progress {
    private final PrintWriter err;
    private final int total;
    private final long start = System.nanoTime();

    Progress(PrintWriter err, int total) {
        this.err = err;
        this.total = total;
    }

    void update(int done) {
        int width = 30;
        int filled = total == 0 ? width : (int) ((long) done * width / total);
        double secs = (System.nanoTime() - start) / 1e9;
        err.printf("\r[%s%s] %d/%d trajectories  %.1f s", "#".repeat(filled), " ".repeat(width - filled), done, total, secs);
        if (done >= total) {
            err.println();
        }
        err.flush();
    }
}
