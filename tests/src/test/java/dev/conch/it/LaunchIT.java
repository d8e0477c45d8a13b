package dev.conch.it;

import static dev.conch.it.support.Args.cat;
import static dev.conch.it.support.Launch.REPORT;
import static dev.conch.it.support.Launch.SEMA_REPORT;
import static dev.conch.it.support.Launch.assertLed;
import static dev.conch.it.support.Launch.assertRan;
import static dev.conch.it.support.Launch.exec;
import static dev.conch.it.support.ThisBuild.assertVersion;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.AppInstall;
import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.FastStart;
import dev.conch.it.support.Jdks;
import dev.conch.it.support.Procs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every way the contract says conch can be launched, each as a real process through the checkout's
 * ./jbang wrapper against a real etcd: the script from the checkout, a tool's script alone, the
 * catalog alias inside and outside the checkout, {@code jbang app install}, and --help/--version.
 */
@Order(2) // the second longest starts second (junit-platform.properties)
class LaunchIT {
  static final Path ROOT = Conch.ROOT;
  static final String JBANG = ROOT.resolve("jbang").toString();
  static final String CATALOG = ROOT.resolve("jbang-catalog.json").toString();

  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  @Test
  void scriptFromTheCheckout() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run who =
        c.launch(List.of(JBANG, ROOT.resolve("conch.java").toString(), "elect", "vacant", "--who"));
    assertEquals(1, who.exit(120_000), who.stderr());
    assertEquals(
        "", who.stdout(), "nothing on stdout for a vacant office (JBang's chatter included)");
    Conch.Run run =
        c.launch(cat(List.of(JBANG, ROOT.resolve("conch.java").toString(), "elect", "o1"), REPORT));
    assertLed(c, "o1", run.exit(120_000), run.stdout(), run.stderr());
  }

  @Test
  void eachToolAlone() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run run =
        c.launch(cat(List.of(JBANG, ROOT.resolve("elect.java").toString(), "o2"), REPORT));
    assertLed(c, "o2", run.exit(120_000), run.stdout(), run.stderr());
    Conch.Run sema =
        c.launch(cat(List.of(JBANG, ROOT.resolve("sema.java").toString(), "s2"), SEMA_REPORT));
    assertRan(c, "sema s2", sema.exit(120_000), sema.stdout(), sema.stderr());
    Conch.Run cron =
        c.launch(
            List.of(
                JBANG,
                ROOT.resolve("cron.java").toString(),
                "add",
                "j",
                "--schedule",
                "@daily",
                "--",
                "true"));
    assertEquals(0, cron.exit(120_000), cron.stderr());
    assertEquals(List.of(c.prefix + "/v1/cron/jobs/j"), c.keys(), "cron.java alone added the job");
  }

  @Test
  void aliasInsideTheCheckout() {
    Conch c = new Conch(etcd.endpoint());
    Procs.Result conch =
        exec(c, ROOT, Map.of(), cat(List.of("./jbang", "conch", "elect", "o3"), REPORT));
    assertLed(c, "o3", conch.code(), conch.out(), conch.err());
    Procs.Result elect = exec(c, ROOT, Map.of(), List.of("./jbang", "elect", "vacant", "--who"));
    assertEquals(1, elect.code(), "the elect alias: " + elect.err());
    assertEquals("", elect.out());
    Procs.Result sema = exec(c, ROOT, Map.of(), cat(List.of("./jbang", "sema", "s3"), SEMA_REPORT));
    assertRan(c, "sema s3", sema.code(), sema.out(), sema.err());
    Procs.Result cron = exec(c, ROOT, Map.of(), List.of("./jbang", "cron", "ls"));
    assertEquals(0, cron.code(), cron.err());
    assertEquals("daemons: 0\n", cron.out(), "the cron alias: an empty table");
    Procs.Result conchd = exec(c, ROOT, Map.of(), List.of("./jbang", "conchd", "--help"));
    assertEquals(0, conchd.code(), conchd.err());
    assertTrue(
        conchd.out().contains("--max-lateness"),
        "the conchd alias is conch daemon: " + conchd.out());
  }

  @Test
  void aliasFromElsewhere() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    Path elsewhere = Files.createTempDirectory("conch-elsewhere-");
    try {
      Procs.Result r =
          exec(
              c,
              elsewhere,
              Map.of(),
              cat(List.of(JBANG, "conch@" + CATALOG, "elect", "o4"), REPORT));
      assertLed(c, "o4", r.code(), r.out(), r.err());
    } finally {
      Procs.deleteTree(elsewhere);
    }
  }

  @Test
  void appInstallPutsConchOnPath() throws IOException {
    Path home = Path.of(System.getProperty("user.home"));
    Map<String, Optional<String>> before = homeFiles(home);
    Conch c = new Conch(etcd.endpoint());
    Path tmp = Files.createTempDirectory("conch-install-");
    try {
      Map<String, String> env = AppInstall.env(tmp);
      Path installed = AppInstall.command(tmp, "conch");

      Procs.Result install =
          exec(
              c,
              tmp,
              env,
              List.of(
                  "bash",
                  "-c",
                  "jbang app install --name conch \"$1\"",
                  "install",
                  "conch@" + CATALOG));
      assertEquals(0, install.code(), install.err());
      assertTrue(install.err().contains("Command installed: conch"), install.err());
      assertTrue(Files.isExecutable(installed), "installed under JBANG_DIR/bin");

      Procs.Result which = exec(c, tmp, env, List.of("bash", "-c", "command -v conch"));
      assertEquals(installed.toString(), which.out().strip(), "PATH finds the installed command");
      Procs.Result r =
          exec(
              c,
              tmp,
              env,
              List.of(
                  "bash",
                  "-c",
                  "conch elect o5 -- sh -c 'echo \"$CONCH_TOOL $CONCH_NAME $CONCH_REV\"'"));
      assertLed(c, "o5", r.code(), r.out(), r.err());

      // that first run (through JBang) put the fast launcher in JBang's command's place
      String launcher = Files.readString(installed);
      assertTrue(
          launcher.contains("\nref='conch@" + CATALOG + "'\n"), "the fast launcher: " + launcher);
      env.forEach(c::env);
      c.env("CONCH_CACHE", tmp.resolve("cache").toString());
      for (String call : List.of("the cache made", "cached"))
        System.out.printf(
            "LaunchIT: the installed conch, %s: command started %d ms after the launch%n",
            call, FastStart.assertFast(c, List.of(installed.toString()), "o5"));
    } finally {
      Procs.deleteTree(tmp);
    }
    assertEquals(
        before, homeFiles(home), "~/.bashrc, profiles and ~/.jbang/bin untouched by app install");
  }

  @Test
  void helpAndVersion() {
    Conch c = new Conch(etcd.endpoint());
    Procs.Result help = exec(c, ROOT, Map.of(), List.of("./jbang", "conch.java", "--help"));
    assertEquals(0, help.code(), help.err());
    assertTrue(
        help.out().contains("Usage: conch")
            && help.out().contains("elect")
            && help.out().contains("sema"),
        help.out());
    Procs.Result version = exec(c, ROOT, Map.of(), List.of("./jbang", "conch.java", "--version"));
    assertEquals(0, version.code(), version.err());
    assertVersion(version.out());
    Procs.Result electHelp =
        exec(c, ROOT, Map.of(), List.of("./jbang", "conch.java", "elect", "--help"));
    assertEquals(0, electHelp.code(), electHelp.err());
    assertTrue(
        electHelp.out().contains("OFFICE")
            && electHelp.out().contains("\nExit codes:\n")
            && electHelp.out().contains("\n  77 "),
        electHelp.out());
  }

  /**
   * bin/conch, the fast path, on a copy of the checkout with a cache of its own: the first call
   * builds through JBang and says so on stderr, later calls exec java at once; the child's status
   * is conch's; an edited script and a reinstalled lib are both picked up on the next call.
   */
  @Test
  void fastPathRunsCachesAndPicksUpChanges() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    Path tmp = Files.createTempDirectory("conch-fast-");
    try {
      Path copy = tmp.resolve("checkout");
      for (String f :
          List.of(
              "bin/conch",
              "jbang",
              "tools/jbang/pom.xml",
              "conch.java",
              "elect.java",
              "sema.java",
              "cron.java")) {
        Files.createDirectories(copy.resolve(f).getParent());
        Files.copy(
            ROOT.resolve(f), copy.resolve(f), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
      }
      // JAVA_HOME empty: bin/conch picks the JDK itself
      Map<String, String> env =
          Map.of("CONCH_CACHE", tmp.resolve("cache").toString(), "JAVA_HOME", "");
      String fast = copy.resolve("bin/conch").toString();

      Procs.Result first = exec(c, tmp, env, cat(List.of(fast, "elect", "o6"), REPORT));
      assertLed(c, "o6", first.code(), first.out(), first.err());
      assertTrue(
          first.err().contains("preparing the fast launch"),
          "the first call builds: " + first.err());
      assertEquals(
          7,
          exec(c, tmp, env, List.of(fast, "elect", "o6", "--", "sh", "-c", "exit 7")).code(),
          "the child's status");
      Procs.Result who = exec(c, tmp, env, List.of(fast, "elect", "vacant", "--who"));
      assertEquals(1, who.code(), who.err());
      assertEquals(
          "", who.out() + who.err(), "cached: nothing on stdout or stderr but conch's own");
      c.env("CONCH_CACHE", env.get("CONCH_CACHE"));
      System.out.printf(
          "LaunchIT: bin/conch, cached: command started %d ms after the launch%n",
          FastStart.assertFast(c, List.of(fast), "o7"));

      // JAVA_HOME unset: the newest JDK 25+ under /usr/lib/jvm (AOT cache), else PATH's java; JDK
      // 17 keeps working (class-data archive); another JDK gets a cache of its own
      int chosen = Jdks.newest(25).orElse(Jdks.onPath());
      for (String home : List.of("", Jdks.home(17).toString())) {
        int expected = home.isEmpty() ? chosen : 17;
        List<String> version = List.of("env", "JAVA_HOME=" + home, fast, "--version");
        Procs.Result v = exec(c, tmp, env, version);
        assertTrue(
            v.out().contains(", Java " + expected + "."), "says which Java: " + v.out() + v.err());
        assertEquals(
            expected != chosen,
            v.err().contains("preparing the fast launch"),
            "a new JDK, a new cache: " + v.err());
        c.env("JAVA_HOME", home); // the JDK for the next wrappers c starts
        System.out.printf(
            "LaunchIT: bin/conch on Java %d: command started %d ms after the launch%n",
            expected, FastStart.assertFast(c, List.of(fast), "o8-" + expected));
      }

      assertTrue(
          Files.readString(copy.resolve("bin/conch"))
              .contains("\nopts=(" + FastStart.runtimeOptions(copy.resolve("conch.java")) + ")\n"),
          "bin/conch runs java with conch.java's //RUNTIME_OPTIONS");

      Path script = copy.resolve("conch.java");
      Files.writeString(
          script,
          Files.readString(script)
              .replace("\"Run a command only while", "\"Edited: run a command only while"));
      // rebuilt while JAVA_TOOL_OPTIONS has every JVM log to stdout, JBang's too: the cache it
      // makes still serves the next call (it used to keep the log lines as its classpath)
      Map<String, String> logging = new HashMap<>(env);
      logging.put("JAVA_TOOL_OPTIONS", "-Xlog:gc");
      Procs.Result edited = exec(c, tmp, logging, List.of(fast, "--help"));
      assertTrue(
          edited.out().contains("Edited: run a command only while"),
          "the edited script runs: " + edited.out() + edited.err());
      Procs.Result after = exec(c, tmp, env, List.of(fast, "--help"));
      assertTrue(
          after.out().contains("Edited: run a command only while")
              && !after.err().contains("preparing the fast launch"),
          "the cache made under JAVA_TOOL_OPTIONS serves: " + after.out() + after.err());

      // the lib the fast path runs (~/.m2's, as `mvn install` writes it); the tests' own wrappers
      // run a pinned copy, so touching it leaves their class-data archive valid
      Path lib = Path.of(Files.readString(cached(tmp.resolve("cache"), "classpath")).split(":")[1]);
      assertTrue(
          lib.getFileName().toString().startsWith("conch-lib-"),
          "the lib is second on the classpath: " + lib);
      Files.setLastModifiedTime(
          lib, java.nio.file.attribute.FileTime.from(java.time.Instant.now()));
      Procs.Result relib = exec(c, tmp, env, List.of(fast, "--help"));
      assertTrue(
          relib.out().contains("Edited: run a command only while"), relib.out() + relib.err());
      assertTrue(
          relib.err().contains("preparing the fast launch"),
          "a reinstalled lib is picked up: " + relib.err());
    } finally {
      Procs.deleteTree(tmp);
    }
  }

  /** A file called {@code name} in bin/conch's cache {@code cache} (each key has one). */
  private static Path cached(Path cache, String name) throws IOException {
    try (Stream<Path> files = Files.walk(cache)) {
      return files
          .filter(p -> p.getFileName().toString().equals(name))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no " + name + " in " + cache));
    }
  }

  /** The files a careless install would touch in HOME, with their contents (empty when absent). */
  private static Map<String, Optional<String>> homeFiles(Path home) {
    Map<String, Optional<String>> m = new LinkedHashMap<>();
    for (String f :
        List.of(
            ".bashrc",
            ".bash_profile",
            ".profile",
            ".zshrc",
            ".zshenv",
            ".jbang/bin/conch",
            ".jbang/jbang.properties")) {
      Path p = home.resolve(f);
      try {
        m.put(f, Files.exists(p) ? Optional.of(Files.readString(p)) : Optional.empty());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return m;
  }
}
