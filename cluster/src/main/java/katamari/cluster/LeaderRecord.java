package katamari.cluster;

/** Who leads, under which fencing token, since when (epoch ms), and where its admin API is. */
public record LeaderRecord(String address, String adminUrl, long fence, long since, long renewedAt) implements Fenced {}
