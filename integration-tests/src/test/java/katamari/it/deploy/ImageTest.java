package katamari.it.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import katamari.it.support.Http;
import katamari.it.support.Katamari;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The image of docker/Dockerfile, built and run where a Docker engine is reachable (CI here has none: the
 * deployment files are then checked by {@link DeploymentFilesTest} alone). It runs {@code dev} (an embedded broker
 * and every role in one container) and answers one request through its gateway.
 */
class ImageTest {
    @Test
    void the_image_builds_runs_dev_and_answers_a_request() {
        Assumptions.assumeTrue(DockerClientFactory.instance().isDockerAvailable(), "no Docker engine: the image is not built here");
        ImageFromDockerfile image = new ImageFromDockerfile("katamari-it", false)
                .withFileFromPath(".", Katamari.HOME)
                .withDockerfile(Katamari.HOME.resolve("docker/Dockerfile"));
        try (GenericContainer<?> dev = new GenericContainer<>(image)
                .withCommand("dev", "--port", "8080")
                .withEnv("KATAMARI_GATEWAY_HOST", "0.0.0.0") // reachable through the mapped port, not only inside
                .withExposedPorts(8080)
                .waitingFor(Wait.forHttp("/readyz").forPort(8080).withStartupTimeout(Duration.ofMinutes(3)))) {
            dev.start();
            String url = "http://" + dev.getHost() + ":" + dev.getMappedPort(8080) + "/pools/echo/echo";
            Http.Response r = Http.post(url, "{\"text\":\"from the image\"}");
            assertEquals(200, r.status(), r.body().toString());
            assertEquals("from the image", r.body().path("result").asText());
        }
    }
}
