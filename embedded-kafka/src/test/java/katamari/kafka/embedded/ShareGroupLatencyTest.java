package katamari.kafka.embedded;

import static katamari.kafka.embedded.KafkaClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures, and prints, what one request costs through a share group when requests are sent one
 * after another: produce (linger 0, acks=all) → a share consumer's poll → ACCEPT confirmed by
 * commitSync. Asserts no timing: the numbers are for DESIGN decisions, not a gate.
 */
class ShareGroupLatencyTest {
    private static final Logger log = LoggerFactory.getLogger(ShareGroupLatencyTest.class);
    private static final int WARMUP = 50;
    private static final int MEASURED = 200;

    private static EmbeddedKafka kafka;
    private static KafkaClients clients;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.start(EmbeddedKafka.Settings.defaults());
        clients = new KafkaClients(kafka.bootstrapServers());
    }

    @AfterAll
    static void stopBroker() {
        clients.close();
        kafka.close();
    }

    @Test
    void sequential_round_trip_through_one_share_consumer_is_reported() throws Exception {
        measure(1);
    }

    @Test
    void sequential_round_trip_through_three_competing_share_consumers_is_reported() throws Exception {
        measure(3);
    }

    private void measure(int consumers) throws Exception {
        String topic = unique("latency");
        String group = unique("pool");
        clients.createTopic(topic);
        clients.startShareGroupAtEarliest(group);

        Map<String, CompletableFuture<Long>> received = new ConcurrentHashMap<>();
        Map<String, CompletableFuture<Long>> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < consumers; i++) {
            Thread worker = new Thread(() -> consume(group, topic, running, received, acknowledged), "share-consumer-" + i);
            worker.start();
            workers.add(worker);
        }

        List<Long> toPoll = new ArrayList<>();
        List<Long> toAck = new ArrayList<>();
        try (KafkaProducer<String, String> producer = clients.producer()) {
            for (int i = 0; i < WARMUP + MEASURED; i++) {
                String value = "r" + i;
                long sent = System.nanoTime();
                producer.send(new ProducerRecord<>(topic, value));
                long polledAt = future(received, value).get(30, TimeUnit.SECONDS);
                long ackedAt = future(acknowledged, value).get(30, TimeUnit.SECONDS);
                if (i >= WARMUP) {
                    toPoll.add(polledAt - sent);
                    toAck.add(ackedAt - sent);
                }
            }
        } finally {
            running.set(false);
            for (Thread worker : workers) {
                worker.join();
            }
        }
        assertEquals(MEASURED, toAck.size());
        log.info("share group, {} consumer(s), {} sequential records: produce->poll p50 {} ms, p99 {} ms; "
                        + "produce->poll->ACCEPT committed p50 {} ms, p99 {} ms",
                consumers, MEASURED, ms(percentile(toPoll, 50)), ms(percentile(toPoll, 99)),
                ms(percentile(toAck, 50)), ms(percentile(toAck, 99)));
    }

    /** The worker agent's loop for one free instance: one record, handle, ACCEPT, commit, next. */
    private static void consume(String group, String topic, AtomicBoolean running,
                                Map<String, CompletableFuture<Long>> received,
                                Map<String, CompletableFuture<Long>> acknowledged) {
        try (KafkaShareConsumer<String, String> consumer = clients.shareConsumer(group, topic)) {
            while (running.get()) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                    future(received, record.value()).complete(System.nanoTime());
                    consumer.acknowledge(record, AcknowledgeType.ACCEPT);
                    consumer.commitSync().values().forEach(error -> error.ifPresent(e -> {
                        throw e;
                    }));
                    future(acknowledged, record.value()).complete(System.nanoTime());
                }
            }
        }
    }

    private static CompletableFuture<Long> future(Map<String, CompletableFuture<Long>> futures, String value) {
        return futures.computeIfAbsent(value, v -> new CompletableFuture<>());
    }

    private static long percentile(List<Long> samples, int p) {
        List<Long> sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        return sorted.get(Math.max(0, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static String ms(long nanos) {
        return String.format("%.2f", nanos / 1_000_000.0);
    }
}
