package dev.conch.etcd;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.conch.base.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    byte[] key = dir.getBytes(StandardCharsets.UTF_8);
    String q =
        Json.generate(
            g -> {
              g.writeStartObject();
              g.writeStringField("key", b64(key));
              g.writeStringField("range_end", b64(prefixEnd(key)));
              g.writeStringField("sort_order", "ASCEND");
              g.writeStringField("sort_target", "CREATE");
              if (limit > 0) g.writeNumberField("limit", limit);
              g.writeEndObject();
            });
    List<Kv> kvs = new ArrayList<>();
    for (Map<String, String> kv : post("/v3/kv/range", q, doing, true).kvs()) {
      kvs.add(
          new Kv(
              text(kv.getOrDefault("key", "")),
              text(kv.getOrDefault("value", "")),
              Long.parseLong(kv.getOrDefault("create_revision", "0"))));
    }
    return kvs;
  }

  /** POSTs to the first endpoint that answers, authenticated when a user is set. */
  private Answer post(String path, String body, String doing, boolean auth) {
    if (auth && c.user() != null && token == null) {
      String a =
          Json.generate(
              g -> {
                g.writeStartObject();
                g.writeStringField("name", c.user());
                g.writeStringField("password", c.password());
                g.writeEndObject();
              });
      token = post("/v3/auth/authenticate", a, doing, false).top().getOrDefault("token", "");
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
        rs = exchange(URI.create(e), path, body, auth ? token : null, (int) left);
      } catch (IOException x) {
        last = x; // refused or silent: the next endpoint
        continue;
      }
      endpoint = e;
      if (rs.status() == 404) throw new Absent(e);
      Answer r = Answer.read(rs.body());
      if (rs.status() != 200 || r.top().containsKey("error")) {
        String msg = r.top().getOrDefault("message", r.top().getOrDefault("error", rs.body()));
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

  /**
   * What the gateway answered: the top level's scalar fields (a token, an error and its message),
   * and the scalar fields of each of its {@code kvs}. Read with the streaming parser, as a query
   * builds no mapper; what is not JSON is an error whose message is the text itself.
   */
  record Answer(Map<String, String> top, List<Map<String, String>> kvs) {
    static Answer read(String body) {
      Map<String, String> top = new HashMap<>();
      List<Map<String, String>> kvs = new ArrayList<>();
      try (JsonParser p = Json.parser(body)) {
        if (p.nextToken() != JsonToken.START_OBJECT) throw new JsonParseException(p, "no object");
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String field = p.currentName();
          JsonToken t = p.nextToken();
          if (field.equals("kvs") && t == JsonToken.START_ARRAY) {
            while (p.nextToken() == JsonToken.START_OBJECT) kvs.add(scalars(p));
          } else if (t.isScalarValue()) {
            top.put(field, p.getText());
          } else {
            p.skipChildren();
          }
        }
      } catch (IOException e) {
        return new Answer(Map.of("error", body), List.of());
      }
      return new Answer(top, kvs);
    }

    private static Map<String, String> scalars(JsonParser p) throws IOException {
      Map<String, String> m = new HashMap<>();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        if (p.nextToken().isScalarValue()) m.put(field, p.getText());
        else p.skipChildren();
      }
      return m;
    }
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
