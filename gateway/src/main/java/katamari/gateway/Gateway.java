package katamari.gateway;

import io.javalin.Javalin;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import katamari.config.KatamariConfig;
import katamari.gateway.correlation.ReplyCorrelator;
import katamari.gateway.http.PoolRoutes;
import katamari.gateway.http.RequestPublisher;
import katamari.gateway.routing.PoolDirectory;
import katamari.topics.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP faceplate. {@link #start()} creates this gateway's reply topic, starts its reply consumer, then serves;
 * {@code /readyz} reports ready only once the reply consumer is positioned.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    private enum State { NEW, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final KatamariConfig config;
    private final String id;
    private ReplyCorrelator correlator;
    private RequestPublisher publisher;
    private Javalin http;

    public Gateway(KatamariConfig config) {
        this.config = config;
        this.id = config.gateway().id() != null ? config.gateway().id() : "gw-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public String replyTopic() {
        return TopicNames.replies(id);
    }

    public void start() {
        if (!state.compareAndSet(State.NEW, State.STARTED)) {
            throw new IllegalStateException("gateway cannot be started more than once (state " + state.get() + ")");
        }
        createReplyTopic();
        correlator = new ReplyCorrelator(config.kafka(), replyTopic(), 1);
        correlator.start();
        publisher = new RequestPublisher(config.kafka(), replyTopic(), Duration.ofSeconds(5));
        PoolRoutes routes = new PoolRoutes(new PoolDirectory(config.pools()), correlator, publisher,
                config.gateway().timeout(), this::isReady);
        http = Javalin.create(c -> {
            c.http.maxRequestSize = config.gateway().maxBodyBytes();
            c.startup.showJavalinBanner = false;
            routes.register(c);
        }).start(config.gateway().host(), config.gateway().port());
        LOG.info("gateway {} serving on http://{}:{} (replies on {})", id, config.gateway().host(), port(), replyTopic());
    }

    private void createReplyTopic() {
        try (Admin admin = Admin.create(config.kafka().clientProperties())) {
            admin.createTopics(List.of(new NewTopic(replyTopic(), 1, config.kafka().replicationFactor()))).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create reply topic " + replyTopic() + ": " + e.getCause().getMessage(), e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating " + replyTopic(), e);
        }
    }

    public int port() {
        return http.port();
    }

    public boolean isReady() {
        return state.get() == State.STARTED && correlator != null && correlator.isReady();
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) != State.STARTED) {
            return;
        }
        if (http != null) {
            http.stop();
        }
        correlator.close();
        publisher.close();
        LOG.info("gateway {} stopped", id);
    }
}
