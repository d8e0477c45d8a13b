package dev.conch.cli;

import dev.conch.coord.Election;
import dev.conch.etcd.Connection;
import dev.conch.etcd.Etcd;
import dev.conch.proc.Hold;
import dev.conch.proc.Wrapper;
import java.time.Duration;
import java.util.List;

/** {@code conch elect}: what the elect script calls once picocli has parsed its line. */
public final class ElectTool {
  private ElectTool() {}

  public static int run(
      ConnectionOptions conn,
      HoldOptions opts,
      LogOptions logs,
      String office,
      List<String> cmd,
      boolean restart,
      Duration backoffMax,
      Duration stableAfter) {
    Log log = logs.log("elect", office);
    return Tool.guarded(
        log,
        () -> {
          String dir = conn.keys().office(office);
          opts.checkQuery();
          Connection c = conn.connection();
          if (opts.who)
            return Tool.query(
                c, r -> Tool.printHolders(Election.leader(r, dir).stream().toList(), opts.json, 0));
          Hold hold =
              new Hold(
                  "elect",
                  office,
                  Tool.command(cmd),
                  opts.ttlSeconds(),
                  opts.killAfter,
                  opts.nonblock,
                  opts.timeout,
                  restart,
                  backoffMax,
                  stableAfter,
                  c.dialTimeout());
          return new Wrapper(
                  () -> Etcd.connect(c), hold, log, s -> new Election(s.client(), dir, s))
              .run();
        });
  }
}
