package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Etcdctl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * G12, any two 1.x releases interoperate: keys written by "another release" (etcdctl writing the v1
 * layout of contract section 3 by hand, with a different version and fields this release does not
 * know) are honoured exactly like our own, and what we write is what the layout says.
 */
class CompatIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();
  static final String OTHER =
      "{\"host\":\"other-release\",\"pid\":4242,\"user\":\"ops\",\"cmd\":[\"x\"],\"started\":\"2027-01-01T00:00:00Z\","
          + "\"ttl\":30,\"lease\":\"%s\",\"version\":\"1.9.0\",\"zone\":\"eu-1\"}";

  /** A lease and a key on it, as another release would write them; returns the lease in hex. */
  static String foreignHolder(Conch c, String dir) {
    String out =
        Etcdctl.run(etcd.endpoint(), "lease", "grant", "30")
            .out(); // "lease 694d... granted with TTL(30s)"
    String lease = out.split(" ")[1];
    assertEquals(
        0,
        Etcdctl.run(
                etcd.endpoint(),
                "put",
                "--lease=" + lease,
                c.prefix + dir + lease,
                String.format(OTHER, lease))
            .code());
    return lease;
  }

  @Test
  void electHonoursACandidateOfAnotherRelease() {
    Conch c = new Conch(etcd.endpoint());
    String lease = foreignHolder(c, "/v1/elect/o/");
    assertEquals(
        75,
        c.run("elect", "o", "--nonblock", "--", "true").exit(0),
        "the other release's candidate leads");
    Conch.Run who = c.run("elect", "o", "--who", "--json");
    assertTrue(
        who.stdout().contains("\"host\":\"other-release\"")
            && who.stdout().contains("\"version\":\"1.9.0\""),
        who.stdout());
    Path ran = c.file("ran");
    Conch.Run waiting = c.start("elect", "o", "--", "touch", ran.toString());
    c.awaitKeys(2);
    assertFalse(Files.exists(ran));
    Etcdctl.run(etcd.endpoint(), "lease", "revoke", lease);
    assertEquals(0, waiting.exit(20_000), "took over once the other release resigned");
    assertTrue(Files.exists(ran));
  }

  @Test
  void semaCountsContendersOfAnotherRelease() {
    Conch c = new Conch(etcd.endpoint());
    foreignHolder(c, "/v1/sema/s/2/");
    Conch.Run one = c.holding("sema", "s", "--max", "2");
    assertEquals(
        75,
        c.run("sema", "s", "--max", "2", "--nonblock", "--", "true").exit(0),
        "two slots: ours and theirs");
    Conch.Run who = c.run("sema", "s", "--who");
    assertTrue(
        who.stdout().contains("other-release") && who.stdout().contains("waiting: 0"),
        who.stdout());
    assertEquals(143, one.stop());
  }

  @Test
  void cronRunsAJobAndRespectsAClaimWrittenByAnotherRelease() throws Exception {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    String job =
        "{\"job\":\"j\",\"schedule\":\"@every 1s\",\"tz\":\"UTC\",\"overlap\":\"skip\",\"keep\":50,\"cmd\":[\"bash\",\"-c\","
            + "\"echo $CONCH_TICK >> '"
            + log
            + "'\"],\"added_by\":\"ops@elsewhere\",\"added\":\"2027-01-01T00:00:00Z\",\"priority\":\"high\"}";
    assertEquals(0, Etcdctl.run(etcd.endpoint(), "put", c.prefix + "/v1/cron/jobs/j", job).code());
    // another release's daemon has already claimed the tick 3 s from now
    long claimed = (Instant.now().toEpochMilli() / 1000 + 3) * 1000;
    String claim =
        "{\"tick\":\""
            + Instant.ofEpochMilli(claimed)
            + "\",\"state\":\"running\",\"host\":\"other-release\",\"daemon\":\"abc\",\"version\":\"1.9.0\"}";
    assertEquals(
        0,
        Etcdctl.run(
                etcd.endpoint(),
                "put",
                c.prefix + "/v1/cron/runs/j/" + String.format("%013d", claimed),
                claim)
            .code());
    Conch.Run d = c.start("daemon");
    List<String> ticks = Conch.awaitLines(log, 5, 30_000);
    assertEquals(0, d.stop());
    assertFalse(
        ticks.contains(Instant.ofEpochMilli(claimed).toString()),
        "the other release's claim is respected: " + ticks);
    assertTrue(
        Instant.parse(ticks.get(ticks.size() - 1)).toEpochMilli() > claimed,
        "ticks on both sides of it ran: " + ticks);
  }

  @Test
  void whatWeWriteIsTheVersionOneLayout() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run holder = c.holding("elect", "o");
    String key = c.keys().get(0);
    assertTrue(key.matches(java.util.regex.Pattern.quote(c.prefix) + "/v1/elect/o/[0-9a-f]+"), key);
    String value = Etcdctl.run(etcd.endpoint(), "get", key, "--print-value-only").out();
    for (String f : List.of("host", "pid", "user", "cmd", "started", "ttl", "lease", "version"))
      assertTrue(value.contains("\"" + f + "\":"), f + " in " + value);
    assertFalse(value.contains("\"rev\""), "rev is the key's create revision, never stored");
    assertEquals(143, holder.stop());
  }
}
