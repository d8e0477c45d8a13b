package dev.conch.bench;

import static dev.conch.bench.Table.max;
import static dev.conch.bench.Table.p50;

import dev.conch.it.support.Conch;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** cron: how late each run starts after its tick, three daemons. */
final class CronLateness {
  /** Cron ticks timed after the daemons' start-up (issue 4 asks for at least 100). */
  static final int TICKS = Integer.getInteger("bench.ticks", 100);

  private final Bench b;

  CronLateness(Bench b) {
    this.b = b;
  }

  void measure() {
    Conch c = new Conch(b.server.endpoint);
    Path log = c.file("log");
    Conch.Run add =
        b.startConch(
            c,
            List.of(
                "cron",
                "add",
                "tick",
                "--schedule",
                "@every 1s",
                "--",
                "bash",
                "-c",
                "echo \"$CONCH_TICK $(date +%s%N)\" >> '" + log + "'"));
    if (add.exit(60_000) != 0) throw new IllegalStateException("cron add: " + add.stderr());
    List<Conch.Run> ds = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      ds.add(b.startConch(c, List.of("daemon")));
      b.awaitKeys(c.prefix + "/v1/daemons/", i, ds);
    }
    Conch.awaitLines(log, 3, 120_000); // the daemons' start-up is over
    int skip = Conch.lines(log).size();
    Conch.awaitLines(log, skip + TICKS, 3_000L * TICKS);
    for (Conch.Run d : ds) d.stop();
    List<Long> late = new ArrayList<>();
    for (String l : Conch.lines(log).subList(skip, skip + TICKS)) {
      String[] f = l.split(" ");
      late.add(Long.parseLong(f[1]) / 1_000_000 - Instant.parse(f[0]).toEpochMilli());
    }
    long p = p50(late);
    b.table.add(
        new Table.Row(
            "cron_late_p50_ms",
            "cron: run start after its tick, p50 (max), " + TICKS + " ticks, 3 daemons",
            p + " ms (" + max(late) + " ms)",
            "-",
            "-",
            p,
            "ms"));
  }
}
