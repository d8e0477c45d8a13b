package dev.conch.proc;

import dev.conch.coord.Keys;
import dev.conch.etcd.Session;
import dev.conch.etcd.TlsKeyEnv;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One command run under a lease (contract section 4), the same for elect, sema and each cron run:
 * the child starts with the lease's deadline and each renewal moves its watchdog's; the lease's
 * loss sends SIGTERM to its group, and so does an optional run timeout; optional signal forwarding
 * passes conch's signals on. The watchdog sends SIGKILL after kill-after. What the caller says
 * about each is its own ({@link Hooks}); what became of the run is the {@link Outcome}.
 *
 * <p>Every decision is taken by the thread in {@link #await}, one event at a time, so the outcome
 * needs no shared state. Forwarded signals go from the JVM's signal thread straight to the group.
 */
public final class Supervisor {
  /**
   * The command's status (128+N for signal N), and whether the lease was lost or the timeout passed
   * while it ran.
   */
  public record Outcome(int exit, boolean lost, boolean timedOut) {}

  /** The caller's own lines, each said before the signal it announces is sent. */
  public interface Hooks {
    /** A signal to conch, about to be passed to the command's group. */
    default void forwarding(String signal) {}

    /**
     * The lease is lost ({@code why}); {@code running}: the command still runs and gets SIGTERM,
     * else it has ended (its watchdog acted on the deadline, or it ended by itself).
     */
    default void lost(String why, boolean running) {}

    /** The run's timeout passed; the command gets SIGTERM. */
    default void timedOut() {}
  }

  private final Session session;
  private final CompletableFuture<String> lost;
  private final Child child;
  private final Runnable unrenew;
  private final CompletableFuture<Void> timeout;
  private final Signals forward;
  private final Hooks hooks;

  private Supervisor(
      Session session,
      CompletableFuture<String> lost,
      Child child,
      Runnable unrenew,
      CompletableFuture<Void> timeout,
      Signals forward,
      Hooks hooks) {
    this.session = session;
    this.lost = lost;
    this.child = child;
    this.unrenew = unrenew;
    this.timeout = timeout;
    this.forward = forward;
    this.hooks = hooks;
  }

  /**
   * What to run: {@code cmd} with {@code env} added to ours, SIGKILL {@code killAfter} after
   * SIGTERM, and SIGTERM once it has run {@code timeout} (null: no limit); its output through
   * {@code tail} (null: it writes to our stdout and stderr itself).
   */
  public record Command(
      List<String> cmd, Map<String, String> env, Duration killAfter, Duration timeout, Tail tail) {
    /** Its watchdog, spawned ahead of the turn and waiting for the go (see {@link Child}). */
    public Child park() {
      return Child.park(cmd, env, killAfter, tail);
    }
  }

  /**
   * Starts {@code command} under {@code session}'s lease.
   *
   * @param lost when the lease counts as lost: {@link Session#lost()}, or a future its owner
   *     completes once it has said so (the daemon's one line comes before its runs' own)
   * @param forward the signals to pass on to the command's group, or null
   */
  public static Supervisor start(
      Session session,
      CompletableFuture<String> lost,
      Command command,
      Signals forward,
      Hooks hooks) {
    return start(session, lost, command, command.park(), forward, hooks);
  }

  /** The same, with {@code child} the watchdog {@code command.park()} gave, still parked. */
  public static Supervisor start(
      Session session,
      CompletableFuture<String> lost,
      Command command,
      Child child,
      Signals forward,
      Hooks hooks) {
    child.go(session.remaining());
    Runnable unrenew = session.onRenew(child::renew);
    // a keepalive acknowledged while the command was being started was told to nobody: without
    // this, the watchdog would act a renewal early, and the command's end not count as a loss
    child.renew(session.remaining());
    CompletableFuture<Void> timer = new CompletableFuture<>();
    if (command.timeout() != null)
      timer.completeOnTimeout(null, command.timeout().toMillis(), TimeUnit.MILLISECONDS);
    if (forward != null) {
      Consumer<String> pass =
          sig -> {
            hooks.forwarding(sig);
            child.signal(sig);
          };
      forward.onEach(pass);
      if (forward.first().isDone()) pass.accept(forward.first().join()); // came before the handler
    }
    return new Supervisor(session, lost, child, unrenew, timer, forward, hooks);
  }

  /**
   * What contract section 4 tells every command about its lease: the holder's key, whose create
   * revision is the fencing token; and the TLS key file under the name a conch inside the command
   * reads ({@link TlsKeyEnv}). Callers may add their own.
   */
  public static Map<String, String> env(
      String tool, String name, long rev, Session session, String key) {
    Map<String, String> env = new HashMap<>(TlsKeyEnv.forCommand(System.getenv()));
    env.put("CONCH_TOOL", tool);
    env.put("CONCH_NAME", name);
    env.put("CONCH_REV", Long.toString(rev));
    env.put("CONCH_LEASE", Keys.leaseHex(session.lease()));
    env.put(TlsKeyEnv.KEY, key);
    return env;
  }

  /**
   * Sends {@code signal} to the command's group for the caller's own reason; KILL after kill-after.
   */
  public void signal(String signal) {
    child.signal(signal);
  }

  /** Waits until nothing of the command's group is left. */
  public Outcome await() {
    CompletableFuture<Integer> exit = child.exit();
    boolean leaseLost = false;
    boolean timedOut = false;
    while (true) {
      // each event once: a handled one is replaced by the exit, which is awaited anyway
      CompletableFuture.anyOf(exit, leaseLost ? exit : lost, timedOut ? exit : timeout).join();
      if (exit.isDone()) break;
      if (!leaseLost && lost.isDone()) {
        leaseLost = true;
        hooks.lost(lost.join(), true);
      } else {
        timedOut = true;
        hooks.timedOut();
      }
      child.signal("TERM");
    }
    // a deadline that passed unrenewed is a loss too, even if nobody has noticed it yet
    if (!leaseLost && (lost.isDone() || session.expired())) {
      leaseLost = true;
      hooks.lost(lost.getNow("lease deadline passed"), false);
    }
    timeout.complete(null); // disarms it: a normal completion cancels its delayed task
    unrenew.run();
    if (forward != null) forward.onEach(s -> {});
    child.close();
    return new Outcome(exit.join(), leaseLost, timedOut);
  }
}
