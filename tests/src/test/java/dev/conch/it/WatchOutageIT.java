package dev.conch.it;

import static dev.conch.it.support.Shell.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.cron.Run;
import dev.conch.it.support.Args;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Cron;
import dev.conch.it.support.EtcdServer;
import dev.conch.it.support.MemberOutage;
import dev.conch.it.support.Procs;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 15 item 1, watches that survive: a waiter (or a daemon) whose only endpoint is member
 * {@link #M} of a three-member cluster loses it, stopped, killed or frozen (connections open and
 * silent), for {@link #OUTAGE_MS}, while its predecessor leaves (or a job is added) through the
 * other members and the history it watched from is compacted. Once the member answers again the
 * waiter takes its turn at once, never while a predecessor's command runs; the daemon runs the job.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class WatchOutageIT {
  /** The waiter's member: a follower, so that its outage costs the others no election. */
  static final int M = 2;

  /** Long enough for gRPC's reconnect backoff to have grown past a second (1, 1.6, 2.6 s ...). */
  static final long OUTAGE_MS = 5_000;

  /** The lock-delay the waiters use: a watch that failed leaves how the key went unknown. */
  static final long LOCK_DELAY_MS = 1_500;

  /** How often a client that reaches no endpoint dials again (the lib's Redial). */
  static final long REDIAL_MS = 500;

  /**
   * Scheduling latency on a loaded 2-core machine: the waiter's re-read, etcd's replay of the
   * history for the lock-delay, bash starting the command and logging.
   */
  static final long LATENCY_MS = 1_500;

  /** From the member answering again to a waiter's turn whose lease outlived the outage. */
  static final long TURN_MS = REDIAL_MS + LATENCY_MS;

  static EtcdServer cluster;
  static MemberOutage outage;

  @BeforeAll
  static void up() {
    cluster = EtcdServer.start(3, false);
    outage = new MemberOutage(cluster, M);
    Conch.classpath();
  }

  @AfterAll
  static void down() {
    cluster.close();
  }

  /** Member 0 leads, so M's outage costs no election (a thawed M may have called one). */
  @BeforeEach
  void follower() {
    cluster.lead(0);
  }

  /** Brings member M back from whatever a failed test left it in, for the next test. */
  @AfterEach
  void heal() {
    outage.heal();
  }

  /**
   * W's lease outlives the outage: the same key takes its turn (a lock-delay later if its watch
   * broke).
   */
  @ParameterizedTest
  @ValueSource(strings = {"stop", "freeze"})
  void electWaiterTakesItsTurnAtOnceWhenItsMemberAnswersAgain(String how) {
    Drill d = elect(how, "10s");
    atOnce("elect, member " + how + ", W's lease alive", d, TURN_MS);
    assertFalse(d.w.stderr().contains("\"lost\""), "W kept its place: " + d.w.stderr());
    assertEquals(0, d.w.stop(), d.w.stderr());
  }

  /** W's lease expires during the outage: it queues again and, nobody ahead, runs at once. */
  @Test
  void electWaiterWhoseLeaseExpiredQueuesAgainAndRuns() {
    Drill d = elect("kill", "3s");
    // its first try to queue again waits for etcd (up to the dial timeout, longer than the rest of
    // the outage); a failed try would add the wrapper's 1 s pause
    atOnce("elect, member killed, W's 3s lease lost", d, 1_000 + TURN_MS);
    assertTrue(d.w.stderr().contains("\"lost\""), "W lost its place: " + d.w.stderr());
    assertEquals(0, d.w.stop(), d.w.stderr());
  }

  /**
   * sema --max 2: H1 and H2 hold, W, the first waiter, watches the whole prefix through member M.
   * H1 leaves during the outage; W takes its slot once M answers, beside H2.
   */
  @Test
  void semaFirstWaiterTakesTheFreedSlotWhenItsMemberAnswersAgain() {
    Conch c = new Conch(cluster.endpointsBut(M));
    Path log = c.file("log");
    List<String> sema = List.of("sema", "s", "--max", "2", "--kill-after", "500ms");
    Conch.Run h1 = c.start(Args.array(sema, logged("H1", log)));
    c.awaitKeys(1);
    c.start(Args.array(sema, logged("H2", log)));
    Conch.awaitLines(log, 2, 20_000);
    Conch.Run w = waiter(c, Args.cat(sema, List.of("--ttl", "10s")), log);
    Drill d =
        new Drill(
            w,
            log,
            outage.during("kill", OUTAGE_MS, () -> assertEquals(0, h1.stop(), h1.stderr())));
    atOnce("sema, member killed", d, TURN_MS);
    assertFalse(Conch.lines(log).stream().anyMatch(l -> l.startsWith("end H2")), "H2 holds on");
    assertEquals(0, w.stop(), w.stderr());
  }

  /**
   * conchd's only endpoint is member M; a job added while M is down, and the history compacted,
   * runs once M answers, each tick once.
   */
  @Test
  void aJobAddedWhileTheDaemonsMemberWasDownRuns() {
    Conch c = new Conch(cluster.endpointsBut(M));
    Path log = c.file("log");
    Conch.Run d = c.via(cluster.member(M)).start("daemon", "--ttl", "10s");
    Cron.awaitUp(List.of(d));
    MemberOutage.Back back =
        outage.during(
            "stop",
            OUTAGE_MS,
            () ->
                Cron.add(
                    c,
                    "j",
                    Args.array(List.of("--schedule", "@every 1s"), Cron.logging(log, "0"))));
    List<String> runs = Conch.awaitLines(log, 3, 20_000);
    long first = Long.parseLong(runs.get(0).split(" ")[1]);
    long waited = (first - back.answering()) / 1_000_000;
    // the redial, the table's read again (a failed read is tried every second), the next tick
    long bound = REDIAL_MS + 1_000 + 1_000 + LATENCY_MS;
    System.out.printf(
        "WatchOutageIT cron, member stopped %d ms: %s -> the job's first run %d ms (bound %d)%n",
        OUTAGE_MS, back, waited, bound);
    assertTrue(waited <= bound, "first run " + waited + " ms after: " + d.stderr());
    List<String> ticks = runs.stream().map(l -> l.split(" ")[0]).toList();
    assertEquals(ticks.size(), ticks.stream().distinct().count(), "each tick once: " + runs);
    long tick = Instant.parse(ticks.get(0)).toEpochMilli();
    assertEquals(Run.OK, Cron.awaitResult(c, "j", tick).state(), "its record: " + d.stderr());
    assertFalse(d.stderr().contains("lease lost"), "the daemon kept its lease: " + d.stderr());
    assertEquals(0, d.stop(), d.stderr());
  }

  /** A waiter W, the log its and its predecessors' commands write, and when M came back. */
  private record Drill(Conch.Run w, Path log, MemberOutage.Back back) {}

  /**
   * H holds office o through the members but M; W waits behind it through M alone, its lease {@code
   * waiterTtl}; H leaves while M is out ({@code how}).
   */
  private static Drill elect(String how, String waiterTtl) {
    Conch c = new Conch(cluster.endpointsBut(M));
    Path log = c.file("log");
    Conch.Run h = c.start(Args.array(List.of("elect", "o"), logged("H", log)));
    Conch.awaitLines(log, 1, 20_000);
    Conch.Run w =
        waiter(c, List.of("elect", "o", "--ttl", waiterTtl, "--kill-after", "500ms"), log);
    return new Drill(
        w, log, outage.during(how, OUTAGE_MS, () -> assertEquals(0, h.stop(), h.stderr())));
  }

  /**
   * Prints, and bounds, how long after member M answered again W's turn came ({@code turnBound})
   * and its command started (the lock-delay later if W waits one); W started after every other
   * command's end.
   */
  private static void atOnce(String what, Drill d, long turnBound) {
    long answering = d.back.answering();
    long command = started(d.log, "W", answering);
    boolean delayed = d.w.stderr().contains("\"event\":\"lock-delay\"");
    long turn =
        d.w.logged(delayed ? "lock-delay" : "acquired").toEpochMilli() - answering / 1_000_000;
    long commandBound = turnBound + (delayed ? LOCK_DELAY_MS : 0);
    System.out.printf(
        "WatchOutageIT %s, %d ms outage: %s -> W's turn %d ms (bound %d), its command %d ms"
            + " (bound %d)%n",
        what, OUTAGE_MS, d.back, turn, turnBound, command, commandBound);
    assertTrue(turn <= turnBound, what + ": W's turn " + turn + " ms after: " + d.w.stderr());
    assertTrue(command <= commandBound, what + ": W's command " + command + " ms after");
  }

  /** W, its only endpoint member M, queued behind what holds; with -v in JSON. */
  private static Conch.Run waiter(Conch c, List<String> opts, Path log) {
    int queued = c.keys().size();
    Conch.Run w =
        c.via(cluster.member(M))
            .start(
                Args.array(
                    Args.cat(opts, List.of("-v", "--log-format", "json")), logged("W", log)));
    c.awaitKeys(queued + 1);
    return w;
  }

  /**
   * Waits for {@code id}'s command; asserts that it started after every other command's end;
   * returns how long after {@code from} (ns) it started, in ms.
   */
  private static long started(Path log, String id, long from) {
    long end = System.nanoTime() + 30_000_000_000L;
    long start;
    while ((start = at(Conch.lines(log), "start " + id)) < 0) {
      assertTrue(System.nanoTime() < end, id + " never started: " + Conch.lines(log));
      Procs.nap(20); // the command logs to a file
    }
    for (String l : Conch.lines(log))
      if (l.startsWith("end "))
        assertTrue(
            Long.parseLong(l.split(" ")[2]) < start,
            id + " started while a predecessor's command ran: " + Conch.lines(log));
    return (start - from) / 1_000_000;
  }

  /** The time (ns) on the first line starting with {@code what}, or -1. */
  private static long at(List<String> lines, String what) {
    return lines.stream()
        .filter(l -> l.startsWith(what + " "))
        .mapToLong(l -> Long.parseLong(l.split(" ")[2]))
        .findFirst()
        .orElse(-1);
  }

  /**
   * A command that logs "start ID NANOS", and "end ID NANOS" on SIGTERM, then exits 0; it runs
   * until then.
   */
  private static List<String> logged(String id, Path log) {
    String say = "echo \"%s " + id + " $(date +%%s%%N)\" >> " + quote(log);
    return List.of(
        "--",
        "bash",
        "-c",
        say.formatted("start")
            + "; trap '"
            + say.formatted("end").replace("'", "'\\''")
            + "; exit 0' TERM; sleep 300 & wait");
  }
}
