package dev.conch.it.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A directory served over HTTP on loopback by the JDK's own server, as any static web server would
 * serve a release: GET and HEAD of files, 404 for anything else. It records the paths it served. It
 * listens on 127.0.0.2, loopback too: JBang trusts http://127.0.0.1 and localhost without asking,
 * so a site there would not show that a user must {@code jbang trust add} a real one.
 */
public final class StaticSite implements AutoCloseable {
  public static final String HOST = "127.0.0.2";
  public final Path root;
  public final List<String> served = new CopyOnWriteArrayList<>();
  private final HttpServer server;

  public StaticSite(Path root) throws IOException {
    this.root = root.toAbsolutePath().normalize();
    server = HttpServer.create(new InetSocketAddress(HOST, 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  public String url() {
    return "http://" + HOST + ":" + server.getAddress().getPort();
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      String path = URI.create(x.getRequestURI().getRawPath()).getPath();
      Path file = root.resolve(path.substring(1)).normalize();
      boolean get = x.getRequestMethod().equals("GET");
      if (!file.startsWith(root) || !Files.isRegularFile(file) || !(get || isHead(x))) {
        x.sendResponseHeaders(404, -1);
        return;
      }
      served.add(path);
      x.getResponseHeaders().set("Content-Type", "application/octet-stream");
      x.sendResponseHeaders(200, get ? Files.size(file) : -1);
      if (get)
        try (OutputStream out = x.getResponseBody()) {
          Files.copy(file, out);
        }
    }
  }

  private static boolean isHead(HttpExchange x) {
    return x.getRequestMethod().equals("HEAD");
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
