package katamari.gateway.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.util.Map;
import katamari.gateway.calls.Cancellations;

/**
 * {@code DELETE /requests/{id}}: the caller gives up on a call it made through this gateway. 202 when the call was
 * pending here (its waiting caller is answered {@code cancelled}, and agents skip it if it has not started); 404
 * {@code not_found} for any other id, so a cancel that comes after the answer changes nothing and says so.
 */
final class CancelRoutes {
    static final String PATH = "/requests/{id}";

    private final Cancellations cancellations;
    private final Access access;

    CancelRoutes(Cancellations cancellations, Access access) {
        this.cancellations = cancellations;
        this.access = access;
    }

    void register(JavalinConfig config) {
        config.routes.delete(PATH, this::cancel);
    }

    private void cancel(Context ctx) {
        String id = ctx.pathParam("id");
        cancellations.cancel(access.caller(Incoming.of(ctx)), id);
        // the answer is about the call: header and body name it, as a pool answer's do
        ctx.header(ErrorResponses.ID_HEADER, id).status(202).json(Map.of("id", id, "cancelled", true));
    }
}
