package katamari.dispatcher.autoscale;

import katamari.config.Autoscale;

/**
 * When and how far one pool-version grows or shrinks: a pure function of what was observed, the bounds and the time.
 * High load (requests wait, or the busy share is above {@code growAbove}) held for {@code growAfter} grows it; low load
 * (nothing waits and the busy share is below {@code shrinkBelow}) held for {@code shrinkAfter} shrinks it; both also
 * wait that long after the last change, so that readings taken with the old count never drive the next step.
 * A grow at least adds one and at most doubles the count under a backlog; a shrink removes at most half of it, never
 * below what the load needs at the middle of the two thresholds: quick up, slow down.
 */
public final class ScalePolicy {
    /** No time recorded. */
    public static final long NEVER = -1;

    /**
     * What was observed of one pool-version, averaged over the recent heartbeats.
     *
     * @param busyShare      share of its live instances running a request (0-1); NaN when none is live (nothing known)
     * @param busyInstances  how many instances were busy on average
     * @param waiting        requests waiting for an instance (0 when none or unknown)
     */
    public record Reading(double busyShare, double busyInstances, long waiting) {
        public boolean high(Autoscale s) {
            return waiting > 0 || (!Double.isNaN(busyShare) && busyShare > s.growAbove());
        }

        public boolean low(Autoscale s) {
            return waiting <= 0 && !Double.isNaN(busyShare) && busyShare < s.shrinkBelow();
        }
    }

    /** Since when the load has been high or low (or {@link #NEVER}), and when the count last changed. */
    public record Memory(long highSince, long lowSince, long lastChangeAt) {
        public static final Memory FRESH = new Memory(NEVER, NEVER, NEVER);

        public Memory changedAt(long at) {
            return new Memory(NEVER, NEVER, at);
        }
    }

    /**
     * @param target   the count to run (the current one when nothing changes)
     * @param reason   why it changes, with the readings; null when it does not
     * @param capped   the load wants more than the workers have room for
     */
    public record Decision(int target, String reason, boolean capped, Memory memory) {
        public boolean changes(int current) {
            return target != current;
        }
    }

    private ScalePolicy() {}

    /**
     * @param current instances the pool-version is set to run now
     * @param room    instances of it the live workers can hold in all (their free capacity plus what it runs now)
     */
    public static Decision decide(Autoscale s, int current, int room, Reading r, Memory m, long now) {
        if (current < s.min() || current > s.max()) {
            int to = s.clamp(current);
            return new Decision(to, "instances " + current + " outside autoscale " + s.min() + ".." + s.max(), false, m.changedAt(now));
        }
        boolean high = r.high(s);
        boolean low = r.low(s);
        Memory seen = new Memory(high ? since(m.highSince(), now) : NEVER, low ? since(m.lowSince(), now) : NEVER, m.lastChangeAt());
        double mid = (s.growAbove() + s.shrinkBelow()) / 2;
        if (high && current < s.max() && held(seen.highSince(), now, s.growAfter().toMillis()) && quiet(m, now, s.growAfter().toMillis())) {
            int wanted = Math.max(current + 1, (int) Math.ceil(r.busyInstances() / mid));
            if (r.waiting() > 0) {
                wanted = (int) Math.max(wanted, current + Math.min(current, r.waiting()));
            }
            wanted = Math.min(wanted, s.max());
            boolean capped = wanted > room;
            int to = Math.max(current, Math.min(wanted, room));
            if (to == current) {
                return new Decision(current, null, capped, seen);
            }
            return new Decision(to, "grow: " + describe(r) + (capped ? "; wanted " + wanted + ", the workers have room for " + room : ""),
                    capped, seen.changedAt(now));
        }
        if (low && current > s.min() && held(seen.lowSince(), now, s.shrinkAfter().toMillis()) && quiet(m, now, s.shrinkAfter().toMillis())) {
            int needed = (int) Math.ceil(r.busyInstances() / mid);
            int to = Math.min(current - 1, Math.max(s.min(), Math.max(needed, (current + 1) / 2)));
            return new Decision(to, "shrink: " + describe(r) + " for " + (now - seen.lowSince()) + " ms", false, seen.changedAt(now));
        }
        // still wanting more than fits is worth saying even between steps
        boolean capped = high && current < s.max() && current >= room;
        return new Decision(current, null, capped, seen);
    }

    private static String describe(Reading r) {
        String share = Double.isNaN(r.busyShare()) ? "no live instance" : "busy share " + Math.round(r.busyShare() * 100) + " %";
        return share + ", " + r.waiting() + " waiting";
    }

    private static long since(long since, long now) {
        return since == NEVER ? now : since;
    }

    private static boolean held(long since, long now, long forMillis) {
        return since != NEVER && now - since >= forMillis;
    }

    private static boolean quiet(Memory m, long now, long forMillis) {
        return m.lastChangeAt() == NEVER || now - m.lastChangeAt() >= forMillis;
    }
}
