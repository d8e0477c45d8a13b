package dev.conch.bench;

import dev.conch.coord.Holder;
import dev.conch.coord.Semaphore;
import dev.conch.it.support.Contenders;
import dev.conch.it.support.EtcdLoad;
import java.util.List;
import java.util.Locale;

/**
 * sema: draining a queue at library level in one JVM, as SemaStressIT does (205 wrapper JVMs would
 * not fit the machine): its time, and etcd's count of KV requests per acquisition.
 */
final class SemaDrain {
  private final Bench b;

  SemaDrain(Bench b) {
    this.b = b;
  }

  void measure() throws Exception {
    double[] small = drain(20);
    double[] large = drain(200);
    b.table.add(
        new Table.Row(
            "sema_drain200_s",
            "sema N=5: drain 200 waiters, instant children (library level)",
            String.format(Locale.ROOT, "%.2f s (%.0f acquisitions/s)", large[0], large[2]),
            "-",
            "-",
            large[0],
            "s"));
    b.table.add(
        new Table.Row(
            "sema_req_per_acq_20",
            "sema: etcd KV requests per acquisition, 20 waiters",
            String.format(Locale.ROOT, "%.2f", small[1]),
            "-",
            "-",
            small[1],
            ""));
    b.table.add(
        new Table.Row(
            "sema_req_per_acq_200",
            "sema: etcd KV requests per acquisition, 200 waiters",
            String.format(Locale.ROOT, "%.2f", large[1]),
            "-",
            "-",
            large[1],
            ""));
    b.table.add(
        new Table.Row(
            "sema_req_growth",
            "sema: requests per acquisition, 200 vs 20 waiters",
            String.format(Locale.ROOT, "%.2fx", large[1] / small[1]),
            "-",
            "-",
            large[1] / small[1],
            "x"));
  }

  /**
   * {@code waiters + 5} contenders join at once, each acquires once and leaves: seconds, requests
   * per acquisition, acquisitions per second.
   */
  private double[] drain(int waiters) throws Exception {
    int max = 5;
    String dir = "/bench" + System.nanoTime() + "/v1/sema/d/" + max + "/";
    int contenders = waiters + max;
    EtcdLoad before = EtcdLoad.read(b.server.endpoint); // KV requests only: not lease grants
    double seconds =
        Contenders.run(
            b.client,
            contenders,
            s -> {
              Semaphore sem = new Semaphore(b.client, dir, s, max);
              sem.join(Holder.self(List.of("true"), s.ttl(), s.lease()));
              sem.acquired().join();
              sem.leave();
            });
    long requests = EtcdLoad.read(b.server.endpoint).since(before).kvRequests();
    return new double[] {seconds, (double) requests / contenders, contenders / seconds};
  }
}
