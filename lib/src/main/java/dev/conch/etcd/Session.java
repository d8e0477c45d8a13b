package dev.conch.etcd;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.lease.NoSuchLeaseException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A lease kept alive by our own loop of single keepalives, so that we know when each request left
 * and can hold the deadline on our own clock ({@link Deadline}). The session is lost when etcd says
 * the lease is gone, when the owner reports its key deleted, or when the deadline passes unrenewed,
 * even if etcd cannot be heard at all.
 */
public final class Session implements AutoCloseable {
  private final Client client;
  private final long lease;
  private final long ttl;
  private final Deadline deadline;
  private final ScheduledExecutorService timer;
  private final CompletableFuture<String> lost = new CompletableFuture<>();
  private final List<Consumer<Duration>> onRenew = new CopyOnWriteArrayList<>();
  private ScheduledFuture<?> expiry;

  private Session(Client client, long lease, long ttl, long sentNanos) {
    this.client = client;
    this.lease = lease;
    this.ttl = ttl;
    this.deadline = new Deadline(sentNanos, ttl);
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "conch-keepalive");
              t.setDaemon(true);
              return t;
            });
    long every = Math.max(200, ttl * 1000 / 3);
    // A slow grant (a cold JVM's first request on a loaded host) leaves less of the TTL on our
    // clock than a keepalive's period: renew at once rather than let the deadline pass unrenewed.
    long first = Math.min(every, Math.max(0, remaining().toMillis() - 2 * ttl * 1000 / 3));
    timer.scheduleWithFixedDelay(this::keepAlive, first, every, TimeUnit.MILLISECONDS);
    armExpiry();
  }

  /**
   * Grants a lease of {@code ttlSeconds}; fails with 69 or 77 if etcd does not answer in the dial
   * timeout.
   */
  public static Session open(Client client, long ttlSeconds, Duration dialTimeout) {
    long sent = System.nanoTime();
    try {
      var grant =
          client
              .getLeaseClient()
              .grant(ttlSeconds)
              .orTimeout(dialTimeout.toMillis(), TimeUnit.MILLISECONDS)
              .join();
      return new Session(client, grant.getID(), grant.getTTL(), sent);
    } catch (RuntimeException e) {
      throw Etcd.failure(e, "granting a lease");
    }
  }

  /** The client this session's lease lives on. */
  public Client client() {
    return client;
  }

  public long lease() {
    return lease;
  }

  /** The TTL etcd granted, in seconds (etcd may raise a short one to its minimum). */
  public long ttl() {
    return ttl;
  }

  public Duration remaining() {
    return Duration.ofNanos(Math.max(0, deadline.remainingNanos(System.nanoTime())));
  }

  public boolean expired() {
    return deadline.passed(System.nanoTime());
  }

  /** Completes, with the reason, when the lease is lost. */
  public CompletableFuture<String> lost() {
    return lost;
  }

  /**
   * Calls {@code listener} with the time left after every acknowledged keepalive (feeds a child's
   * dead man's switch) until the returned handle is run.
   */
  public Runnable onRenew(Consumer<Duration> listener) {
    onRenew.add(listener);
    return () -> onRenew.remove(listener);
  }

  public void lose(String reason) {
    lost.complete(reason);
  }

  private void keepAlive() {
    if (lost.isDone()) return;
    long sent = System.nanoTime();
    client
        .getLeaseClient()
        .keepAliveOnce(lease)
        .orTimeout(Math.max(200, ttl * 1000 / 3), TimeUnit.MILLISECONDS)
        .whenComplete((r, e) -> acknowledged(sent, r, e == null ? null : Etcd.unwrap(e)));
  }

  private void acknowledged(long sent, LeaseKeepAliveResponse r, Throwable e) {
    if (e instanceof NoSuchLeaseException || (e == null && r.getTTL() <= 0)) {
      lose("etcd says lease " + Long.toHexString(lease) + " is gone (revoked or expired)");
      return;
    }
    if (e != null) return; // unanswered: the deadline decides
    // Too late: the watchdog acted at the deadline whatever etcd says now (a wrapper thawed after a
    // SIGSTOP past its TTL renews a lease etcd has not yet expired); never resurrect it.
    if (expired()) {
      loseByDeadline();
      return;
    }
    deadline.renew(sent, r.getTTL());
    armExpiry();
    Duration left = remaining();
    onRenew.forEach(l -> l.accept(left));
  }

  private void loseByDeadline() {
    lose("no keepalive acknowledged within the " + ttl + "s TTL: lease deadline passed");
  }

  private synchronized void armExpiry() {
    if (expiry != null) expiry.cancel(false);
    if (lost.isDone() || timer.isShutdown()) return;
    expiry =
        timer.schedule(
            () -> {
              if (expired()) loseByDeadline();
              else armExpiry();
            },
            deadline.remainingNanos(System.nanoTime()),
            TimeUnit.NANOSECONDS);
  }

  /**
   * How long a best-effort clean-up on leaving (a delete, the revoke) may wait for etcd: an
   * unreachable etcd must not hold up a stop (systemd's TimeoutStopSec), and the lease's expiry
   * removes everything anyway.
   */
  public static final Duration CLEANUP = Duration.ofSeconds(2);

  /** Stops renewing and revokes the lease, which deletes every key attached to it. Best effort. */
  @Override
  public void close() {
    timer.shutdownNow();
    try {
      client
          .getLeaseClient()
          .revoke(lease)
          .orTimeout(CLEANUP.toMillis(), TimeUnit.MILLISECONDS)
          .join();
    } catch (RuntimeException e) {
      // unreachable etcd expires the lease by itself within the TTL
    }
  }
}
