package dev.conch.proc;

import dev.conch.base.Failure;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * SIGTERM, SIGINT and SIGHUP as a future, instead of the JVM's default of exiting at once: the
 * wrapper decides what a signal means (withdraw while waiting, forward while holding).
 *
 * <p>sun.misc.Signal (module jdk.unsupported) is the JDK's only signal API. It is reached
 * reflectively: javac's "internal proprietary API" warning cannot be suppressed, and the build
 * treats warnings as errors.
 */
public final class Signals {
  public static final Map<String, Integer> NUMBERS = Map.of("HUP", 1, "INT", 2, "TERM", 15);
  private final CompletableFuture<String> first = new CompletableFuture<>();
  private volatile Consumer<String> onEach = s -> {};

  private Signals() {}

  public static Signals install() {
    Signals s = new Signals();
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      Method getName = signal.getMethod("getName");
      Object onSignal =
          Proxy.newProxyInstance(
              Signals.class.getClassLoader(),
              new Class<?>[] {handler},
              (proxy, m, args) -> {
                if (!m.getName().equals("handle"))
                  return m.invoke(s, args); // equals, hashCode, toString
                String name = (String) getName.invoke(args[0]);
                s.first.complete(name);
                s.onEach.accept(name);
                return null;
              });
      Method handle = signal.getMethod("handle", signal, handler);
      for (String name : NUMBERS.keySet())
        handle.invoke(null, signal.getConstructor(String.class).newInstance(name), onSignal);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("this JVM has no sun.misc.Signal", e);
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

  /** Exit 128+N for the first signal N, conch's own: no command's status to pass on. */
  public Failure interrupted(String when) {
    String sig = first.join();
    return Failure.interrupted(NUMBERS.get(sig), "interrupted by SIG" + sig + " " + when);
  }
}
