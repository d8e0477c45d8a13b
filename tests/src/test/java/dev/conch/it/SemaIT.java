package dev.conch.it;

import static dev.conch.it.support.Sema.holderPids;
import static dev.conch.it.support.Sema.queueScript;
import static dev.conch.it.support.Sema.who;
import static dev.conch.it.support.Shell.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.cli.ConnectionOptions;
import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.EtcdServer;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import dev.conch.it.support.Sema.Queued;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/** conch sema end to end (contract section 7): real etcd, real wrapper processes. */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // a lost wake-up fails the test instead of hanging it
@Execution(ExecutionMode.CONCURRENT)
// its tests run side by side: each has a prefix of its own, and most of each waits on leases
class SemaIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  /**
   * A contender whose command announces itself in {@code up-<tag>} and runs until stopped; returns
   * once it has queued, so the next contender's create revision is higher.
   */
  private static Queued queue(Conch c, String tag, String... opts) {
    return queueScript(c, "echo $CONCH_REV > '" + c.file("up-" + tag) + "'; exec sleep 300", opts);
  }

  private static Conch.Run contender(Conch c, String tag, String... opts) {
    return queue(c, tag, opts).run();
  }

  /** The CONCH_REV a contender's command started with, once it has. */
  private static long startedWith(Conch c, String tag) {
    return Long.parseLong(Conch.awaitLines(c.file("up-" + tag), 1, 20_000).get(0));
  }

  /**
   * Nothing announces that a command did not start: give a wrongly promoted second waiter time to.
   */
  private static void assertStaysIdle(Conch c, String tag) {
    Procs.nap(1_000);
    assertFalse(running(c, tag), tag + " started, but only one slot was freed");
  }

  private static List<String> without(List<String> keys, String key) {
    List<String> rest = new ArrayList<>(keys);
    assertTrue(rest.remove(key), key + " in " + keys);
    return rest;
  }

  private static boolean running(Conch c, String tag) {
    return Files.exists(c.file("up-" + tag));
  }

  @Test
  void nPlusOneContendersRunExactlyN() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run a = contender(c, "a", "--max", "2");
    Conch.Run b = contender(c, "b", "--max", "2");
    Conch.Run x = contender(c, "x", "--max", "2");
    Conch.awaitLines(c.file("up-a"), 1, 20_000);
    Conch.awaitLines(c.file("up-b"), 1, 20_000);
    Conch.Run w = who(c);
    assertEquals(0, w.exit(0));
    assertEquals(2, w.stdout().lines().filter(l -> l.startsWith("slot ")).count(), w.stdout());
    assertTrue(w.stdout().contains("waiting: 1"), w.stdout());
    assertFalse(running(c, "x"), "the third never started");
    for (Conch.Run r : List.of(a, b, x)) assertEquals(143, r.stop());
    assertEquals(List.of(), c.keys());
  }

  @Test
  void releasingOneSlotPromotesExactlyTheNextWaiterByRevision() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run a = contender(c, "a", "--max", "2");
    Conch.Run b = contender(c, "b", "--max", "2");
    Conch.Run w1 = contender(c, "w1", "--max", "2");
    Conch.Run w2 = contender(c, "w2", "--max", "2");
    long revB = startedWith(c, "b");
    assertEquals(
        143, a.stop()); // the older holder leaves: the first waiter, not the second, is promoted
    long rev1 = startedWith(c, "w1");
    assertStaysIdle(c, "w2");
    assertEquals(List.of(b.pid(), w1.pid()), holderPids(c), "who runs, in rank order");
    assertTrue(rev1 > revB, "tokens increase in acquisition order");
    assertTrue(who(c).stdout().contains("waiting: 1"));
    assertEquals(143, w1.stop());
    Conch.awaitLines(c.file("up-w2"), 1, 20_000);
    for (Conch.Run r : List.of(b, w2)) assertEquals(143, r.stop());
  }

  @Test
  void cancellingAWaiterInTheMiddleRemovesExactlyItAndKeepsTheOrder() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run h = contender(c, "h", "--max", "1");
    Conch.Run w1 = contender(c, "w1", "--max", "1");
    Queued mid = queue(c, "mid", "--max", "1", "--timeout", "1h");
    Conch.Run w3 = contender(c, "w3", "--max", "1");
    Conch.awaitLines(c.file("up-h"), 1, 20_000);
    List<String> before = c.keys();
    assertEquals(143, mid.run().stop(), "a waiter withdraws on SIGTERM");
    assertEquals(without(before, mid.key()), c.keys(), "exactly its key is gone");
    assertEquals(143, h.stop());
    Conch.awaitLines(c.file("up-w1"), 1, 20_000);
    assertFalse(running(c, "w3"));
    assertEquals(143, w1.stop());
    Conch.awaitLines(c.file("up-w3"), 1, 20_000);
    assertFalse(running(c, "mid"), "the cancelled waiter never ran");
    assertEquals(143, w3.stop());
    assertEquals(List.of(), c.keys());
  }

  /**
   * N=2: two hold, four wait; the second waiter times out. Its key alone goes, and each release
   * then starts exactly the next of the others by revision.
   */
  @Test
  void aWaiterTimingOutInTheMiddleRemovesExactlyItAndTheRestKeepTheirOrder() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run h1 = contender(c, "h1", "--max", "2");
    Conch.Run h2 = contender(c, "h2", "--max", "2");
    Conch.Run w1 = contender(c, "w1", "--max", "2");
    // long enough for two more wrappers to queue behind it on a loaded machine: with TLS, another
    // suite and the nightly invariants beside it, two JVM starts took more than 5 s
    Queued mid = queue(c, "mid", "--max", "2", "--timeout", "10s", "-v", "--log-format", "json");
    Conch.Run w3 = contender(c, "w3", "--max", "2");
    Conch.Run w4 = contender(c, "w4", "--max", "2");
    List<String> before = c.keys();
    assertEquals(6, before.size(), "all queued before mid's timeout: " + before);
    assertEquals(75, mid.run().exit(20_000), mid.run().stderr());
    long waited = Duration.between(mid.run().logged("queued"), Instant.now()).toMillis();
    assertTrue(waited >= 10_000, "gave up only after --timeout: " + waited + " ms");
    assertTrue(mid.run().stderr().contains("--timeout 10s"), mid.run().stderr());
    assertEquals(without(before, mid.key()), c.keys(), "exactly its key is gone");
    startedWith(c, "h2");
    assertEquals(143, h1.stop());
    long rev1 = startedWith(c, "w1");
    assertStaysIdle(c, "w3");
    assertEquals(143, h2.stop());
    long rev3 = startedWith(c, "w3");
    assertStaysIdle(c, "w4");
    assertEquals(143, w1.stop());
    long rev4 = startedWith(c, "w4");
    assertTrue(
        rev1 < rev3 && rev3 < rev4, "started in queue order: " + rev1 + ", " + rev3 + ", " + rev4);
    assertFalse(running(c, "mid"), "the waiter that gave up never ran");
    for (Conch.Run r : List.of(w3, w4)) assertEquals(143, r.stop());
    assertEquals(List.of(), c.keys());
  }

  @Test
  void mismatchedMaxLandsInASeparatePrefixAndWhoSaysSo() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run one = contender(c, "one", "--max", "1");
    Conch.Run two = contender(c, "two", "--max", "2");
    Conch.awaitLines(c.file("up-one"), 1, 20_000);
    Conch.awaitLines(c.file("up-two"), 1, 20_000); // does not share slots with --max 1
    List<String> keys = c.keys();
    assertTrue(
        keys.stream().anyMatch(k -> k.startsWith(c.prefix + "/v1/sema/s/1/")), keys.toString());
    assertTrue(
        keys.stream().anyMatch(k -> k.startsWith(c.prefix + "/v1/sema/s/2/")), keys.toString());
    Conch.Run w = who(c);
    assertEquals(0, w.exit(0));
    assertTrue(w.stderr().contains("disagree on --max (1, 2)"), w.stderr());
    for (Conch.Run r : List.of(one, two)) assertEquals(143, r.stop());
  }

  @Test
  void nonblockExitsSeventyFiveAtOnceAndLeavesNoKey() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run h = contender(c, "h", "--max", "1");
    Conch.awaitLines(c.file("up-h"), 1, 20_000);
    Conch.Run r =
        c.run(
            "sema",
            "s",
            "--max",
            "1",
            "--nonblock",
            "-v",
            "--log-format",
            "json",
            "--",
            "touch",
            c.file("ran").toString());
    long took = Duration.between(r.logged("queued"), Instant.now()).toMillis();
    assertEquals(75, r.exit(0));
    assertTrue(took < 1_000, "from queueing to its exit, well under 1 s: " + took + " ms");
    assertTrue(r.stderr().contains("not acquired: no free slot (--nonblock)"), r.stderr());
    assertFalse(Files.exists(c.file("ran")));
    assertEquals(1, c.keys().size());
    assertEquals(
        0,
        c.run("sema", "free", "--max", "1", "--nonblock", "--", "true").exit(0),
        "a free slot is taken at once");
    assertEquals(143, h.stop());
  }

  @Test
  void timeoutWithdrawsItsKeyAndExitsSeventyFive() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run h = contender(c, "h", "--max", "1");
    Conch.Run r =
        c.run(
            "sema",
            "s",
            "--max",
            "1",
            "--timeout",
            "1s",
            "-v",
            "--log-format",
            "json",
            "--",
            "true");
    long waited = Duration.between(r.logged("queued"), Instant.now()).toMillis();
    assertEquals(75, r.exit(0));
    assertTrue(waited >= 1_000, "gave up only after --timeout: " + waited + " ms");
    assertTrue(r.stderr().contains("--timeout 1s"), r.stderr());
    assertEquals(1, c.keys().size(), "the waiter's key is gone");
    assertEquals(143, h.stop());
  }

  @Test
  void leaseLossWhileHoldingKillsAndExitsSeventy() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run h = contender(c, "h", "--max", "3", "--kill-after", "500ms");
    Conch.awaitLines(c.file("up-h"), 1, 20_000);
    String key = c.keys().get(0);
    assertEquals(
        0,
        Etcdctl.run(etcd.endpoint(), "lease", "revoke", key.substring(key.lastIndexOf('/') + 1))
            .code());
    assertEquals(70, h.exit(15_000));
    assertTrue(h.stderr().contains("lease lost"), h.stderr());
  }

  @Test
  void whoOnAnEmptySemaphoreExitsOne() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run w = who(c);
    assertEquals(1, w.exit(0));
    assertEquals("", w.stdout());
  }

  @Test
  void whoJsonListsHoldersInRankOrderAndCountsWaiters() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run a = contender(c, "a", "--max", "1");
    Conch.Run b = contender(c, "b", "--max", "1");
    Conch.Run w = who(c, "--json");
    assertEquals(0, w.exit(0));
    String out = w.stdout();
    assertTrue(
        out.startsWith("{\"name\":\"s\",\"max\":1,\"holders\":[{")
            && out.contains("\"pid\":" + a.pid())
            && out.strip().endsWith("\"waiters\":1}"),
        out);
    for (Conch.Run r : List.of(a, b)) assertEquals(143, r.stop());
  }

  @Test
  void aCommandMayRunConchItselfOnTheSameConnection() throws Exception {
    // a cron job or a holder that takes another lock: inside, CONCH_KEY is the outer holder's key
    // (contract section 4), never the TLS key file of section 2, which travels as CONCH_TLS_KEY
    // CONCH_PASSWORD never reaches a command: with authentication the inner conch has a file
    Conch c = new Conch(etcd.endpoint());
    Path seen = c.file("seen");
    String password = EtcdServer.conchEnv(etcd.endpoint()).get(ConnectionOptions.PASSWORD_ENV);
    String passwordFile = "";
    if (password != null) {
      Files.writeString(c.file("password"), password);
      passwordFile = " --password-file " + quote(c.file("password"));
    }
    String inner =
        "java -cp "
            + quote(Conch.classpath())
            + " conch elect inner"
            + passwordFile
            + " -- sh -c "
            + quote("echo \"$CONCH_TOOL $CONCH_KEY\" > " + quote(seen));
    Conch.Run r = c.run("sema", "outer", "--max", "1", "--", "bash", "-c", inner);
    assertEquals(0, r.exit(0), "the inner conch connected and ran: " + r.stderr());
    String[] got = Conch.lines(seen).get(0).split(" ");
    assertEquals("elect", got[0]);
    assertTrue(
        got[1].startsWith(c.prefix + "/v1/elect/inner/"), "the inner holder's own key: " + got[1]);
    assertEquals(List.of(), c.keys(), "both released");
  }

  @Test
  void badInputExitsSixtyFourAndWritesNothing() {
    Conch c = new Conch(etcd.endpoint());
    String[][] bad = {
      {"sema", "s", "--", "true"},
      {"sema", "s", "--max", "0", "--", "true"},
      {"sema", "s", "--max", "10001", "--", "true"},
      {"sema", "s", "--max", "two", "--", "true"},
      {"sema", "s/x", "--max", "1", "--", "true"},
      {"sema", "s", "--max", "1"},
      {"sema", "s", "--max", "1", "--restart", "--", "true"}, // elect's, not sema's
    };
    for (String[] args : bad) {
      Conch.Run r = c.run(args);
      assertEquals(64, r.exit(0), String.join(" ", args) + ": " + r.stderr());
      assertEquals(1, r.stderr().strip().lines().count(), "one line: " + r.stderr());
    }
    assertEquals(List.of(), c.keys());
  }
}
