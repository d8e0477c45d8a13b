package dev.conch.bench;

import dev.conch.it.support.Args;
import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdServer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The benchmark of issue 6 (docs/performance.md): conch beside {@code etcdctl lock} on one etcd of
 * its own, in one run, the two tools interleaved round by round so that a loaded machine slows both
 * alike. Its name matches none of surefire's default includes, so the build compiles it and never
 * runs it; {@code bench/run.sh} does. It prints a table and writes {@code
 * bench/target/results.tsv}, which {@code bench/check.sh} holds against {@code
 * bench/thresholds.tsv}. It asserts nothing about time: a slow machine gives slow figures, and only
 * check.sh judges them.
 *
 * <p>conch is run the way a user runs it: {@code bin/conch} (the fast path) when the checkout has
 * it, else {@code ./jbang conch.java}; the query rows also time the other launch paths. Each
 * measure is a class of its own, in the order of the table's rows.
 */
class ConchBench {
  @Test
  void bench() throws Exception {
    Table table = new Table();
    try (EtcdServer s = EtcdServer.start();
        Bench b = new Bench(s, table)) {
      Conch.classpath(); // built once, outside every timing
      Bench.timed(
          new Conch(s.endpoint),
          Args.cat(Bench.conch(), List.of("--version")),
          0); // and the fast path's cache, if any
      new Handover(b).measure();
      new Revoke(b).measure();
      new Queries(b).measure();
      new Memory(b).measure();
      new SemaDrain(b).measure();
      new CronLateness(b).measure();
    }
    table.report(Bench.conchName());
  }
}
