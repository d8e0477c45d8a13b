package dev.conch.it;

import static dev.conch.it.support.Cron.add;
import static dev.conch.it.support.Cron.assertEveryTickOnce;
import static dev.conch.it.support.Cron.awaitRuns;
import static dev.conch.it.support.Cron.awaitTick;
import static dev.conch.it.support.Cron.awaitUp;
import static dev.conch.it.support.Cron.daemons;
import static dev.conch.it.support.Cron.logging;
import static dev.conch.it.support.Cron.runs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.base.Json;
import dev.conch.cron.Run;
import dev.conch.it.support.Args;
import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Procs;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * {@code cron pause}, {@code cron resume} and editing a job (contract section 8b) through real
 * daemons: nothing claimed or recorded in a pause, no backlog after it, and an edit never runs a
 * tick from before it.
 */
@Execution(ExecutionMode.CONCURRENT) // each test has a prefix and daemons of its own
class CronPauseIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  /** The one job of {@code cron ls JOB --json}, checked against README's JSON tables. */
  static Map<?, ?> shown(Conch c, String job) throws IOException {
    Conch.Run ls = c.run("cron", "ls", job, "--json");
    assertEquals(0, ls.exit(0), ls.stderr());
    JsonIT.check("cron", JsonIT.JSON.readTree(ls.stdout()));
    Map<?, ?> all = Json.read(ls.stdout(), Map.class).orElseThrow();
    return (Map<?, ?>) ((List<?>) all.get("jobs")).get(0);
  }

  static void ok(Conch c, String... args) {
    Conch.Run r = c.run(args);
    assertEquals(0, r.exit(0), r.stderr());
  }

  @Test
  void pausedThroughTicksNothingRunsOrIsRecordedAndResumeHasNoBacklog() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    // runs of 1.5 s every second: a run is always going when the pause lands; it must finish
    String[] spec = {"--schedule", "@every 1s", "--keep", "100", "--overlap", "allow"};
    add(c, "p", Args.array(List.of(spec), logging(log, "1.5")));
    List<Conch.Run> ds = daemons(c, 2, "--grace", "2s");
    awaitTick(log, awaitUp(ds) + 1000, 30_000);
    ok(c, "cron", "pause", "p");
    long paused = System.currentTimeMillis();
    Conch.Run again = c.run("cron", "pause", "p");
    assertEquals(0, again.exit(0), "idempotent: " + again.stderr());
    assertTrue(again.stderr().contains("paused already"), again.stderr());
    add(c, "p", Args.array(List.of(spec), logging(log, "1.5"))); // an edit keeps it paused
    Map<?, ?> p = shown(c, "p");
    assertEquals(true, p.get("paused"), p.toString());
    assertTrue(((String) p.get("paused_by")).contains("@"), p.toString());
    assertTrue(!p.containsKey("next"), "a paused job has no next tick: " + p);
    // the runs going when the pause landed finish and keep their results
    awaitRuns(c, "p", r -> r.values().stream().noneMatch(x -> x.state().equals(Run.RUNNING)));
    Procs.nap(3000); // three ticks of the schedule pass in the pause
    long resumeAsked = System.currentTimeMillis();
    ok(c, "cron", "resume", "p");
    long resumed = System.currentTimeMillis();
    ok(c, "cron", "resume", "p"); // idempotent
    assertEquals(false, shown(c, "p").get("paused"));
    awaitTick(log, resumed + 3000, 30_000);
    for (Conch.Run d : ds) assertEquals(0, d.stop(), d.stderr());
    Map<Long, Run> records = runs(c, "p");
    List<Long> inPause =
        records.keySet().stream().filter(t -> t > paused && t < resumeAsked).toList();
    assertEquals(List.of(), inPause, "no record in the pause, nor after it: " + records);
    long firstAfter = records.keySet().stream().filter(t -> t >= resumeAsked).findFirst().get();
    System.out.printf(
        "pause: last tick %d ms before the pause returned; resume: first tick %d ms after it was"
            + " asked, %d ms after it returned%n",
        paused - records.keySet().stream().filter(t -> t <= paused).reduce((a, b) -> b).get(),
        firstAfter - resumeAsked,
        firstAfter - resumed);
    // the schedule's 1 s plus 1 s for the daemons to hear of the resume on a loaded machine
    assertTrue(firstAfter - resumed <= 2000, "it runs again from the next tick after the resume");
    assertEveryTickOnce(c, "p", log, resumed + 1000, resumed + 3000);
    assertEquals(1, c.run("cron", "pause", "nosuch").exit(0), "unknown JOB: 1");
    assertEquals(1, c.run("cron", "resume", "nosuch").exit(0), "unknown JOB: 1");
    ok(c, "cron", "pause", "p");
    ok(c, "cron", "rm", "p"); // removes a paused job too
    assertEquals(1, c.run("cron", "ls", "p").exit(0));
  }

  @Test
  void anEditTakesEffectFromTheNextTickAfterItNeverBefore() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    add(c, "e", Args.array(List.of("--schedule", "0 0 1 1 *"), logging(log, "0")));
    List<Conch.Run> ds = daemons(c, 1);
    awaitUp(ds);
    // every second matches @every 1s: the whole second just before the edit would have matched
    add(c, "e", Args.array(List.of("--schedule", "@every 1s", "--keep", "100"), logging(log, "0")));
    long added = Instant.parse((String) shown(c, "e").get("added")).toEpochMilli();
    awaitTick(log, added + 2000, 30_000);
    for (Conch.Run d : ds) assertEquals(0, d.stop(), d.stderr());
    Map<Long, Run> records = runs(c, "e");
    long first = records.keySet().iterator().next();
    System.out.printf(
        "edit: first tick of the new schedule %d ms after the edit (the one before it: %d ms"
            + " before)%n",
        first - added, added % 1000);
    assertTrue(first > added, "no tick from before the edit: " + records + ", edit at " + added);
    assertTrue(first <= added + 2000, "the next tick after the edit ran: " + records);
  }
}
