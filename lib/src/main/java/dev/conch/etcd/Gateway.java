package dev.conch.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conch.base.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * The lean read path of the queries ({@code --who}): one range request to etcd's v3 JSON gateway
 * ({@code POST /v3/kv/range}, served on the client port since etcd 3.4) over a plain socket,
 * instead of starting jetcd, gRPC and netty for a single read. A query is a few times faster to
 * start.
 *
 * <p>It speaks plain HTTP only, with the same endpoints and the same user and password (a token
 * from {@code /v3/auth/authenticate}). {@link #open} returns empty when it cannot serve a
 * connection as configured (TLS files or https endpoints), and a range answered with 404 (an etcd
 * without the /v3 gateway) is reported the same way: the caller then reads through jetcd, the path
 * of everything else.
 */
public final class Gateway implements Ranges {
  private final Connection c;
  private String endpoint;
  private String token;

  private Gateway(Connection c) {
    this.c = c;
  }

  /** A gateway reader for {@code c}, or empty if only jetcd can honour its options (TLS). */
  public static Optional<Gateway> open(Connection c) {
    boolean tls =
        c.cacert() != null
            || c.cert() != null
            || c.endpoints().stream().anyMatch(e -> e.startsWith("https:"));
    return tls ? Optional.empty() : Optional.of(new Gateway(c));
  }

  /** Thrown when the gateway is not there (404): read through jetcd instead. */
  public static final class Absent extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Absent(String endpoint) {
      super("no v3 JSON gateway at " + endpoint);
    }
  }

  @Override
  public List<Kv> byCreate(String dir, long limit, String doing) {
    ObjectNode q = Json.object();
    byte[] key = dir.getBytes(StandardCharsets.UTF_8);
    q.put("key", b64(key))
        .put("range_end", b64(prefixEnd(key)))
        .put("sort_order", "ASCEND")
        .put("sort_target", "CREATE");
    if (limit > 0) q.put("limit", limit);
    JsonNode r = post("/v3/kv/range", q, doing, true);
    List<Kv> kvs = new ArrayList<>();
    for (JsonNode kv : r.path("kvs")) {
      kvs.add(
          new Kv(
              text(kv.path("key").asText()),
              text(kv.path("value").asText()),
              kv.path("create_revision").asLong()));
    }
    return kvs;
  }

  /** POSTs to the first endpoint that answers, authenticated when a user is set. */
  private JsonNode post(String path, JsonNode body, String doing, boolean auth) {
    if (auth && c.user() != null && token == null) {
      ObjectNode a = Json.object().put("name", c.user()).put("password", c.password());
      token = post("/v3/auth/authenticate", a, doing, false).path("token").asText();
    }
    long deadline = System.nanoTime() + c.dialTimeout().toNanos();
    List<String> order = new ArrayList<>(c.endpoints());
    if (endpoint != null) order.add(0, endpoint);
    IOException last = null;
    for (String e : order) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) break;
      Response rs;
      try {
        rs = exchange(URI.create(e), path, Json.write(body), auth ? token : null, (int) left);
      } catch (IOException x) {
        last = x; // refused or silent: the next endpoint
        continue;
      }
      endpoint = e;
      if (rs.status() == 404) throw new Absent(e);
      JsonNode r = parse(rs.body());
      if (rs.status() != 200 || r.has("error")) {
        String msg = r.path("message").asText(r.path("error").asText(rs.body()));
        // the same words jetcd reports, so that the same exit codes follow (77 refused, 69
        // otherwise)
        throw Etcd.failure(new IllegalStateException(msg), doing);
      }
      return r;
    }
    throw Etcd.failure(new TimeoutException(String.valueOf(last)), doing);
  }

  record Response(int status, String body) {}

  /**
   * One HTTP/1.0 POST on a socket of its own: the server then sends no chunked body and closes when
   * done, so reading to the end is the whole answer. (The JDK's HttpClient would set up TLS and its
   * own threads even for plain HTTP, which costs a query more than the read itself.)
   */
  static Response exchange(URI base, String path, String json, String token, int timeoutMs)
      throws IOException {
    byte[] payload = json.getBytes(StandardCharsets.UTF_8);
    int port = base.getPort() < 0 ? 80 : base.getPort();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(base.getHost(), port), timeoutMs);
      s.setSoTimeout(timeoutMs);
      String head =
          "POST "
              + path
              + " HTTP/1.0\r\nHost: "
              + base.getHost()
              + ":"
              + port
              + "\r\nContent-Type: application/json\r\n"
              + (token == null ? "" : "Authorization: " + token + "\r\n")
              + "Content-Length: "
              + payload.length
              + "\r\n\r\n";
      OutputStream out = s.getOutputStream();
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      out.write(payload);
      out.flush();
      String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int split = all.indexOf("\r\n\r\n");
      String[] status = all.substring(0, Math.max(0, all.indexOf("\r\n"))).split(" ");
      if (split < 0 || status.length < 2 || !status[1].matches("\\d{3}"))
        throw new IOException("not an HTTP answer from " + base);
      return new Response(Integer.parseInt(status[1]), all.substring(split + 4));
    }
  }

  private static JsonNode parse(String body) {
    return Json.read(body, JsonNode.class).orElseGet(() -> Json.object().put("error", body));
  }

  /** The key just past every key that starts with {@code prefix}: etcd's range_end for a prefix. */
  static byte[] prefixEnd(byte[] prefix) {
    byte[] end = prefix.clone();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return java.util.Arrays.copyOf(end, i + 1);
      }
    }
    return new byte[] {0}; // all 0xff: to the end of the key space
  }

  private static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  private static String text(String b64) {
    return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
  }
}
