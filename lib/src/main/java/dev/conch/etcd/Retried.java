package dev.conch.etcd;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A request tried again until etcd answers: a leader killed or moved mid-request fails it, or
 * leaves the caller not knowing whether it landed, and a majority answers again within an election
 * or two. Only for requests safe to send twice: a transaction whose compare refuses a second
 * landing, and whose else-branch lets the caller recognise its own first one. Blocks the calling
 * thread, which is one of its own (a run's), pausing between tries.
 */
public final class Retried {
  /** Between tries: a few of etcd's heartbeats, well under its election timeout. */
  static final Duration PAUSE = Duration.ofMillis(250);

  private Retried() {}

  /**
   * The first answer of {@code request}, each try bounded by {@code timeout}; throws the last
   * failure once {@code giveUp} says so.
   */
  public static <T> T join(
      Supplier<CompletableFuture<T>> request, Duration timeout, BooleanSupplier giveUp) {
    while (true) {
      try {
        return request.get().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).join();
      } catch (CompletionException e) {
        if (giveUp.getAsBoolean()) throw e;
      }
      try {
        Thread.sleep(PAUSE.toMillis()); // a backoff between tries, not a poll of state
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CompletionException(e);
      }
    }
  }
}
