package dev.conch.cron;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.conch.base.Failure;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * conchd's {@code --metrics}: the JDK's HTTP server answering {@code GET /metrics} with Prometheus
 * text, 404 anywhere else. It handles requests on its own dispatcher thread; whoever starts it
 * closes it.
 */
public final class MetricsServer implements AutoCloseable {
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  private final HttpServer server;

  private MetricsServer(HttpServer server) {
    this.server = server;
  }

  /**
   * Listening before it returns; a taken or foreign address is exit 71, before anything is written
   * to etcd.
   */
  public static MetricsServer start(InetSocketAddress at, Supplier<String> text) {
    HttpServer s;
    try {
      s = HttpServer.create(at, 0);
    } catch (IOException e) {
      throw new Failure(
          Failure.Kind.CANNOT_LISTEN,
          "cannot serve --metrics on "
              + at.getHostString()
              + ":"
              + at.getPort()
              + ": "
              + e.getMessage());
    }
    s.createContext("/", x -> answer(x, text));
    s.start();
    return new MetricsServer(s);
  }

  private static void answer(HttpExchange x, Supplier<String> text) throws IOException {
    try (x) {
      if (!x.getRequestURI().getPath().equals("/metrics")) {
        x.sendResponseHeaders(404, -1);
      } else if (!x.getRequestMethod().equals("GET") && !x.getRequestMethod().equals("HEAD")) {
        x.getResponseHeaders().set("Allow", "GET, HEAD");
        x.sendResponseHeaders(405, -1);
      } else {
        byte[] body = text.get().getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        boolean head = x.getRequestMethod().equals("HEAD");
        x.sendResponseHeaders(200, head ? -1 : body.length);
        if (!head) {
          try (OutputStream out = x.getResponseBody()) {
            out.write(body);
          }
        }
      }
    }
  }

  /** Where it listens, as host:port ([host]:port for IPv6), the way --metrics takes it. */
  public String address() {
    String host = server.getAddress().getHostString();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
