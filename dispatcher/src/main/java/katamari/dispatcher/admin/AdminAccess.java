package katamari.dispatcher.admin;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.regex.Pattern;

/**
 * Who may use the admin API: the admin key on every route but {@code /healthz} and the console's files, no write
 * from another site's page, and, when there is no key (dev), only requests addressed to this host by a name it
 * knows. One place, so a new route cannot miss a check.
 */
final class AdminAccess {
    private final String adminKey;
    private final String adminHost;

    /** @param adminKey null for an open API (dev, {@code cluster.adminOpen}) */
    AdminAccess(String adminKey, String adminHost) {
        this.adminKey = adminKey;
        this.adminHost = adminHost;
    }

    /** Before every route: throws the {@link AdminException} the caller gets, or returns to let the request in. */
    void authorize(Context ctx) {
        sameOriginWrites(ctx);
        if (adminKey == null) {
            knownHostWhenOpen(ctx);
        }
        if (ctx.path().equals("/healthz") || AdminApi.CONSOLE_FILES.contains(ctx.path()) || adminKey == null) {
            return;
        }
        String given = ctx.header(AdminApi.KEY_HEADER);
        String auth = ctx.header("Authorization");
        if (given == null && auth != null && auth.startsWith("Bearer ")) {
            given = auth.substring("Bearer ".length()).trim();
        }
        if (given == null) {
            throw new AdminException(401, "unauthorized", "the admin API needs the admin key: Authorization: Bearer <key>");
        }
        if (!MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), adminKey.getBytes(StandardCharsets.UTF_8))) {
            throw new AdminException(403, "forbidden", "wrong admin key");
        }
    }

    /**
     * A browser sends {@code Origin} with every write; one naming another site is some other web page the operator
     * has open, posting to this API behind their back (a form POST needs no CORS preflight, and in dev there is no key
     * to stop it). The console's own writes carry this API's origin; curl, the CLI and forwarding dispatchers send none.
     */
    private static void sameOriginWrites(Context ctx) {
        String origin = ctx.header("Origin");
        String method = ctx.method().name();
        if (origin == null || method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS")) {
            return;
        }
        if (!origin.equals("http://" + ctx.host()) && !origin.equals("https://" + ctx.host())) {
            throw new AdminException(403, "forbidden", "a write from another web page (Origin " + origin + ") is refused: "
                    + "use this admin API's own console, or a client that sends no Origin");
        }
    }

    /**
     * An open admin API (dev: no key) answers only requests addressed to it by an IP address, {@code localhost} or
     * its configured {@code adminHost}. A page on another site can re-point its own name at 127.0.0.1 (DNS
     * rebinding); its requests then carry that name in {@code Host} and, being same-origin for the browser, pass
     * the Origin check above, with no key to stop them. With a key set, any name is fine: such a page has no key.
     */
    private void knownHostWhenOpen(Context ctx) {
        String host = hostName(ctx.host());
        if (host == null || host.equals("localhost") || host.equalsIgnoreCase(adminHost) || IP_LITERAL.matcher(host).matches()) {
            return;
        }
        throw new AdminException(403, "forbidden", "an admin API without a key answers only requests to an IP address, localhost or "
                + adminHost + ", not to '" + host + "' (a page on another site may have pointed that name here)");
    }

    private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|\\[[0-9a-fA-F:.]+]");

    /** The name part of a Host header ({@code name:port}, {@code [v6]:port}); null when there is none (HTTP/1.0). */
    static String hostName(String hostHeader) {
        if (hostHeader == null || hostHeader.isBlank()) {
            return null;
        }
        String h = hostHeader.trim();
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.lastIndexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }
}
