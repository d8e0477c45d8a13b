package dev.conch.cli;

import dev.conch.base.Log;
import dev.conch.coord.Election;
import dev.conch.etcd.Connection;
import dev.conch.etcd.Etcd;
import dev.conch.proc.Hold;
import dev.conch.proc.Wrapper;
import java.util.List;

/** {@code conch elect}: what the elect script calls once picocli has parsed its line. */
public final class ElectTool {
  private ElectTool() {}

  public static int run(
      ConnectionOptions conn,
      HoldOptions opts,
      RestartOptions again,
      LogOptions logs,
      String office,
      List<String> cmd) {
    Log log = logs.log("elect", office);
    return Tool.guarded(
        log,
        () -> {
          String dir = conn.keys().office(office);
          opts.checkQuery();
          Connection c = conn.connection();
          if (opts.who)
            return Tool.query(
                c, r -> Tool.printHolders(Election.leader(r, dir).stream().toList(), opts.json));
          Hold hold = opts.hold("elect", office, cmd, c.dialTimeout(), again.restart());
          return new Wrapper(
                  () -> Etcd.connect(c),
                  hold,
                  log,
                  s -> new Election(s.client(), dir, s, hold.lockDelay()))
              .run();
        });
  }
}
