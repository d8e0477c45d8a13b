package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.coord.Semaphore;
import dev.conch.etcd.Etcd;
import dev.conch.it.support.Contenders;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.EtcdLoad;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The semaphore under load, at library level against real etcd: hundreds of contenders, each with
 * its own lease, acquiring, holding for 5 ms and queueing again at the back; a seeded tenth of them
 * withdraws while waiting, for good ({@code -Dconch.seed=N}). Asserts FIFO by create revision
 * (every acquisition entitled at its deciding read, and every overtaking explained by entitlement),
 * at most N holders at every instant, and that etcd's KV requests and watch messages per
 * acquisition do not grow with the queue (counted by etcd itself, from its /metrics).
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES) // a lost wake-up fails, it does not hang the build
class SemaStressIT {
  static final int MAX = 5;
  static final long SEED = Long.getLong("conch.seed", 42);
  static final double WITHDRAW = 0.1;
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  record Drain(
      int waiters,
      int acquisitions,
      double seconds,
      double kvPerAcquisition,
      double watchPerAcquisition) {}

  @Test
  void fifoWithAtMostNHoldersAndRequestsPerAcquisitionFlatInQueueLength() throws Exception {
    Drain small = drain("small", 20, 300);
    Drain large = drain("large", 200, 1000);
    System.out.printf(
        "%n| waiters | acquisitions | seconds | acquisitions/s | etcd KV requests per acquisition"
            + " | watch messages per acquisition |%n");
    System.out.printf("| --- | --- | --- | --- | --- | --- |%n");
    for (Drain d : List.of(small, large)) {
      System.out.printf(
          "| %d | %d | %.1f | %.0f | %.2f | %.2f |%n",
          d.waiters(),
          d.acquisitions(),
          d.seconds(),
          d.acquisitions() / d.seconds(),
          d.kvPerAcquisition(),
          d.watchPerAcquisition());
    }
    assertTrue(large.kvPerAcquisition() <= 8, "a constant handful per acquisition: " + large);
    assertTrue(large.watchPerAcquisition() <= 12, "a constant handful per acquisition: " + large);
    assertTrue(
        large.kvPerAcquisition() <= small.kvPerAcquisition() * 1.2 + 0.5
            && large.watchPerAcquisition() <= small.watchPerAcquisition() * 1.2 + 0.5,
        "no herd: requests and watch messages per acquisition do not grow with the queue ("
            + small
            + " vs "
            + large
            + ")");
  }

  /**
   * {@code waiters + MAX} contenders cycle through one semaphore until {@code target} acquisitions.
   */
  Drain drain(String name, int waiters, int target) throws Exception {
    String dir = "/stress/v1/sema/" + name + "/" + MAX + "/";
    EtcdLoad before = EtcdLoad.read(etcd.endpoint());
    Contenders.Cycle cycle =
        Contenders.cycle(
            etcd.client(),
            waiters + MAX,
            target,
            s -> new Semaphore(etcd.client(), dir, s, MAX),
            5,
            WITHDRAW,
            SEED,
            Duration.ofSeconds(60));
    EtcdLoad load = EtcdLoad.read(etcd.endpoint()).since(before);
    List<Contenders.Acquisition> log = cycle.acquisitions();
    assertTrue(
        cycle.mostHolding() <= MAX,
        "at most " + MAX + " holders at every instant, saw " + cycle.mostHolding());
    assertTrue(
        cycle.mostHolding() > 1,
        "holders overlapped, so the bound was put to the test: " + cycle.mostHolding());
    assertTrue(
        cycle.mostWaiting() >= waiters * 9 / 10,
        "about " + waiters + " really queued at the peak: " + cycle.mostWaiting());
    assertTrue(cycle.withdrawals() > 0, "some waiters withdrew");
    assertTrue(log.size() >= target);
    // FIFO: every turn was taken from a consistent read (revision `at`) in which fewer than MAX
    // keys created before the contender's own were alive: the holders are always the first MAX of
    // the queue by create revision, and nobody is passed over. Checked against etcd's history.
    for (Contenders.Acquisition a : log) {
      long ahead =
          etcd.client()
              .getKVClient()
              .get(
                  Etcd.bytes(dir),
                  GetOption.builder()
                      .isPrefix(true)
                      .withRevision(a.at())
                      .withMaxCreateRevision(a.rev() - 1)
                      .withKeysOnly(true)
                      .build())
              .get()
              .getKvs()
              .size();
      assertTrue(
          ahead < MAX,
          "contender "
              + a.rev()
              + " took a slot at revision "
              + a.at()
              + " with "
              + ahead
              + " ahead");
    }
    assertOvertakingOnlyAmongTheEntitled(log);
    return new Drain(
        waiters,
        log.size(),
        cycle.seconds(),
        (double) load.kvRequests() / log.size(),
        (double) load.watchMessages() / log.size());
  }

  /**
   * In the order the contenders saw their turns, create revisions increase, except where a later
   * key's turn was seen first while the earlier key was entitled too: the earlier key was still
   * queued at the later one's deciding read, which left fewer than MAX ahead of the later key, so
   * also of the earlier one. (Being entitled and starting are apart by a scheduling delay.)
   */
  static void assertOvertakingOnlyAmongTheEntitled(List<Contenders.Acquisition> log)
      throws Exception {
    List<Contenders.Acquisition> bySeen = new ArrayList<>(log);
    bySeen.sort(Comparator.comparingLong(Contenders.Acquisition::seen));
    int overtakings = 0;
    for (int i = 0; i < bySeen.size(); i++) {
      Contenders.Acquisition seenFirst = bySeen.get(i);
      for (Contenders.Acquisition seenLater : bySeen.subList(i + 1, bySeen.size())) {
        if (seenLater.rev() > seenFirst.rev()) continue;
        overtakings++;
        List<KeyValue> kvs =
            etcd.client()
                .getKVClient()
                .get(
                    Etcd.bytes(seenLater.key()),
                    GetOption.builder().withRevision(seenFirst.at()).build())
                .get()
                .getKvs();
        assertTrue(
            !kvs.isEmpty() && kvs.get(0).getCreateRevision() == seenLater.rev(),
            "contender "
                + seenFirst.rev()
                + " started before "
                + seenLater.rev()
                + ", which was not queued at its deciding read "
                + seenFirst.at());
      }
    }
    System.out.printf(
        "pairs started against queue order, both entitled: %d (%d acquisitions)%n",
        overtakings, log.size());
  }
}
