package katamari.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import katamari.client.KatamariClient;
import katamari.config.KafkaSettings;
import katamari.topics.KafkaRecords;
import katamari.topics.Request;
import katamari.topics.RequestEnvelope;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Katamari without HTTP: produce straight to a request topic with DESIGN.md headers, consume the reply topic we name. */
final class DirectKafka {
    /** Only for the headers: the value is the workload's own bytes. */
    private static final Request REQUEST = new Request("bench", null);
    private final String bootstrap;
    private final String requestTopic;

    DirectKafka(String bootstrap, String requestTopic) {
        this.bootstrap = bootstrap;
        this.requestTopic = requestTopic;
    }

    /** A run against a reply topic of its own, created for it and deleted after. */
    private interface WithReplies<T> {
        T run(String replyTopic) throws Exception;
    }

    private <T> T withReplyTopic(WithReplies<T> body) throws Exception {
        String rep = "katamari.replies.bench-" + UUID.randomUUID().toString().substring(0, 6);
        // the broker stamps each reply as it appends it, so a slow request shows whether the reply's way back
        // (fetch to this client) or everything before the append lost the time (ClosedLoop.Stragglers)
        KatamariClient.createTopic(KafkaSettings.defaults().withBootstrap(bootstrap), rep, Map.of("message.timestamp.type", "LogAppendTime"));
        try {
            return body.run(rep);
        } finally {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", (Object) bootstrap))) {
                admin.deleteTopics(List.of(rep)).all().get();
            } catch (Exception ignored) {
                // a leftover bench topic harms nothing
            }
        }
    }

    Latencies run(Bench.Workload workload, int warmup, int count) throws Exception {
        return withReplyTopic(rep -> {
            Properties cp = new Properties();
            cp.put("bootstrap.servers", bootstrap);
            try (KafkaProducer<byte[], byte[]> producer = KafkaFloor.producer(bootstrap, "bench-direct");
                 KafkaConsumer<byte[], byte[]> consumer = KafkaFloor.replyConsumer(cp, rep, false)) {
                byte[] body = workload.record();
                for (int i = 0; i < warmup; i++) {
                    once(producer, consumer, rep, body, "w" + i);
                }
                Latencies l = new Latencies(count);
                for (int i = 0; i < count; i++) {
                    long t0 = System.nanoTime();
                    once(producer, consumer, rep, body, "m" + i);
                    l.add(System.nanoTime() - t0);
                }
                return l;
            }
        });
    }

    /** {@code concurrency} requests outstanding for {@code duration} after {@code warmup}. */
    ClosedLoop.Result runConcurrent(Bench.Workload workload, int concurrency, Duration warmup, Duration duration) throws Exception {
        return withReplyTopic(rep -> loop(workload, rep).run(concurrency, warmup, duration));
    }

    /** A closed loop sending {@code workload} requests with DESIGN.md headers, replies to {@code rep}. */
    ClosedLoop loop(Bench.Workload workload, String rep) {
        byte[] body = workload.record();
        return new ClosedLoop(bootstrap, rep, (id, now) -> record(body, id, rep, now + 30_000));
    }

    /** The workload's value as it is (encoded once), with the envelope's headers. */
    private ProducerRecord<byte[], byte[]> record(byte[] body, String id, String rep, long deadline) {
        return new ProducerRecord<>(requestTopic, null, (byte[]) null, body,
                KafkaRecords.headers(RequestEnvelope.call(id, rep, deadline, null, REQUEST)));
    }

    private void once(KafkaProducer<byte[], byte[]> producer, KafkaConsumer<byte[], byte[]> consumer, String rep, byte[] body, String id) {
        producer.send(record(body, id, rep, System.currentTimeMillis() + 30_000));
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < until) {
            for (ConsumerRecord<byte[], byte[]> rec : consumer.poll(Duration.ofMillis(100))) {
                if (new String(rec.key(), StandardCharsets.UTF_8).equals(id)) {
                    return;
                }
            }
        }
        throw new IllegalStateException("no reply for " + id);
    }
}
