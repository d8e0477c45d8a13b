package dev.conch.bench;

import static dev.conch.bench.Table.max;
import static dev.conch.bench.Table.ms;
import static dev.conch.bench.Table.p50;
import static dev.conch.it.support.Args.cat;

import dev.conch.it.support.Conch;
import dev.conch.it.support.Procs;
import io.etcd.jetcd.KeyValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Lease revoke to the child's SIGTERM: conch's, timed; etcdctl lock's, whether it comes at all. */
final class Revoke {
  static final int REVOKES = Integer.getInteger("bench.revokes", 5);

  private final Bench b;

  Revoke(Bench b) {
    this.b = b;
  }

  void measure() throws Exception {
    List<Long> conch = new ArrayList<>();
    String etcdctl = "";
    for (int i = 0; i < REVOKES; i++) {
      Conch c = new Conch(b.server.endpoint);
      Path log = c.file("log");
      Conch.Run r = b.startConch(c, cat(List.of("elect", "r", "--"), Bench.trapping(log)));
      Conch.awaitLines(log, 1, 60_000);
      long t0 = revokeLeaseUnder(c.prefix + "/v1/elect/r/");
      List<String> l = Conch.awaitLines(log, 2, 30_000);
      conch.add((Bench.nanos(l.get(1)) - t0) / 1_000); // µs
      r.exit(30_000);

      if (i == 0) { // etcdctl lock: the same revoke, and its command keeps running
        Conch e = new Conch(b.server.endpoint);
        Path elog = e.file("log");
        String lock = e.prefix + "-lock";
        Conch.Run er = b.startEtcdctl(e, cat(List.of("lock", lock, "--"), Bench.trapping(elog)));
        Conch.awaitLines(elog, 1, 60_000);
        revokeLeaseUnder(lock + "/");
        Procs.nap(3_000); // there is no event to wait for: the claim is that nothing happens
        long pid = Long.parseLong(Conch.lines(elog).get(0).split(" ")[1]);
        boolean terminated = Conch.lines(elog).size() > 1;
        etcdctl = terminated ? "terminated" : "never (still running 3 s later)";
        Procs.kill("TERM", pid);
        er.process().destroy();
        er.process().waitFor();
      }
    }
    long p = p50(conch);
    b.table.add(
        new Table.Row(
            "revoke_sigterm_p50_ms",
            "lease revoke -> child SIGTERM p50 (max), " + conch.size() + " revokes",
            ms(p) + " (" + ms(max(conch)) + ")",
            etcdctl,
            "-",
            p / 1000.0,
            "ms"));
  }

  /**
   * Revokes the lease of the only key under {@code dir}; returns the wall clock (ns) just before.
   */
  private long revokeLeaseUnder(String dir) throws Exception {
    List<KeyValue> kvs = b.keys(dir);
    if (kvs.size() != 1)
      throw new IllegalStateException("expected one key under " + dir + ": " + kvs.size());
    long t0 = Bench.wallNanos();
    b.client.getLeaseClient().revoke(kvs.get(0).getLease()).get();
    return t0;
  }
}
