package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * conch against an etcd with authentication enabled: user alice may read and write only under
 * /allowed/. Refusals exit 77 with one line and never run the command; the password reaches neither
 * the child nor etcd.
 */
class AuthIT {
  static final String ROOT_AUTH = "root:rootpw-" + ProcessHandle.current().pid();
  static final String PASSWORD = "alice-Pw-" + Long.toHexString(System.nanoTime());
  static final String WRONG = "not-" + PASSWORD;

  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  @BeforeAll
  static void up() {
    ctl("user", "add", ROOT_AUTH);
    ctl("user", "grant-role", "root", "root");
    ctl("user", "add", "alice:" + PASSWORD);
    ctl("role", "add", "conch");
    ctl("role", "grant-permission", "conch", "--prefix=true", "readwrite", "/allowed/");
    ctl("user", "grant-role", "alice", "conch");
    ctl("auth", "enable");
    assertEquals(
        0,
        Etcdctl.run(etcd.endpoint(), "--user", "alice:" + PASSWORD, "put", "/allowed/probe", "x")
            .code(),
        "alice may write /allowed/");
    assertTrue(
        Etcdctl.run(etcd.endpoint(), "get", "/allowed/probe").code() != 0,
        "auth is on: anonymous reads refused");
  }

  static void ctl(String... args) {
    Procs.Result r = Etcdctl.run(etcd.endpoint(), args);
    assertEquals(0, r.code(), "etcdctl " + String.join(" ", args) + ": " + r.err());
  }

  /** alice, with the password in CONCH_PASSWORD, under a prefix of her own below {@code top}. */
  static Conch alice(String top, String password) {
    Conch c = new Conch(etcd.endpoint());
    c.env("CONCH_USER", "alice").env("CONCH_PREFIX", top + c.prefix);
    return password == null ? c : c.env("CONCH_PASSWORD", password);
  }

  /** Keys under the Conch instance's prefix below {@code top}, read as root. */
  static List<String> keys(Conch c, String top) {
    Procs.Result r =
        Etcdctl.run(
            etcd.endpoint(),
            "--user",
            ROOT_AUTH,
            "get",
            "--prefix",
            "--keys-only",
            top + c.prefix + "/");
    assertEquals(0, r.code(), r.err());
    String out = r.out().strip();
    return out.isEmpty() ? List.of() : List.of(out.split("\\R+"));
  }

  static void assertOneRefusal(Conch.Run r, String expected) {
    List<String> lines = r.stderr().lines().toList();
    assertEquals(1, lines.size(), "one line on stderr: " + r.stderr());
    assertTrue(
        lines
            .get(0)
            .matches("\\S+Z conch elect o: error exit=77 host=\\S+ pid=\\d+: etcd refused.*"),
        lines.get(0));
    assertTrue(lines.get(0).contains(expected), lines.get(0));
  }

  @Test
  void rightUserAndPasswordRuns() {
    Conch c = alice("/allowed", PASSWORD);
    Conch.Run r = c.run("elect", "o", "--", "sh", "-c", "echo $CONCH_TOOL");
    assertEquals(0, r.exit(0), r.stderr());
    assertEquals("elect\n", r.stdout());
    assertEquals(List.of(), keys(c, "/allowed"), "released");
  }

  @Test
  void wrongPasswordIsRefusedWithSeventySevenAndNeverRuns() {
    Conch c = alice("/allowed", WRONG);
    Path ran = c.file("ran");
    long t0 = System.nanoTime();
    // a long dial timeout: a refusal must be reported as such, not waited out as "unreachable"
    Conch.Run r = c.run("elect", "o", "--dial-timeout", "90s", "--", "touch", ran.toString());
    long took = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(77, r.exit(0), r.stderr());
    assertTrue(took < 45_000, "refused promptly, not after the dial timeout: " + took + " ms");
    assertOneRefusal(r, "(check --user, CONCH_PASSWORD or --password-file");
    assertEquals("", r.stdout());
    assertFalse(Files.exists(ran), "the command never ran");
    assertEquals(List.of(), keys(c, "/allowed"));
    assertFalse(r.stderr().contains(WRONG), "the password is not echoed");
  }

