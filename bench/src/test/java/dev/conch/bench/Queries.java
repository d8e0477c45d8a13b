package dev.conch.bench;

import static dev.conch.bench.Table.p50;
import static dev.conch.bench.Table.ratio;
import static dev.conch.bench.Table.ratioValue;
import static dev.conch.it.support.Args.cat;

import dev.conch.it.support.Conch;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Warm queries: {@code elect --who} by every launch path beside {@code etcdctl get}. */
final class Queries {
  static final int QUERIES = Integer.getInteger("bench.queries", 10);

  private final Bench b;

  Queries(Bench b) {
    this.b = b;
  }

  void measure() {
    Conch c = new Conch(b.server.endpoint);
    Conch.Run holder = c.holding("elect", "q");
    String key = b.keys(c.prefix + "/v1/elect/q/").get(0).getKey().toString(StandardCharsets.UTF_8);
    Map<String, List<String>> launchers = Bench.launchers();
    Map<String, List<Long>> times = new LinkedHashMap<>();
    List<Long> get = new ArrayList<>();
    for (String name : launchers.keySet()) times.put(name, new ArrayList<>());
    for (int i = 0; i <= QUERIES; i++) { // the first of each is the cold one, not counted
      for (Map.Entry<String, List<String>> l : launchers.entrySet()) {
        long t = Bench.timed(c, cat(l.getValue(), List.of("elect", "q", "--who")), 0);
        if (i > 0) times.get(l.getKey()).add(t);
      }
      long t = Bench.timed(c, List.of("etcdctl", "--endpoints", b.server.endpoint, "get", key), 0);
      if (i > 0) get.add(t);
    }
    new WhoParts(b).measure(c, "q");
    holder.stop();
    long g = p50(get);
    boolean first = true;
    for (Map.Entry<String, List<Long>> e : times.entrySet()) {
      long p = p50(e.getValue());
      String key2 =
          first ? "who_p50_ratio" : "who_p50_ratio_" + e.getKey().replaceAll("[^a-z]+", "_");
      b.table.add(
          new Table.Row(
              key2,
              "warm `elect --who` p50 vs `etcdctl get` (" + e.getKey() + ")",
              p + " ms",
              g + " ms",
              ratio(p, g),
              ratioValue(p, g),
              "x"));
      first = false;
    }
  }
}
