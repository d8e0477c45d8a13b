package dev.conch.bench;

import static dev.conch.bench.Table.max;
import static dev.conch.bench.Table.ms;
import static dev.conch.bench.Table.p50;
import static dev.conch.bench.Table.ratio;
import static dev.conch.bench.Table.ratioValue;
import static dev.conch.it.support.Args.cat;

import dev.conch.it.support.Conch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Handover: from one child's exit to the next child's start, conch and etcdctl lock in turn. */
final class Handover {
  static final int ROUNDS = Integer.getInteger("bench.rounds", 2);

  /** Wrappers per handover round: each round gives this many minus one handovers. */
  static final int QUEUE = Integer.getInteger("bench.queue", 11);

  private final Bench b;

  Handover(Bench b) {
    this.b = b;
  }

  void measure() {
    List<Long> conchGaps = new ArrayList<>();
    List<Long> etcdctlGaps = new ArrayList<>();
    for (int round = 0; round < ROUNDS; round++) {
      Conch c = new Conch(b.server.endpoint);
      conchGaps.addAll(
          round(
              c,
              "conch",
              c.prefix + "/v1/elect/h/",
              log -> b.startConch(c, cat(List.of("elect", "h", "--"), child(log)))));
      Conch e = new Conch(b.server.endpoint);
      String lock = e.prefix + "-lock";
      etcdctlGaps.addAll(
          round(
              e,
              "etcdctl",
              lock + "/",
              log -> b.startEtcdctl(e, cat(List.of("lock", lock, "--"), child(log)))));
    }
    long cp = p50(conchGaps);
    long ep = p50(etcdctlGaps);
    b.table.add(
        new Table.Row(
            "handover_p50_ratio",
            "handover gap p50, " + conchGaps.size() + " handovers each",
            ms(cp),
            ms(ep),
            ratio(cp, ep),
            ratioValue(cp, ep),
            "x"));
    b.table.add(
        new Table.Row(
            "handover_max_ms",
            "handover gap max",
            ms(max(conchGaps)),
            ms(max(etcdctlGaps)),
            ratio(max(conchGaps), max(etcdctlGaps)),
            max(conchGaps) / 1000.0,
            "ms"));
  }

  /**
   * The child of a handover round: waits for the gate (so JVM start-ups are over), logs start and
   * end.
   */
  static List<String> child(Path log) {
    Path gate = log.resolveSibling("gate");
    return List.of(
        "bash",
        "-c",
        "echo \"start $(date +%s%N)\" >> '"
            + log
            + "'; while [ ! -e '"
            + gate
            + "' ]; do sleep 0.05; done; sleep 0.2; echo \"end $(date +%s%N)\" >> '"
            + log
            + "'");
  }

  /** One round: QUEUE contenders queue, the gate opens, each hands over to the next; gaps in µs. */
  private List<Long> round(Conch c, String tool, String keyDir, Function<Path, Conch.Run> start) {
    Path log = c.file("log");
    List<Conch.Run> runs = new ArrayList<>();
    // one after the other: a storm of JVM start-ups on 2 cores would outlast the dial timeout
    for (int i = 1; i <= QUEUE; i++) {
      runs.add(start.apply(log));
      b.awaitKeys(keyDir, i, runs);
    }
    Bench.touch(log.resolveSibling("gate"));
    for (Conch.Run r : runs) {
      int code = r.exit(120_000);
      if (code != 0) throw new IllegalStateException(tool + " exited " + code + ": " + r.stderr());
    }
    List<String> lines = Conch.lines(log);
    List<Long> gaps = new ArrayList<>();
    for (int i = 1; i + 1 < lines.size(); i += 2) {
      if (!lines.get(i).startsWith("end") || !lines.get(i + 1).startsWith("start"))
        throw new IllegalStateException(tool + " overlapped: " + lines);
      gaps.add((Bench.nanos(lines.get(i + 1)) - Bench.nanos(lines.get(i))) / 1_000); // µs
    }
    return gaps;
  }
}
