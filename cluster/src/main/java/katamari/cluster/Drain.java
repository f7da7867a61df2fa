package katamari.cluster;

/** An operator's drain of a worker (admin API): while {@code draining}, the master places nothing on it. */
public record Drain(String worker, boolean draining, long fence) implements Fenced {}
