package dev.conch.cron;

import dev.conch.base.Durations;
import dev.conch.base.Failure;
import dev.conch.coord.Backoff;
import dev.conch.coord.Holder;
import dev.conch.coord.Keys;
import dev.conch.etcd.Etcd;
import dev.conch.etcd.KeyWaits;
import dev.conch.etcd.Session;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's lease and its key under daemons/ on it: how readers tell a live run from a zombie.
 * {@code lost} is the lease's loss as the daemon acts on it: completed once the daemon has said so
 * in its own line, it terminates the runs on this lease, each said in a line of its own.
 */
record Registration(Session session, CompletableFuture<String> lost) {
  /**
   * The first registration. On a loaded host a short TTL can run out between the grant and the
   * registration: that lease is replaced by a fresh one for as long as --dial-timeout lasts.
   */
  static Registration first(Client client, Keys keys, Daemon.Options opt) {
    long end = System.nanoTime() + opt.dialTimeout().toNanos();
    while (true) {
      Registration r = register(client, keys, opt);
      if (r != null) return r;
      if (System.nanoTime() > end)
        throw new Failure(
            Failure.Kind.UNAVAILABLE,
            "each lease expired before the daemon could register on it, for --dial-timeout "
                + Durations.format(opt.dialTimeout())
                + ": a --ttl of "
                + opt.ttlSeconds()
                + "s is too short for this host or etcd");
    }
  }

  /**
   * A new registration after a loss, retried until etcd answers; null if {@code stop} came first.
   */
  static Registration again(
      Client client, Keys keys, Daemon.Options opt, CompletableFuture<?> stop, Metrics metrics) {
    Backoff backoff = Backoff.reconnect(); // per loss: one outage does not slow the next recovery
    while (!stop.isDone()) {
      try {
        Registration r = register(client, keys, opt);
        if (r != null) return r; // else expired before we registered: a fresh lease at once
      } catch (Failure f) {
        if (f.kind == Failure.Kind.REFUSED) throw f;
        metrics.etcdError("register");
        Duration d = backoff.after(Duration.ZERO);
        CompletableFuture.anyOf(
                stop,
                new CompletableFuture<>()
                    .completeOnTimeout(null, d.toMillis(), TimeUnit.MILLISECONDS))
            .join();
      }
    }
    return null;
  }

  /** A new lease with our key on it; null if the lease expired before the key was put. */
  private static Registration register(Client client, Keys keys, Daemon.Options opt) {
    Session s = Session.open(client, opt.ttlSeconds(), opt.dialTimeout());
    ByteSequence key = Etcd.bytes(keys.daemons() + Keys.leaseHex(s.lease()));
    String me =
        Table.registration(
            Holder.self(List.of("conch", "daemon"), s.ttl(), s.lease()), opt.maxLateness());
    try {
      long rev =
          client
              .getKVClient()
              .put(key, Etcd.bytes(me), PutOption.builder().withLeaseId(s.lease()).build())
              .orTimeout(opt.dialTimeout().toMillis(), TimeUnit.MILLISECONDS)
              .join()
              .getHeader()
              .getRevision();
      KeyWaits.deleted(client, key, rev + 1)
          .thenRun(() -> s.lose("its key under daemons/ was deleted"));
      return new Registration(s, new CompletableFuture<>());
    } catch (RuntimeException e) {
      s.close();
      if (Etcd.leaseNotFound(e)) return null;
      throw Etcd.failure(e, "registering the daemon");
    }
  }
}
