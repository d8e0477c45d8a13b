package dev.conch.cli;

import dev.conch.base.ExitCode;
import dev.conch.base.Failure;
import dev.conch.base.Json;
import dev.conch.base.Log;
import dev.conch.coord.Holder;
import dev.conch.coord.Semaphore;
import dev.conch.etcd.Connection;
import dev.conch.etcd.Etcd;
import dev.conch.proc.Hold;
import dev.conch.proc.Wrapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** {@code conch sema}: what the sema script calls once picocli has parsed its line. */
public final class SemaTool {
  private SemaTool() {}

  public static int run(
      ConnectionOptions conn,
      HoldOptions opts,
      LogOptions logs,
      String name,
      Integer max,
      List<String> cmd) {
    Log log = logs.log("sema", name);
    return Tool.guarded(
        log,
        () -> {
          String all = conn.keys().semaAll(name);
          opts.checkQuery();
          if (max != null && (max < 1 || max > 10_000))
            throw Failure.badInput("--max must be from 1 to 10000, not " + max);
          Connection c = conn.connection();
          if (opts.who)
            return Tool.query(c, r -> who(log, name, Semaphore.groups(r, all), max, opts.json));
          if (max == null)
            throw Failure.badInput("--max N is required: at most N commands run at once");
          String dir = conn.keys().sema(name, max);
          Hold hold = opts.hold("sema", name, cmd, c.dialTimeout(), null);
          return new Wrapper(
                  () -> Etcd.connect(c),
                  hold,
                  log,
                  s -> new Semaphore(s.client(), dir, s, max, hold.lockDelay()))
              .run();
        });
  }

  /**
   * Holders in rank order and the number of waiters, per {@code --max} found; warns when they
   * disagree.
   */
  private static int who(
      Log log, String name, List<Semaphore.Group> groups, Integer max, boolean json) {
    if (groups.size() > 1) {
      log.always(
          "disagree",
          "contenders disagree on --max ("
              + groups.stream().map(g -> "" + g.max()).collect(Collectors.joining(", "))
              + "): each --max has slots of its own");
    }
    boolean any = false;
    for (Semaphore.Group g : groups) {
      if (max != null && g.max() != max) continue;
      any |= !g.holders().isEmpty();
      if (json) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("name", name);
        o.put("max", g.max());
        o.put("holders", g.holders());
        o.put("waiters", g.waiters());
        System.out.println(Json.write(o));
      } else {
        int slot = 0;
        for (Holder h : g.holders())
          System.out.println("slot " + ++slot + "/" + g.max() + ": " + h.describe());
        System.out.println("waiting: " + g.waiters());
      }
    }
    return any ? ExitCode.OK : ExitCode.NOTHING;
  }
}
