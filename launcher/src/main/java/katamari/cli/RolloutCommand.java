package katamari.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import katamari.config.Durations;
import katamari.config.KatamariConfig;
import katamari.dispatcher.rollout.AdminClient;
import katamari.dispatcher.rollout.Rollout;
import katamari.topics.WireCodec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "rollout", mixinStandardHelpOptions = true,
        description = {"Roll a pool over to a new version: deploy it at weight 0, shift traffic to it in steps while watching its failures, "
                + "roll back by itself over the threshold, then drain and retire the old version(s).",
                "Exit code 0: promoted; 1: rolled back or refused."})
final class RolloutCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Parameters(index = "0", description = "the pool")
    String pool;

    @Parameters(index = "1", description = "the new version")
    String version;

    @Option(names = "--definition", description = "the new version's pool definition as JSON (a file), as for PUT /pools/{pool}/{version}; "
            + "default: the current heaviest version's")
    Path definition;

    @Option(names = "--admin", description = "admin API URL (default: http://cluster.adminHost:cluster.adminPort of the config)")
    String adminUrl;

    @Option(names = "--steps", split = ",", description = "percentages for the new version (default: ${DEFAULT-VALUE})", defaultValue = "10,25,50,100")
    List<Integer> steps;

    @Option(names = "--step-time", description = "how long each step is watched (default: ${DEFAULT-VALUE})", defaultValue = "30s")
    String stepTime;

    @Option(names = "--max-error-rate", description = "failures per request of the new version that roll back (default: ${DEFAULT-VALUE})",
            defaultValue = "0.01")
    double maxErrorRate;

    @Option(names = "--min-requests", description = "requests a step needs before its failures are judged (default: ${DEFAULT-VALUE})",
            defaultValue = "20")
    long minRequests;

    @Option(names = "--keep-old", description = "leave the old version(s) at weight 0 (for pinned calls) instead of deleting them")
    boolean keepOld;

    @Override
    public Integer call() throws Exception {
        KatamariConfig c = options.load();
        String url = adminUrl != null ? adminUrl : "http://" + c.cluster().adminHost() + ":" + c.cluster().adminPort();
        Rollout.Settings defaults = Rollout.Settings.defaults();
        Rollout rollout = new Rollout(new AdminClient(url, c.cluster().adminKey()), System.out, new Rollout.Settings(steps,
                Durations.parse(stepTime), maxErrorRate, minRequests, defaults.readyTimeout(), defaults.drainTimeout(), !keepOld));
        JsonNode def = definition == null ? null : WireCodec.parse(Files.readAllBytes(definition));
        Rollout.Result r = rollout.run(pool, version, def);
        System.out.println((r.promoted() ? "promoted: " : "not promoted: ") + r.message());
        return r.promoted() ? 0 : 1;
    }
}
