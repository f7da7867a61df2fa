package katamari.gateway.http;

import io.javalin.http.Context;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;

/**
 * Where {@link ErrorResponses} writes a response: Javalin's {@link Context} on most routes, Jetty's own {@link Response}
 * on the pool route ({@link PoolRoute}), which sends the body once it is set.
 */
interface Outgoing {
    void status(int status);

    /** Sets a response header, replacing one of the same name. */
    void header(String name, String value);

    /** The JSON body; the response is complete after it. */
    void json(byte[] body);

    static Outgoing of(Context ctx) {
        return new Outgoing() {
            @Override
            public void status(int status) {
                ctx.status(status);
            }

            @Override
            public void header(String name, String value) {
                ctx.header(name, value);
            }

            @Override
            public void json(byte[] body) {
                ctx.contentType("application/json").result(body);
            }
        };
    }

    /** @param send writes the body and completes the exchange (Jetty's {@code Response.write(true, ...)}) */
    static Outgoing of(Response response, java.util.function.Consumer<byte[]> send) {
        return new Outgoing() {
            @Override
            public void status(int status) {
                response.setStatus(status);
            }

            @Override
            public void header(String name, String value) {
                response.getHeaders().put(name, value);
            }

            @Override
            public void json(byte[] body) {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                send.accept(body);
            }
        };
    }
}
