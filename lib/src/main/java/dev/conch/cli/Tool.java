package dev.conch.cli;

import dev.conch.base.ExitCode;
import dev.conch.base.Failure;
import dev.conch.base.Log;
import dev.conch.coord.Holder;
import dev.conch.etcd.Connection;
import dev.conch.etcd.Etcd;
import dev.conch.etcd.Gateway;
import dev.conch.etcd.Ranges;
import io.etcd.jetcd.Client;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * What every tool does alike: report its failure as one event line, print holders, check the
 * command.
 */
final class Tool {
  private Tool() {}

  static int guarded(Log log, Callable<Integer> body) {
    try {
      return body.call();
    } catch (Failure f) {
      int code = code(f);
      log.always(
          f.kind == Failure.Kind.NOT_ACQUIRED
              ? "not-acquired"
              : f.kind == Failure.Kind.INTERRUPTED ? "signalled" : "error",
          f.getMessage(),
          "exit",
          code);
      return code;
    } catch (Exception e) {
      log.always("error", internal(e), "exit", ExitCode.INTERNAL);
      return ExitCode.INTERNAL;
    }
  }

  /** The one place where a failure's kind becomes an exit code (contract section 5). */
  static int code(Failure f) {
    return switch (f.kind) {
      case BAD_INPUT -> ExitCode.USAGE;
      case UNAVAILABLE -> ExitCode.UNAVAILABLE;
      case REFUSED -> ExitCode.REFUSED;
      case NOT_ACQUIRED -> ExitCode.NOT_ACQUIRED;
      case CANNOT_LISTEN -> ExitCode.CANNOT_LISTEN;
      case INTERRUPTED -> ExitCode.signalled(f.signal);
    };
  }

  static String internal(Exception e) {
    return "internal error (a bug in conch; please report it): " + e;
  }

  /**
   * Runs a query's reads: through etcd's JSON gateway when it can serve the connection (a query
   * then starts no gRPC client), else, or when the gateway is absent, through jetcd.
   */
  static int query(Connection c, Function<Ranges, Integer> body) {
    Optional<Gateway> lean = Gateway.open(c);
    if (lean.isPresent()) {
      try {
        return body.apply(lean.get());
      } catch (Gateway.Absent absent) {
        // an etcd without the /v3 gateway: the same read through jetcd
      }
    }
    try (Client client = Etcd.connect(c)) {
      return body.apply(Ranges.of(client, c.dialTimeout()));
    }
  }

  static List<String> command(List<String> cmd) {
    if (cmd == null || cmd.isEmpty())
      throw Failure.badInput("missing command: put it after --, e.g. -- ./job.sh");
    return cmd;
  }

  /** Holders one per line (or JSON lines); exit 1 with nothing on stdout when there are none. */
  static int printHolders(List<Holder> holders, boolean json) {
    for (Holder h : holders) System.out.println(json ? h.toJson() : h.describe());
    return holders.isEmpty() ? ExitCode.NOTHING : ExitCode.OK;
  }
}
