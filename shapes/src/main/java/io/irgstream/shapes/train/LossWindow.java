package io.irgstream.shapes.train;

/** Running mean of the loss over a logging window, remembering the first window's mean. */
public final class LossWindow {
    private double sum;
    private int n;
    private double first = Double.NaN;
    private double last = Double.NaN;

    /** Adds one step's loss. */
    public void add(double loss) {
        sum += loss;
        n++;
    }

    /** How many losses the current window holds. */
    public int size() {
        return n;
    }

    /** Closes the current window and returns its mean (NaN when empty). */
    public double close() {
        double mean = n == 0 ? Double.NaN : sum / n;
        if (n > 0) {
            if (Double.isNaN(first)) {
                first = mean;
            }
            last = mean;
        }
        sum = 0;
        n = 0;
        return mean;
    }

    /** Mean of the first closed window. */
    public double first() {
        return first;
    }

    /** Mean of the last closed window. */
    public double last() {
        return last;
    }
}
