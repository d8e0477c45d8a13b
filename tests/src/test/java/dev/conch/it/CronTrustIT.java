package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.cron.Run;
import dev.conch.it.support.Args;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Cron;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The cron trust model (docs/security.md) on etcd with TLS and authentication: daemons need only
 * read access to the job table, editors need write access to it, and a host refuses commands
 * outside its --allow list, leaving them to daemons that allow them.
 */
class CronTrustIT {
  @RegisterExtension static final EtcdFixture etcd = EtcdFixture.secure();
  static final Pattern LEASE = Pattern.compile(" up lease=([0-9a-f]+) ");

  static void ctl(String... args) {
    Procs.Result r = Etcdctl.run(etcd.endpoint(), args);
    assertEquals(0, r.code(), "etcdctl " + String.join(" ", args) + ": " + r.err());
  }

  /**
   * A user with a role of its own, holding {@code grants} (permission, key prefix) pairs; the same
   * commands as in docs/security.md.
   */
  static Conch as(Conch c, String user, String... grants) {
    String password = user + "-pw-" + ProcessHandle.current().pid();
    ctl("user", "add", user + ":" + password);
    ctl("role", "add", user);
    for (int i = 0; i < grants.length; i += 2)
      ctl("role", "grant-permission", user, "--prefix=true", grants[i], grants[i + 1]);
    ctl("user", "grant-role", user, user);
    Conch as =
        new Conch(etcd.endpoint())
            .env("CONCH_PREFIX", c.prefix)
            .env("CONCH_USER", user)
            .env("CONCH_PASSWORD", password);
    return as;
  }

  static String lease(Conch.Run daemon) {
    long end = System.nanoTime() + 30_000_000_000L;
    while (System.nanoTime() < end) {
      Matcher m = LEASE.matcher(daemon.stderr());
      if (m.find()) return m.group(1);
      Procs.nap(50); // the daemon says its lease on stderr, once registered
    }
    throw new AssertionError("daemon did not come up: " + daemon.stderr());
  }

  @Test
  void aDaemonThatMayOnlyReadTheJobTableRunsWhatAnEditorAdds() {
    Conch c = new Conch(etcd.endpoint());
    String v1 = c.prefix + "/v1/";
    Conch editor =
        as(
            c,
            "editor" + c.prefix.replace('/', '-'),
            "readwrite",
            v1 + "cron/jobs/",
            "readwrite",
            v1 + "cron/paused/",
            "readwrite",
            v1 + "cron/requests/",
            "readwrite",
            v1 + "cron/kills/",
            "read",
            v1 + "cron/runs/",
            "read",
            v1 + "daemons/");
    Conch conchd =
        as(
            c,
            "conchd" + c.prefix.replace('/', '-'),
            "read",
            v1 + "cron/jobs/",
            "read",
            v1 + "cron/paused/",
            "read",
            v1 + "cron/kills/",
            "readwrite",
            v1 + "cron/requests/",
            "readwrite",
            v1 + "cron/runs/",
            "readwrite",
            v1 + "daemons/");
    Path log = c.file("log");
    Cron.add(editor, "j", Args.array(List.of("--schedule", "@every 1s"), Cron.logging(log, "0")));
    for (String[] edit :
        List.of(
            new String[] {"cron", "add", "evil", "--schedule", "@every 1s", "--", "id"},
            new String[] {"cron", "rm", "j"},
            new String[] {"cron", "pause", "j"})) {
      Conch.Run r = conchd.run(edit);
      assertEquals(77, r.exit(0), "a daemon's role cannot edit the table: " + r.stderr());
      assertEquals(1, r.stderr().lines().count(), r.stderr());
      assertTrue(r.stderr().contains("permission denied"), r.stderr());
    }
    Conch.Run daemon = conchd.start("daemon");
    Conch.awaitLines(log, 2, 30_000);
    assertEquals(0, daemon.stop(), daemon.stderr());
    Map<Long, Run> runs = Cron.runs(c, "j");
    assertTrue(
        runs.values().stream().anyMatch(r -> Run.OK.equals(r.state())),
        "ran and recorded: " + runs);
    Conch.Run ls = editor.run("cron", "ls", "j");
    assertEquals(0, ls.exit(0), ls.stderr());
    assertTrue(
        ls.stdout().contains("added by ") && ls.stdout().contains("(etcd user editor"),
        "who added it, as etcd knew them: " + ls.stdout());
    Conch.Run noDaemon = editor.start("daemon");
    assertEquals(
        77,
        noDaemon.exit(30_000),
        "an editor's role cannot register a daemon: " + noDaemon.stderr());
    assertEquals(1, noDaemon.stderr().lines().count(), noDaemon.stderr());
  }

  @Test
  void aDaemonLeavesJobsItDoesNotAllowToDaemonsThatAllowThem() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    Cron.add(
        c,
        "j",
        Args.array(List.of("--schedule", "@every 1s", "--keep", "100"), Cron.logging(log, "0")));
    Conch.Run strict = c.start("daemon", "--allow", "/opt/jobs/*", "--allow", "/usr/bin/true");
    Conch.Run open = c.start("daemon");
    String openLease = lease(open);
    lease(strict);
    Conch.awaitLines(log, 4, 30_000);
    assertEquals(0, strict.stop(), strict.stderr());
    assertEquals(0, open.stop(), open.stderr());
    Map<Long, Run> runs = Cron.runs(c, "j");
    assertTrue(runs.size() >= 4, runs.toString());
    runs.values()
        .forEach(
            r ->
                assertEquals(
                    openLease,
                    r.daemon(),
                    "every tick claimed by the daemon that allows it: " + runs));
    assertEquals(
        1,
        strict.stderr().lines().filter(l -> l.contains("not running job j")).count(),
        "said once per job version: " + strict.stderr());
    assertTrue(strict.stderr().contains("matches no --allow pattern"), strict.stderr());
  }

  @Test
  void aDaemonAloneRefusesWhatItDoesNotAllowAndRunsItOnceAllowed() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    Cron.add(c, "j", Args.array(List.of("--schedule", "@every 1s"), Cron.logging(log, "0")));
    Conch.Run strict = c.start("daemon", "--allow", "/bin/echo *");
    long end = System.nanoTime() + 30_000_000_000L;
    while (!strict.stderr().contains("not running job j") && System.nanoTime() < end)
      Procs.nap(50); // its one line says so
    Procs.nap(3_000); // three ticks in which nothing may run
    assertEquals(Map.of(), Cron.runs(c, "j"), "no tick claimed");
    assertEquals(List.of(), Conch.lines(log));
    Cron.add(c, "j", "--schedule", "@every 1s", "--", "/bin/echo", "allowed");
    long until = System.nanoTime() + 30_000_000_000L;
    while (Cron.runs(c, "j").isEmpty() && System.nanoTime() < until)
      Procs.nap(100); // the daemon records the run
    assertEquals(0, strict.stop(), strict.stderr());
    assertTrue(
        Cron.runs(c, "j").size() >= 1, "the new version is allowed and runs: " + strict.stderr());
    assertEquals(
        1,
        strict.stderr().lines().filter(l -> l.contains("not running job j")).count(),
        strict.stderr());
  }
}
