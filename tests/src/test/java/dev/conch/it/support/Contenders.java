package dev.conch.it.support;

import dev.conch.coord.Holder;
import dev.conch.coord.Slot;
import dev.conch.etcd.Etcd;
import dev.conch.etcd.Session;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Many sessions contending at once, a thread each: how the stress tests and the benchmark load a
 * semaphore or an office.
 */
public final class Contenders {
  /** What one contender does with its session. */
  public interface Body {
    void run(Session session) throws Exception;
  }

  private Contenders() {}

  /**
   * Opens {@code n} sessions, runs {@code body} for each at once, waits for all and closes them;
   * the seconds from the start of the first body to the end of the last.
   */
  public static double run(Client client, int n, Body body) throws Exception {
    List<Session> sessions = new ArrayList<>();
    for (int i = 0; i < n; i++) sessions.add(Session.open(client, 60, Duration.ofSeconds(5)));
    ExecutorService pool = Executors.newFixedThreadPool(n);
    long t0 = System.nanoTime();
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (Session s : sessions) {
        futures.add(
            pool.submit(
                () -> {
                  body.run(s);
                  return null;
                }));
      }
      for (Future<?> f : futures) f.get();
      return (System.nanoTime() - t0) / 1e9;
    } finally {
      pool.shutdownNow();
      for (Session s : sessions) s.close();
    }
  }

  /**
   * One acquisition: the revision of the read that granted it, the key's create revision and name,
   * and when the contender saw it (nanoTime).
   */
  public record Acquisition(long at, long rev, String key, long seen) {}

  /** What a cycle saw: every acquisition, the most holding and waiting at once, the withdrawals. */
  public record Cycle(
      List<Acquisition> acquisitions,
      int mostHolding,
      int mostWaiting,
      int withdrawals,
      double seconds) {}

  /**
   * {@code n} contenders queue for a slot of {@code slots}, hold it for {@code holdMillis} and
   * queue again at the back, until {@code target} acquisitions. A {@code withdraw} fraction of the
   * contenders gives up on a later turn (the queue behind it has settled) while still waiting after
   * a random (seeded) 0-100 ms, and leaves for good: queueing again would put the same key back
   * (its name is the lease), which would wake the successor by itself and hide a missed deletion. A
   * wait longer than {@code patience} fails the cycle: a lost wake-up must fail, not hang.
   */
  public static Cycle cycle(
      Client client,
      int n,
      int target,
      Function<Session, Slot> slots,
      long holdMillis,
      double withdraw,
      long seed,
      Duration patience)
      throws Exception {
    AtomicInteger holding = new AtomicInteger(), mostHolding = new AtomicInteger();
    AtomicInteger waiting = new AtomicInteger(), mostWaiting = new AtomicInteger();
    AtomicInteger done = new AtomicInteger(), withdrawals = new AtomicInteger();
    AtomicInteger ids = new AtomicInteger();
    List<Acquisition> log = Collections.synchronizedList(new ArrayList<>());
    double seconds =
        run(
            client,
            n,
            s -> {
              int id = ids.getAndIncrement();
              Random random = new Random(seed + id);
              boolean withdrawer = id < Math.round(n * withdraw);
              for (int turns = 0; done.get() < target; turns++) {
                Slot slot = slots.apply(s);
                long rev = slot.join(Holder.self(List.of("stress"), s.ttl(), s.lease()));
                mostWaiting.accumulateAndGet(waiting.incrementAndGet(), Math::max);
                CompletableFuture<Long> turn =
                    slot.acquired().orTimeout(patience.toMillis(), TimeUnit.MILLISECONDS);
                if (withdrawer && turns > 0) {
                  try {
                    turn.get(random.nextInt(100), TimeUnit.MILLISECONDS);
                  } catch (TimeoutException stillWaiting) {
                    waiting.decrementAndGet();
                    slot.leave();
                    withdrawals.incrementAndGet();
                    return;
                  }
                }
                long at = turn.join();
                long seen = System.nanoTime();
                waiting.decrementAndGet();
                mostHolding.accumulateAndGet(holding.incrementAndGet(), Math::max);
                log.add(new Acquisition(at, rev, Etcd.string(slot.key()), seen));
                Thread.sleep(holdMillis); // the "work": holders overlap, so the bound is tested
                done.incrementAndGet();
                holding.decrementAndGet();
                slot.leave();
              }
            });
    return new Cycle(
        List.copyOf(log), mostHolding.get(), mostWaiting.get(), withdrawals.get(), seconds);
  }
}
