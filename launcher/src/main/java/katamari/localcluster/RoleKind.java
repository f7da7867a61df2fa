package katamari.localcluster;

/** What a role of a {@link LocalCluster} is, in the order a cluster starts them. */
public enum RoleKind {
    BROKER, DISPATCHER, WORKER, GATEWAY;

    /** The launcher subcommand that runs it, as in {@code roles.json}. */
    public String command() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
