package katamari.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import katamari.client.RequestPathProducer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The raw Kafka two-hop floor: client producer -> request topic -> middle consumer (classic group, or share group)
 * -> producer -> reply topic -> client consumer (assigned). Same client settings as Katamari: acks=all, idempotence,
 * linger 0. No Katamari code on the path.
 */
final class KafkaFloor {
    enum Middle { CLASSIC, SHARE }

    private final String bootstrap;
    private final Middle middle;
    private final int middleConsumers;
    private final String ackMode; // share: "async" (commitAsync after reply), "sync", "next-poll"; classic: "async" | "sync" | "none"
    private final int replyFetchWaitMs;
    private final int middleFetchWaitMs;
    private final int middleBatch;

    KafkaFloor(String bootstrap, Middle middle, int middleConsumers, String ackMode, int replyFetchWaitMs, int middleFetchWaitMs, int middleBatch) {
        this.middleBatch = middleBatch;
        this.bootstrap = bootstrap;
        this.middle = middle;
        this.middleConsumers = middleConsumers;
        this.ackMode = ackMode;
        this.replyFetchWaitMs = replyFetchWaitMs;
        this.middleFetchWaitMs = middleFetchWaitMs;
    }

    private Properties base() {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        return p;
    }

    private KafkaProducer<byte[], byte[]> producer(String id) {
        return producer(bootstrap, id);
    }

    /**
     * How every bench client reads replies: no group, partition 0 of {@code topic} assigned, positioned at its start
     * (a topic made for this run) or its end (one whose earlier replies belong to other runs).
     */
    static KafkaConsumer<byte[], byte[]> replyConsumer(Properties settings, String topic, boolean fromEnd) {
        Properties cp = new Properties();
        cp.putAll(settings);
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        TopicPartition tp = new TopicPartition(topic, 0);
        consumer.assign(List.of(tp));
        if (fromEnd) {
            consumer.seekToEnd(List.of(tp));
        } else {
            consumer.seekToBeginning(List.of(tp));
        }
        consumer.position(tp);
        return consumer;
    }

    /** Katamari's producer settings on the request/reply path ({@link RequestPathProducer}), for every bench client. */
    static KafkaProducer<byte[], byte[]> producer(String bootstrap, String clientId) {
        Properties p = RequestPathProducer.settings(new Properties());
        p.put("bootstrap.servers", bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** The topics and middle consumers of one run; closing it stops the middle and deletes the topics. */
    private final class Hop implements AutoCloseable {
        final String tag = "bench-" + middle.name().toLowerCase() + "-" + UUID.randomUUID().toString().substring(0, 6);
        final String req = tag + ".req";
        final String rep = tag + ".rep";
        final AtomicBoolean running = new AtomicBoolean(true);
        final List<Thread> threads = new ArrayList<>();
        final KafkaProducer<byte[], byte[]> middleProducer;

        Hop() throws Exception {
            try (Admin admin = Admin.create(base())) {
                admin.createTopics(List.of(new NewTopic(req, 1, (short) 1), new NewTopic(rep, 1, (short) 1))).all().get();
                if (middle == Middle.SHARE) {
                    admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, tag),
                            List.of(new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET)))).all().get();
                }
            }
            middleProducer = producer(tag + "-mid");
            for (int i = 0; i < middleConsumers; i++) {
                Runnable r = middle == Middle.SHARE ? () -> shareLoop(tag, req, middleProducer, running) : () -> classicLoop(tag, req, middleProducer, running);
                Thread t = new Thread(r, "floor-middle-" + i);
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
        }

