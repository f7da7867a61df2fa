package katamari.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Duration;

/**
 * How the masters grow and shrink one pool-version's instance count with its load (docs/configuration.md,
 * docs/design.md "Autoscaling"). The pool definition's {@code instances} is then only where it starts.
 *
 * @param min         fewest instances (at least 1: a pool-version at 0 could not answer the request that would wake it)
 * @param max         most instances (required); the workers' free capacity may hold it lower
 * @param growAbove   grow when the share of instances busy (0-1, averaged over the workers' heartbeats) is above this,
 *                    or when requests wait for an instance (default 0.8)
 * @param shrinkBelow shrink when the busy share is below this and nothing waits (default 0.3); below {@code growAbove}
 * @param growAfter   the load must have been high this long, and the last change this long ago, before a grow (default 2s)
 * @param shrinkAfter the load must have been low this long, and the last change this long ago, before a shrink
 *                    (default 30s): growing is quick, shrinking slow
 */
public record Autoscale(
        Integer min,
        Integer max,
        Double growAbove,
        Double shrinkBelow,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration growAfter,
        @JsonSerialize(using = DurationCodec.Writer.class) @JsonDeserialize(using = DurationCodec.Reader.class) Duration shrinkAfter) {

    public static final int MAX_INSTANCES = 1024;
    public static final double DEFAULT_GROW_ABOVE = 0.8;
    public static final double DEFAULT_SHRINK_BELOW = 0.3;
    public static final Duration DEFAULT_GROW_AFTER = Duration.ofSeconds(2);
    public static final Duration DEFAULT_SHRINK_AFTER = Duration.ofSeconds(30);

    public Autoscale {
        min = min == null ? 1 : min;
        if (max == null) {
            throw new IllegalArgumentException("autoscale.max is required (the most instances the pool-version may grow to)");
        }
        if (min < 1 || min > MAX_INSTANCES) {
            throw new IllegalArgumentException("autoscale.min must be 1-" + MAX_INSTANCES + ", was " + min);
        }
        if (max < 1 || max > MAX_INSTANCES) {
            throw new IllegalArgumentException("autoscale.max must be 1-" + MAX_INSTANCES + ", was " + max);
        }
        if (min > max) {
            throw new IllegalArgumentException("autoscale.min (" + min + ") is above autoscale.max (" + max + ")");
        }
        growAbove = growAbove == null ? DEFAULT_GROW_ABOVE : growAbove;
        shrinkBelow = shrinkBelow == null ? DEFAULT_SHRINK_BELOW : shrinkBelow;
        if (!(growAbove > 0 && growAbove <= 1)) {
            throw new IllegalArgumentException("autoscale.growAbove must be a share above 0 and at most 1, was " + growAbove);
        }
        if (!(shrinkBelow >= 0 && shrinkBelow < growAbove)) {
            throw new IllegalArgumentException("autoscale.shrinkBelow must be at least 0 and below autoscale.growAbove (" + growAbove
                    + "), was " + shrinkBelow);
        }
        growAfter = positive("growAfter", growAfter, DEFAULT_GROW_AFTER);
        shrinkAfter = positive("shrinkAfter", shrinkAfter, DEFAULT_SHRINK_AFTER);
    }

    /** Between {@code min} and {@code max}, everything else at its default. */
    public static Autoscale between(int min, int max) {
        return new Autoscale(min, max, null, null, null, null);
    }

    public Autoscale withThresholds(double newGrowAbove, double newShrinkBelow) {
        return new Autoscale(min, max, newGrowAbove, newShrinkBelow, growAfter, shrinkAfter);
    }

    public Autoscale withDelays(Duration newGrowAfter, Duration newShrinkAfter) {
        return new Autoscale(min, max, growAbove, shrinkBelow, newGrowAfter, newShrinkAfter);
    }

    /** {@code n} kept within {@code min..max}. */
    public int clamp(int n) {
        return Math.max(min, Math.min(max, n));
    }

    private static Duration positive(String field, Duration d, Duration dflt) {
        if (d == null) {
            return dflt;
        }
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException("autoscale." + field + " must be a positive duration, was " + Durations.format(d));
        }
        return d;
    }
}