  @Test
  void userWithoutAnyPasswordIsAUsageError() {
    Conch c = alice("/allowed", null);
    Conch.Run r = c.run("elect", "o", "--", "true");
    assertEquals(64, r.exit(0), r.stderr());
    assertEquals(1, r.stderr().lines().count(), r.stderr());
    assertTrue(r.stderr().contains("CONCH_PASSWORD"), r.stderr());
    assertEquals(List.of(), keys(c, "/allowed"));
  }

  @Test
  void passwordFileWorks() throws IOException {
    Conch c = alice("/allowed", null);
    Path file = c.file("pw");
    Files.writeString(file, PASSWORD + "\n"); // as `echo pw > file` writes it
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    Conch.Run r =
        c.run(
            "elect", "o", "--password-file", file.toString(), "--", "sh", "-c", "echo $CONCH_TOOL");
    assertEquals(0, r.exit(0), r.stderr());
    assertEquals("elect\n", r.stdout());
  }

  @Test
  void prefixOutsideTheRoleIsRefused() {
    Conch c = alice("/forbidden", PASSWORD);
    Path ran = c.file("ran");
    Conch.Run r = c.run("elect", "o", "--", "touch", ran.toString());
    assertEquals(77, r.exit(0), r.stderr());
    assertOneRefusal(r, "permission denied");
    assertFalse(Files.exists(ran), "the command never ran");
    assertEquals(List.of(), keys(c, "/forbidden"));
  }

  @Test
  void whoWithWrongPasswordIsRefused() {
    Conch c = alice("/allowed", WRONG);
    Conch.Run r = c.run("elect", "o", "--who");
    assertEquals(77, r.exit(0), r.stderr());
    assertEquals("", r.stdout());
    assertOneRefusal(r, "refused reading the leader");
  }

  @Test
  void passwordNeverReachesTheChildsEnvironment() {
    Conch c = alice("/allowed", PASSWORD);
    Path env = c.file("env");
    Conch.Run r = c.run("elect", "o", "--", "sh", "-c", "env > \"$1\"", "sh", env.toString());
    assertEquals(0, r.exit(0), r.stderr());
    String dump = String.join("\n", Conch.lines(env));
    assertTrue(dump.contains("CONCH_TOOL=elect"), "the child's environment was dumped: " + dump);
    assertFalse(dump.contains("CONCH_PASSWORD"), "CONCH_PASSWORD is not passed on to the command");
    assertFalse(
        dump.contains(PASSWORD), "the password appears nowhere in the command's environment");
  }

  @Test
  void passwordIsNotInTheHolderRecord() {
    Conch c = alice("/allowed", PASSWORD);
    Path up = c.file("up");
    Conch.Run holder =
        c.start("elect", "o", "--", "sh", "-c", "echo up > \"$1\"; sleep 60", "sh", up.toString());
    Conch.awaitLines(up, 1, 30_000);
    Conch.Run json = c.run("elect", "o", "--who", "--json");
    assertEquals(0, json.exit(0), json.stderr());
    assertTrue(
        json.stdout().contains("\"pid\":" + holder.pid())
            && json.stdout().contains("\"cmd\":[\"sh\""),
        json.stdout());
    assertFalse(json.stdout().contains(PASSWORD), json.stdout());
    Procs.Result raw =
        Etcdctl.run(
            etcd.endpoint(), "--user", ROOT_AUTH, "get", "--prefix", "/allowed" + c.prefix + "/");
    assertTrue(
        raw.out().contains("\"pid\":" + holder.pid()),
        "the holder's record as stored in etcd: " + raw.out());
    assertFalse(
        raw.out().contains(PASSWORD), "nothing stored in etcd holds the password: " + raw.out());
    Procs.kill("TERM", holder.pid());
    assertEquals(143, holder.exit(20_000));
  }
}
