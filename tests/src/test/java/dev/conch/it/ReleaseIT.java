package dev.conch.it;

import static dev.conch.it.support.Args.cat;
import static dev.conch.it.support.Launch.REPORT;
import static dev.conch.it.support.Launch.SEMA_REPORT;
import static dev.conch.it.support.Launch.assertLed;
import static dev.conch.it.support.Launch.assertRan;
import static dev.conch.it.support.Launch.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.FastStart;
import dev.conch.it.support.Procs;
import dev.conch.it.support.StaticSite;
import dev.conch.it.support.ThisBuild;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Contract section 11, as a new user: scripts/release.sh writes the site once, the JDK's HTTP
 * server serves it on loopback, and "another machine" uses it: a fresh HOME, an empty Maven and
 * JBang cache, another directory, no checkout on PATH; JBang is a copy of the ./jbang wrapper (only
 * the way to get a jbang). The tarball's and the unpacked .deb's conch then run with no JBang at
 * all.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Order(1) // the longest class of the parallel phase starts first (junit-platform.properties)
class ReleaseIT {
  static final Path ROOT = Conch.ROOT;
  static final String V = ThisBuild.VERSION;

  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  static Path tmp;
  static StaticSite site;
  static String catalog;

  @BeforeAll
  static void release() throws IOException {
    tmp = Files.createTempDirectory("conch-release-");
    site = new StaticSite(Files.createDirectories(tmp.resolve("site")));
    List<String> cmd = List.of(ROOT.resolve("scripts/release.sh").toString(), "site", site.url());
    Procs.Result r = Procs.run(cmd, Map.of(), tmp, Path.of("/dev/null"), 600);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("conch_" + V + "_all.deb, lintian clean"), r.err());
    catalog = site.url() + "/jbang-catalog.json";
    for (String f : List.of("conch-" + V + ".tar.gz", "conch_" + V + "_all.deb"))
      System.out.printf("ReleaseIT: %s is %d bytes%n", f, Files.size(site.root.resolve(f)));
  }

  @AfterAll
  static void cleanUp() {
    site.close();
    Procs.deleteTree(tmp);
  }

  @Test
  @Order(1)
  void jbangRunsEveryToolFromTheSite() {
    Conch c = new Conch(etcd.endpoint());
    Path cwd = machine();
    Procs.Result untrusted = jbang(c, cwd, "conch@" + catalog, "--version");
    assertNotEquals(0, untrusted.code(), "JBang runs no remote code before `jbang trust add`");
    assertEquals(0, jbang(c, cwd, "trust", "add", site.url() + "/").code());

    long t0 = System.nanoTime();
    Procs.Result first = jbang(c, cwd, "conch@" + catalog, "--version");
    long t1 = System.nanoTime();
    Procs.Result second = jbang(c, cwd, "conch@" + catalog, "--version");
    long t2 = System.nanoTime();
    System.out.printf(
        "ReleaseIT: jbang conch@URL --version: first (empty caches) %d ms, second %d ms%n",
        (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
    for (Procs.Result r : List.of(first, second)) {
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().startsWith("conch " + V + " (lib dev.conch:conch-lib " + V), r.out());
    }
    String jar = "/maven/dev/conch/conch-lib/" + V + "/conch-lib-" + V + ".jar";
    assertTrue(site.served.contains(jar), "the lib came from the site: " + site.served);
    assertTrue(Files.exists(cwd.resolveSibling("m2").resolve(jar.substring(7))), "into JBANG_REPO");

    Procs.Result elect = jbang(c, cwd, cat(List.of("conch@" + catalog, "elect", "o1"), REPORT));
    assertLed(c, "o1", elect.code(), elect.out(), elect.err());
    Procs.Result sema = jbang(c, cwd, cat(List.of("conch@" + catalog, "sema", "s1"), SEMA_REPORT));
    assertRan(c, "sema s1", sema.code(), sema.out(), sema.err());
    Procs.Result add =
        jbang(c, cwd, "conch@" + catalog, "cron", "add", "j", "--schedule", "@daily", "--", "true");
    assertEquals(0, add.code(), add.err());
    Procs.Result ls = jbang(c, cwd, "cron@" + catalog, "ls", "j");
    assertEquals(0, ls.code(), ls.err());
    assertTrue(ls.out().contains("@daily"), "the cron alias reads the job back: " + ls.out());
    Procs.Result conchd = jbang(c, cwd, "conchd@" + catalog, "--help");
    assertEquals(0, conchd.code(), conchd.err());
    assertTrue(conchd.out().contains("--max-lateness"), "conchd is conch daemon: " + conchd.out());
  }

  @Test
  @Order(2)
  void appInstallGivesAConchCommand() {
    Conch c = new Conch(etcd.endpoint());
    Path cwd = machine();
    Procs.Result install = jbang(c, cwd, "app", "install", "conch@" + catalog);
    assertEquals(0, install.code(), install.err());
    Path conch = cwd.resolveSibling("jbang-dir/bin/conch");
    assertTrue(Files.isExecutable(conch), install.err());
    Procs.Result r =
        exec(
            c,
            cwd,
            machineEnv(cwd),
            List.of(
                "bash",
                "-c",
                "conch elect o2 -- sh -c 'echo \"$CONCH_TOOL $CONCH_NAME $CONCH_REV\"'"));
    assertLed(c, "o2", r.code(), r.out(), r.err());
    // that run, through JBang, put the fast launcher in place: later calls start one JVM
    machineEnv(cwd).forEach(c::env);
    assertFast(c, conch, "the installed conch");
  }

  @Test
  @Order(3)
  void theTarballRunsWithJavaAlone() {
    Path opt = machine().resolveSibling("opt");
    Procs.Result untar =
        Procs.run(
            List.of("tar", "-xzf", site.root.resolve("conch-" + V + ".tar.gz").toString()),
            Map.of(),
            mkdirs(opt));
    assertEquals(0, untar.code(), untar.err());
    Path home = opt.resolve("conch-" + V);
    for (String unit : List.of("conchd.service", "thing.service", "conch.env"))
      assertTrue(Files.exists(home.resolve("systemd").resolve(unit)), unit);
    runsWithoutJBang(home.resolve("bin/conch"), "o3");
  }

  @Test
  @Order(4)
  void theDebianPackageRunsWithJavaAlone() {
    Path deb = site.root.resolve("conch_" + V + "_all.deb");
    Path root = machine().resolveSibling("root");
    Procs.Result x =
        Procs.run(List.of("dpkg-deb", "-x", deb.toString(), root.toString()), Map.of());
    assertEquals(0, x.code(), x.err());
    Procs.Result depends =
        Procs.run(List.of("dpkg-deb", "-f", deb.toString(), "Depends"), Map.of());
    for (String pkg : List.of("java17-runtime-headless", "bash", "util-linux", "procps"))
      assertTrue(depends.out().contains(pkg), depends.out());
    for (String unit : List.of("conchd.service", "thing.service"))
      assertTrue(
          Files.exists(root.resolve("usr/share/doc/conch/examples").resolve(unit)),
          "the units come with the package: " + unit);
    runsWithoutJBang(root.resolve("usr/bin/conch"), "o4");
  }

  /** {@code conch} run with a PATH that has java but no JBang and no checkout. */
  static void runsWithoutJBang(Path conch, String office) {
    Conch c = new Conch(etcd.endpoint());
    Map<String, String> env = Map.of("PATH", systemPath(), "HOME", tmp.resolve("home").toString());
    Procs.Result which = exec(c, tmp, env, List.of("bash", "-c", "command -v jbang"));
    assertEquals(1, which.code(), "no jbang on this PATH: " + which.out());
    Procs.Result v = exec(c, tmp, env, List.of(conch.toString(), "--version"));
    assertTrue(
        v.out().startsWith("conch " + V + " (lib dev.conch:conch-lib " + V), v.out() + v.err());
    List<String> cmd = new ArrayList<>(List.of(conch.toString(), "elect", office));
    cmd.addAll(REPORT);
    Procs.Result r = exec(c, tmp, env, cmd);
    assertLed(c, office, r.code(), r.out(), r.err());
    env.forEach(c::env);
    assertFast(c, conch, conch.toString());
  }

  /** {@code conch} takes the fast start, its cache made on the first call and used on the next. */
  static void assertFast(Conch c, Path conch, String what) {
    for (String call : List.of("a first call", "cached"))
      System.out.printf(
          "ReleaseIT: %s, %s: command started %d ms after the launch%n",
          what, call, FastStart.assertFast(c, List.of(conch.toString()), "fast"));
  }

  /**
   * A new "machine" under tmp: an empty HOME, JBang directory and Maven repository, a working
   * directory, and a jbang on PATH that is a copy of the wrapper (not the checkout). Returns the
   * cwd.
   */
  static Path machine() {
    Path m = tmp.resolve("machine");
    Path cwd = m.resolve("work");
    if (Files.isDirectory(cwd)) return cwd;
    try {
      for (String d : List.of("home", "jbang-dir", "m2", "bin", "work", "jbang/tools/jbang"))
        Files.createDirectories(m.resolve(d));
      Files.copy(ROOT.resolve("jbang"), m.resolve("jbang/jbang"));
      Files.copy(ROOT.resolve("tools/jbang/pom.xml"), m.resolve("jbang/tools/jbang/pom.xml"));
      Files.createSymbolicLink(m.resolve("bin/jbang"), m.resolve("jbang/jbang"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return cwd;
  }

  static Map<String, String> machineEnv(Path cwd) {
    Path m = cwd.getParent();
    Map<String, String> env = new HashMap<>();
    env.put("HOME", m.resolve("home").toString());
    env.put(
        "JBANG_DIR", m.resolve("jbang-dir").toString()); // JBang's caches, trust, installed apps
    env.put("JBANG_REPO", m.resolve("m2").toString()); // JBang's Maven repo (not user.home's ~/.m2)
    // where the wrapper keeps JBang's own classpath: JBang itself, not conch, may come from here
    String wrapperHome = System.getenv("JBANG_WRAPPER_HOME");
    env.put(
        "JBANG_WRAPPER_HOME",
        wrapperHome != null ? wrapperHome : System.getenv("HOME") + "/.cache/conch-jbang");
    env.put("PATH", m.resolve("bin") + ":" + m.resolve("jbang-dir/bin") + ":" + systemPath());
    return env;
  }

  /** The test's PATH without any directory of the checkout. */
  static String systemPath() {
    List<String> keep = new ArrayList<>();
    for (String d : System.getenv("PATH").split(":"))
      if (!d.isEmpty() && !Path.of(d).toAbsolutePath().normalize().startsWith(ROOT)) keep.add(d);
    return String.join(":", keep);
  }

  static Procs.Result jbang(Conch c, Path cwd, String... args) {
    return jbang(c, cwd, List.of(args));
  }

  static Procs.Result jbang(Conch c, Path cwd, List<String> args) {
    // by its path: a child's PATH is not where Java looks for the program itself
    String jbang = cwd.resolveSibling("bin/jbang").toString();
    return exec(c, cwd, machineEnv(cwd), cat(List.of(jbang), args));
  }

  static Path mkdirs(Path dir) {
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
