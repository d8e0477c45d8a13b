package dev.conch.proc;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import sun.misc.Signal;

/**
 * SIGTERM, SIGINT and SIGHUP as a future, instead of the JVM's default of exiting at once: the wrapper
 * decides what a signal means (withdraw while waiting, forward while holding).
 */
public final class Signals {
  public static final Map<String, Integer> NUMBERS = Map.of("HUP", 1, "INT", 2, "TERM", 15);
  private final CompletableFuture<String> first = new CompletableFuture<>();
  private volatile Consumer<String> onEach = s -> {};

  private Signals() {}

  public static Signals install() {
    Signals s = new Signals();
    for (String name : NUMBERS.keySet()) {
      Signal.handle(new Signal(name), sig -> {
        s.first.complete(sig.getName());
        s.onEach.accept(sig.getName());
      });
    }
    return s;
  }

  /** The first signal received, by name (TERM, INT, HUP). */
  public CompletableFuture<String> first() {
    return first;
  }

  /** Also called for every later signal (forwarded to a running child). */
  public void onEach(Consumer<String> handler) {
    onEach = handler;
  }
}
