package dev.conch.cli;

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
    } catch (Exit.Failure f) {
      log.always(
          f.code == Exit.NOT_ACQUIRED ? "not-acquired" : f.code > 128 ? "signalled" : "error",
          f.getMessage(),
          "exit",
          f.code);
      return f.code;
    } catch (Exception e) {
      log.always("error", "internal error: " + e, "exit", Exit.LEASE_LOST);
      return Exit.LEASE_LOST;
    }
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
      throw Exit.usage("missing command: put it after --, e.g. -- ./job.sh");
    return cmd;
  }

  /** Holders one per line (or JSON lines); exit 1 with nothing on stdout when there are none. */
  static int printHolders(List<Holder> holders, boolean json, int waiters) {
    for (Holder h : holders) System.out.println(json ? h.toJson() : h.describe());
    return holders.isEmpty() ? Exit.NOTHING : Exit.OK;
  }
}
