package katamari.dispatcher.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import katamari.cluster.ClusterMaps;
import katamari.config.KafkaSettings;
import katamari.kafka.embedded.EmbeddedKafka;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The journal on a real broker: what a fresh master set reads back is what the last masters wrote. */
class MetadataJournalTest {
    private static EmbeddedKafka broker;
    private static KafkaSettings kafka;

    @BeforeAll
    static void start() {
        broker = EmbeddedKafka.start(EmbeddedKafka.Settings.defaults());
        kafka = KafkaSettings.defaults().withBootstrap(broker.bootstrapServers());
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void a_new_reader_gets_the_last_value_of_every_key_and_the_highest_fence() {
        try (MetadataJournal writer = new MetadataJournal(kafka, "alpha", Duration.ofSeconds(10))) {
            writer.recordFence(88);
            writer.put(ClusterMaps.POOLS, "echo/v1", "{\"weight\":1}");
            writer.put(ClusterMaps.POOLS, "echo/v1", "{\"weight\":7}");
            writer.put(ClusterMaps.DRAINS, "w1", "{\"draining\":true}");
            writer.recordFence(89);
        }
        try (MetadataJournal reader = new MetadataJournal(kafka, "alpha", Duration.ofSeconds(10))) {
            MetadataJournal.Snapshot s = reader.read();
            assertEquals(89, s.fence());
            assertEquals(Map.of("echo/v1", "{\"weight\":7}"), s.map(ClusterMaps.POOLS));
            assertEquals(Map.of("w1", "{\"draining\":true}"), s.map(ClusterMaps.DRAINS));
        }
    }

    @Test
    void clusters_sharing_a_kafka_keep_separate_journals() {
        try (MetadataJournal a = new MetadataJournal(kafka, "beta", Duration.ofSeconds(10));
             MetadataJournal b = new MetadataJournal(kafka, "gamma", Duration.ofSeconds(10))) {
            a.put(ClusterMaps.POOLS, "only/a", "{}");
            assertTrue(b.read().empty(), "gamma's journal holds nothing of beta's");
            assertEquals("katamari.metadata.beta", a.topic());
        }
    }

    @Test
    void heartbeats_are_not_journaled() {
        try (MetadataJournal j = new MetadataJournal(kafka, "delta", Duration.ofSeconds(10))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> j.put(ClusterMaps.WORKERS, "w1", "{}"));
            assertTrue(e.getMessage().contains("not a durable map"), e.getMessage());
        }
    }
}
