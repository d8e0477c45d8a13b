package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.coord.Election;
import dev.conch.it.support.Contenders;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.EtcdLoad;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Election's no-herd watch, at library level against real etcd: candidates cycle through one office
 * (lead 5 ms, resign, queue again at the back) with 5 and then 50 waiting. etcd's own counts of KV
 * requests and watch messages per handover must not grow with the number of waiters: a resignation
 * wakes only the candidate just behind it.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ElectStressIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  record Handovers(int waiting, int handovers, double kvPerHandover, double watchPerHandover) {}

  @Test
  void requestsAndWatchMessagesPerHandoverDoNotGrowWithTheWaiters() throws Exception {
    Handovers few = cycle("few", 5, 150);
    Handovers many = cycle("many", 50, 150);
    System.out.printf("%n%s%n%s%n", few, many);
    assertTrue(many.kvPerHandover() <= 6, "a constant handful per handover: " + many);
    assertTrue(many.watchPerHandover() <= 8, "a constant handful per handover: " + many);
    assertTrue(
        many.kvPerHandover() <= few.kvPerHandover() * 1.2 + 0.5
            && many.watchPerHandover() <= few.watchPerHandover() * 1.2 + 0.5,
        "no herd: per handover, " + few + " vs " + many);
  }

  Handovers cycle(String office, int waiting, int target) throws Exception {
    String dir = "/stress/v1/elect/" + office + "/";
    EtcdLoad before = EtcdLoad.read(etcd.endpoint());
    Contenders.Cycle cycle =
        Contenders.cycle(
            etcd.client(),
            waiting + 1,
            target,
            s -> new Election(etcd.client(), dir, s),
            5,
            0,
            0,
            Duration.ofSeconds(60));
    EtcdLoad load = EtcdLoad.read(etcd.endpoint()).since(before);
    int n = cycle.acquisitions().size();
    assertEquals(1, cycle.mostHolding(), "one leader at a time");
    assertTrue(cycle.mostWaiting() >= waiting, "all queued at the peak: " + cycle.mostWaiting());
    return new Handovers(
        waiting, n, (double) load.kvRequests() / n, (double) load.watchMessages() / n);
  }
}
