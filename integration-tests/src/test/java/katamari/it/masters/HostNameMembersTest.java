package katamari.it.masters;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import katamari.config.ClusterSettings;
import katamari.config.GatewaySettings;
import katamari.config.KafkaSettings;
import katamari.config.KatamariConfig;
import katamari.config.WorkerSettings;
import katamari.dispatcher.Dispatcher;
import katamari.it.support.FreePorts;
import katamari.it.support.KafkaFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A master list written with host names, as a compose file or any DNS-named boxes have it (here {@code localhost},
 * the only name this box may bind): members advertise the names, so priority and hand-back work as with addresses.
 */
class HostNameMembersTest {
    private final List<Dispatcher> dispatchers = new ArrayList<>();

    @AfterEach
    void stop() {
        dispatchers.forEach(Dispatcher::close);
    }

    @Test
    void with_host_names_in_the_master_list_the_first_on_it_takes_leadership_back() throws IOException {
        int[] member = FreePorts.pick(2);
        int[] admin = FreePorts.pick(2);
        List<String> members = List.of("localhost:" + member[0], "localhost:" + member[1]);
        ClusterSettings cluster = new ClusterSettings("it-" + UUID.randomUUID().toString().substring(0, 8), "localhost",
                member[0], members, 0, null, null, null, null, "127.0.0.1", admin[0], "k", false, null, null, 8, null);
        KatamariConfig base = new KatamariConfig(KafkaSettings.defaults().withBootstrap(KafkaFixture.bootstrapServers()),
                new GatewaySettings("127.0.0.1", 0, null, Duration.ofSeconds(20), 1024 * 1024).withOpen(true),
                new WorkerSettings(Duration.ofSeconds(30), null, Duration.ofSeconds(1), null, null, null, null, null, null, List.of("java")),
                List.of(), cluster);
        Dispatcher second = start(base, cluster, 1, member, admin);
        Awaitility.await("the second on the list leads while it is alone").atMost(Duration.ofSeconds(30)).until(second::isLeader);
        assertTrue(second.hazelcast().getCluster().getLocalMember().getAddress().getHost().equals("localhost"),
                "advertised by its name: " + second.hazelcast().getCluster().getLocalMember().getAddress());
        Dispatcher first = start(base, cluster, 0, member, admin);
        Awaitility.await("the first on the list takes over").atMost(Duration.ofSeconds(30)).until(first::isLeader);
        Awaitility.await("and the second steps down").atMost(Duration.ofSeconds(10)).until(() -> !second.isLeader());
    }

    private Dispatcher start(KatamariConfig base, ClusterSettings cluster, int i, int[] member, int[] admin) {
        Dispatcher d = new Dispatcher(base.withCluster(cluster.withMember("localhost", member[i], admin[i])));
        dispatchers.add(d);
        d.start();
        return d;
    }

}
