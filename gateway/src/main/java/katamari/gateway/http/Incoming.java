package katamari.gateway.http;

import io.javalin.http.Context;
import org.eclipse.jetty.server.Request;

/**
 * What the routes read of an HTTP request: its headers, and for logs where it came from. Two layers carry requests,
 * Javalin's {@link Context} on most routes and Jetty's own {@link Request} on the pool route ({@link PoolRoute});
 * {@link Access} and {@link Arrivals} read either through this.
 */
interface Incoming {
    /** The request header's value, or null when absent. */
    String header(String name);

    /** {@code METHOD /path from address}, for log lines. */
    String describe();

    static Incoming of(Context ctx) {
        return new Incoming() {
            @Override
            public String header(String name) {
                return ctx.header(name);
            }

            @Override
            public String describe() {
                return ctx.method() + " " + ctx.path() + " from " + ctx.ip();
            }
        };
    }

    static Incoming of(Request request) {
        return new Incoming() {
            @Override
            public String header(String name) {
                return request.getHeaders().get(name);
            }

            @Override
            public String describe() {
                return request.getMethod() + " " + request.getHttpURI().getPath() + " from " + Request.getRemoteAddr(request);
            }
        };
    }
}
