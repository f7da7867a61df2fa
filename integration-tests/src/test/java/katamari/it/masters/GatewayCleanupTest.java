package katamari.it.masters;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import java.time.Duration;
import java.util.Properties;
import java.util.UUID;
import katamari.cluster.HazelcastSetup;
import katamari.config.ClusterSettings;
import katamari.config.GatewaySettings;
import katamari.config.KatamariConfig;
import katamari.dispatcher.Dispatcher;
import katamari.gateway.Gateway;
import katamari.it.support.KafkaFixture;
import katamari.it.support.Katamari;
import org.apache.kafka.clients.admin.Admin;
import org.awaitility.Awaitility;
import katamari.it.support.FreePorts;
import org.junit.jupiter.api.Test;

/** The master deletes the reply topic of a gateway gone for longer than {@code cluster.gatewayTtl}. */
class GatewayCleanupTest {
    @Test
    void the_reply_topic_of_a_gateway_gone_past_the_ttl_is_deleted() throws Exception {
        int memberPort = FreePorts.pick(1)[0];
        int adminPort = FreePorts.pick(1)[0];
        ClusterSettings cluster = Katamari.testCluster(memberPort, adminPort, "k-" + UUID.randomUUID()).withGatewayTtl(Duration.ofSeconds(2));
        KatamariConfig config = Katamari.testConfig().withGateway(GatewaySettings.defaults().withPort(0).withOpen(true)).withCluster(cluster);
        try (Dispatcher dispatcher = new Dispatcher(config)) {
            dispatcher.start();
            Awaitility.await("leader").atMost(Duration.ofSeconds(30)).until(dispatcher::isLeader);
            HazelcastInstance client = HazelcastSetup.startClient(cluster, "it-gateway");
            Gateway gateway = new Gateway(config, client);
            try {
                gateway.start();
                Awaitility.await("gateway ready").atMost(Duration.ofSeconds(30)).until(gateway::isReady);
                assertTrue(topics().contains(gateway.replyTopic()));
            } finally {
                gateway.close();
                client.shutdown();
            }
            Awaitility.await("reply topic deleted").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> !topics().contains(gateway.replyTopic()));
        }
    }

    private static java.util.Set<String> topics() throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", KafkaFixture.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            return admin.listTopics().names().get();
        }
    }

}
