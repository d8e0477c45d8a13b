package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** conch sema end to end (contract section 7): real etcd, real wrapper processes. */
class SemaIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  /** A contender whose command announces itself in {@code up-<tag>} and runs until stopped. */
  static Conch.Run contender(Conch c, String tag, String... opts) {
    List<String> args = new ArrayList<>(List.of("sema", "s"));
    args.addAll(List.of(opts));
    args.addAll(
        List.of(
            "--", "bash", "-c", "echo $CONCH_REV > '" + c.file("up-" + tag) + "'; exec sleep 300"));
    int before = c.keys().size();
    Conch.Run r = c.start(args.toArray(String[]::new));
    ElectIT.awaitKeys(c, before + 1); // queued: the next contender's create revision is higher
    return r;
  }

  static boolean running(Conch c, String tag) {
    return Files.exists(c.file("up-" + tag));
  }

  static Conch.Run who(Conch c, String... more) {
    List<String> args = new ArrayList<>(List.of("sema", "s", "--who"));
    args.addAll(List.of(more));
    return c.run(args.toArray(String[]::new));
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
    Conch.awaitLines(c.file("up-b"), 1, 20_000);
    assertEquals(
        143, a.stop()); // the older holder leaves: the first waiter, not the second, is promoted
    long rev1 = Long.parseLong(Conch.awaitLines(c.file("up-w1"), 1, 20_000).get(0));
    assertFalse(running(c, "w2"), "only one slot was freed");
    assertTrue(
        rev1 > Long.parseLong(Conch.lines(c.file("up-b")).get(0)),
        "tokens increase in acquisition order");
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
    Conch.Run mid = contender(c, "mid", "--max", "1", "--timeout", "1h");
    Conch.Run w3 = contender(c, "w3", "--max", "1");
    Conch.awaitLines(c.file("up-h"), 1, 20_000);
    assertEquals(143, mid.stop(), "a waiter withdraws on SIGTERM");
    assertEquals(3, c.keys().size(), "exactly its key is gone: " + c.keys());
    assertEquals(143, h.stop());
    Conch.awaitLines(c.file("up-w1"), 1, 20_000);
    assertFalse(running(c, "w3"));
    assertEquals(143, w1.stop());
    Conch.awaitLines(c.file("up-w3"), 1, 20_000);
    assertFalse(running(c, "mid"), "the cancelled waiter never ran");
    assertEquals(143, w3.stop());
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
    long t0 = System.nanoTime();
    Conch.Run r =
        c.run("sema", "s", "--max", "1", "--nonblock", "--", "touch", c.file("ran").toString());
    long took = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(75, r.exit(0));
    assertTrue(took < 5_000, "no waiting, only the JVM's start: " + took + " ms");
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
    Conch.Run r = c.run("sema", "s", "--max", "1", "--timeout", "1s", "--", "true");
    assertEquals(75, r.exit(0));
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
  void badInputExitsSixtyFourAndWritesNothing() {
    Conch c = new Conch(etcd.endpoint());
    String[][] bad = {
      {"sema", "s", "--", "true"},
      {"sema", "s", "--max", "0", "--", "true"},
      {"sema", "s", "--max", "10001", "--", "true"},
      {"sema", "s", "--max", "two", "--", "true"},
      {"sema", "s/x", "--max", "1", "--", "true"},
      {"sema", "s", "--max", "1"},
    };
    for (String[] args : bad) {
      Conch.Run r = c.run(args);
      assertEquals(64, r.exit(0), String.join(" ", args) + ": " + r.stderr());
      assertEquals(1, r.stderr().strip().lines().count(), "one line: " + r.stderr());
    }
    assertEquals(List.of(), c.keys());
  }
}