        @Override
        public void close() throws Exception {
            running.set(false);
            for (Thread t : threads) {
                t.join(10_000);
            }
            middleProducer.close();
            try (Admin admin = Admin.create(base())) {
                admin.deleteTopics(List.of(req, rep)).all().get();
            } catch (Exception ignored) {
            }
        }
    }

    private static final byte[] BODY = ("{\"method\":\"echo\",\"args\":{\"text\":\"" + "x".repeat(80) + "\"}}").getBytes(StandardCharsets.UTF_8);

    Latencies run(int warmup, int count) throws Exception {
        try (Hop hop = new Hop()) {
            KafkaProducer<byte[], byte[]> client = producer(hop.tag + "-client");
            Properties cp = base();
            cp.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, String.valueOf(replyFetchWaitMs));
            try (client; KafkaConsumer<byte[], byte[]> replies = replyConsumer(cp, hop.rep, false)) {
                // the first round trip waits for group joins/assignment: not measured
                roundTrip(client, replies, hop.req, BODY, 0, Duration.ofSeconds(60));
                for (int i = 0; i < warmup; i++) {
                    roundTrip(client, replies, hop.req, BODY, i + 1, Duration.ofSeconds(10));
                }
                Latencies l = new Latencies(count);
                for (int i = 0; i < count; i++) {
                    long t0 = System.nanoTime();
                    roundTrip(client, replies, hop.req, BODY, warmup + 1 + i, Duration.ofSeconds(10));
                    l.add(System.nanoTime() - t0);
                }
                return l;
            }
        }
    }

    /** The same two hops with {@code concurrency} requests outstanding (closed loop). */
    ClosedLoop.Result runConcurrent(int concurrency, Duration warmup, Duration duration) throws Exception {
        try (Hop hop = new Hop()) {
            return new ClosedLoop(bootstrap, hop.rep, (id, now) -> new ProducerRecord<>(hop.req, null,
                    id.getBytes(StandardCharsets.UTF_8), BODY)).run(concurrency, warmup, duration);
        }
    }

    private void roundTrip(KafkaProducer<byte[], byte[]> client, KafkaConsumer<byte[], byte[]> replies, String req,
                           byte[] body, int seq, Duration within) {
        byte[] key = Integer.toString(seq).getBytes(StandardCharsets.UTF_8);
        client.send(new ProducerRecord<>(req, null, key, body));
        long until = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < until) {
            for (ConsumerRecord<byte[], byte[]> r : replies.poll(Duration.ofMillis(100))) {
                if (new String(r.key(), StandardCharsets.UTF_8).equals(Integer.toString(seq))) {
                    return;
                }
            }
        }
        throw new IllegalStateException("no reply for " + seq + " within " + within);
    }

    /** Sends every reply of a poll, then waits until the broker has them all (as Katamari must before acknowledging). */
    private void reply(KafkaProducer<byte[], byte[]> producer, Iterable<ConsumerRecord<byte[], byte[]>> records, String rep) throws Exception {
        List<Future<?>> sent = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            sent.add(producer.send(new ProducerRecord<>(rep, null, r.key(), r.value())));
        }
        for (Future<?> f : sent) {
            f.get();
        }
    }

    private void classicLoop(String tag, String req, KafkaProducer<byte[], byte[]> producer, AtomicBoolean running) {
        Properties p = base();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, tag);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(middleBatch));
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, String.valueOf(middleFetchWaitMs));
        String rep = req.replace(".req", ".rep");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(req));
            while (running.get()) {
                var records = c.poll(Duration.ofMillis(100));
                reply(producer, records, rep);
                if (!records.isEmpty()) {
                    switch (ackMode) {
                        case "sync" -> c.commitSync();
                        case "none" -> { }
                        default -> c.commitAsync();
                    }
                }
            }
        } catch (Exception e) {
            if (running.get()) e.printStackTrace();
        }
    }

    private void shareLoop(String tag, String req, KafkaProducer<byte[], byte[]> producer, AtomicBoolean running) {
        Properties p = base();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, tag);
        p.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(middleBatch));
        p.put(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, String.valueOf(middleFetchWaitMs));
        String rep = req.replace(".req", ".rep");
        try (KafkaShareConsumer<byte[], byte[]> c = new KafkaShareConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(req));
            while (running.get()) {
                var records = c.poll(Duration.ofMillis(100));
                reply(producer, records, rep);
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    c.acknowledge(r, AcknowledgeType.ACCEPT);
                }
                if (!records.isEmpty()) {
                    switch (ackMode) {
                        case "sync" -> c.commitSync();
                        case "next-poll" -> { } // acknowledgements ride on the next poll's ShareFetch
                        default -> c.commitAsync();
                    }
                }
            }
        } catch (Exception e) {
            if (running.get()) e.printStackTrace();
        }
    }
}
