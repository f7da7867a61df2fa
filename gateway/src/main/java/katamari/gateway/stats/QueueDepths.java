package katamari.gateway.stats;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import katamari.config.KafkaSettings;
import katamari.topics.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsResult;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many records of each pool-version's request topic wait for an instance: the broker's own lag of the share
 * group (Admin {@code listShareGroupOffsets}: records after the share-partition start offset that are not yet
 * records not yet handed to a consumer, as the share coordinator last persisted it). One Admin call for all
 * pool-versions, cached for a second, so that stats and metrics scrapes cost the broker at most one request a second;
 * unknown (absent) when the broker cannot say: before the group acknowledged its first record (the broker reports
 * no start offset until then), or when the broker does not answer within 1.5 s.
 */
final class QueueDepths implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QueueDepths.class);
    private static final long FRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final KafkaSettings kafka;
    private Admin admin;
    private Map<String, Long> last = Map.of();
    private java.util.Set<String> asked = java.util.Set.of();
    private long lastNanos;

    QueueDepths(KafkaSettings kafka) {
        this.kafka = kafka;
    }

    /** @param keys pool-versions as {@code pool/version}; the answer may lack some (unknown) */
    synchronized Map<String, Long> depths(Collection<String> keys) {
        if (System.nanoTime() - lastNanos < FRESH_NANOS && asked.containsAll(keys)) {
            return last;
        }
        Map<String, Long> out = new HashMap<>();
        try {
            if (admin == null) {
                var p = kafka.clientProperties();
                p.put(AdminClientConfig.CLIENT_ID_CONFIG, "katamari-gateway-stats");
                p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "2000");
                p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
                admin = Admin.create(p);
            }
            Map<String, String> groupOf = new HashMap<>();
            Map<String, ListShareGroupOffsetsSpec> specs = new HashMap<>();
            for (String key : keys) {
                String[] pv = key.split("/", 2);
                String group = TopicNames.shareGroup(pv[0], pv[1]);
                groupOf.put(key, group);
                specs.put(group, new ListShareGroupOffsetsSpec());
            }
            ListShareGroupOffsetsResult result = admin.listShareGroupOffsets(specs);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500); // one bound for all: a scrape never waits long
            for (Map.Entry<String, String> e : groupOf.entrySet()) {
                try {
                    Map<?, SharePartitionOffsetInfo> partitions = result.partitionsToOffsetInfo(e.getValue())
                            .get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    long sum = 0;
                    boolean known = !partitions.isEmpty();
                    for (SharePartitionOffsetInfo info : partitions.values()) {
                        if (info == null || info.lag().isEmpty()) {
                            known = false;
                            break;
                        }
                        sum += info.lag().get();
                    }
                    if (known) {
                        out.put(e.getKey(), sum);
                    }
                } catch (Exception ex) {
                    LOG.debug("no queue depth for {}: {}", e.getKey(), ex.toString());
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("queue depths unavailable: {}", e.toString());
        }
        last = Map.copyOf(out);
        asked = java.util.Set.copyOf(keys);
        lastNanos = System.nanoTime();
        return last;
    }

    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close(java.time.Duration.ofSeconds(2));
        }
    }
}
