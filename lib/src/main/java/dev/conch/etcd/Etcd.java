package dev.conch.etcd;

import dev.conch.base.Failure;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLException;

/** Builds the jetcd client and turns its failures into conch's exit codes. */
public final class Etcd {
  static {
    // jetcd logs through SLF4J and gRPC through JUL; neither may talk over the child's stderr.
    System.setProperty("slf4j.internal.verbosity", "ERROR");
    Logger.getLogger("").setLevel(Level.OFF);
  }

  /** This process's connection: a failure to reach etcd over TLS is diagnosed with its files. */
  private static volatile Connection current;

  private Etcd() {}

  public static Client connect(Connection c) {
    current = c;
    ClientBuilder b =
        Client.builder()
            .endpoints(c.endpoints().toArray(String[]::new))
            .connectTimeout(c.dialTimeout())
            .retryMaxDuration(c.dialTimeout())
            // Failsafe refuses a max duration not above the first retry delay (jetcd's default is
            // 500 ms): a --dial-timeout of 500ms or less was an internal error, not 69
            .retryChronoUnit(ChronoUnit.MICROS)
            .retryDelay(Math.max(1, Math.min(500_000, c.dialTimeout().toNanos() / 2_000)))
            .retryMaxDelay(2_500_000);
    if (c.user() != null) {
      b.user(bytes(c.user())).password(bytes(c.password()));
    }
    if (c.tls()) {
      try {
        b.sslContext(
            ssl -> {
              if (c.cacert() != null) ssl.trustManager(c.cacert().toFile());
              if (c.cert() != null)
                ssl.keyManager(c.cert().toFile(), c.key() == null ? null : c.key().toFile());
            });
      } catch (SSLException | IllegalArgumentException e) {
        throw Failure.badInput("cannot use the TLS files: " + oneLine(e));
      }
    }
    Client client = b.build();
    Redial.every(client);
    return client;
  }

  /** {@code f}'s answer within {@code timeout}; a failure says what we were {@code doing}. */
  public static <T> T sync(CompletableFuture<T> f, Duration timeout, String doing) {
    try {
      return f.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).join();
    } catch (RuntimeException e) {
      throw failure(e, doing);
    }
  }

  public static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  public static String string(ByteSequence b) {
    return b.toString(StandardCharsets.UTF_8);
  }

  /**
   * What to tell the user, and which code to exit with, when etcd failed us while {@code doing}.
   */
  public static Failure failure(Throwable t, String doing) {
    Throwable e = unwrap(t);
    if (e instanceof Failure f) return f;
    Status.Code code = grpcCode(e);
    String msg = oneLine(e);
    if (code == Status.Code.PERMISSION_DENIED
        || code == Status.Code.UNAUTHENTICATED
        || msg.contains("authentication failed")
        || msg.contains("permission denied")
        || msg.contains("user name is empty")
        || msg.contains("invalid auth token")) {
      return new Failure(
          Failure.Kind.REFUSED,
          "etcd refused "
              + doing
              + ": "
              + msg
              + " (check --user, CONCH_PASSWORD or --password-file, and the role's permissions on the prefix)");
    }
    if (e instanceof TimeoutException
        || code == Status.Code.UNAVAILABLE
        || code == Status.Code.DEADLINE_EXCEEDED) {
      Connection c = current;
      String tls = c != null && c.tls() ? TlsProbe.problem(c) : null;
      if (tls != null) {
        return new Failure(
            Failure.Kind.REFUSED,
            "TLS with " + c.endpoints().get(0) + " failed while " + doing + ": " + tls);
      }
      return new Failure(
          Failure.Kind.UNAVAILABLE,
          "etcd unreachable while "
              + doing
              + " (check --endpoints or CONCH_ENDPOINTS, and that etcd has quorum)");
    }
    return new Failure(Failure.Kind.UNAVAILABLE, "etcd failed while " + doing + ": " + msg);
  }

  /**
   * Whether etcd said that a lease is gone ("requested lease not found"): it expired or was revoked
   * before the request that used it.
   */
  public static boolean leaseNotFound(Throwable t) {
    Throwable e = unwrap(t);
    return grpcCode(e) == Status.Code.NOT_FOUND && oneLine(e).contains("lease not found");
  }

  public static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private static Status.Code grpcCode(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof StatusRuntimeException s) return s.getStatus().getCode();
      if (c instanceof EtcdException x) return Status.Code.valueOf(x.getErrorCode().name());
    }
    return Status.Code.UNKNOWN;
  }

  private static String oneLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.replaceAll("\\s+", " ").trim();
  }
}
