package dev.conch.it;

import static dev.conch.it.support.ThisBuild.VERSION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.Conch;
import dev.conch.it.support.Procs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * One version, in one place (contract section 11): the root pom's. The lib's coordinates, the
 * scripts' {@code //DEPS}, {@code scripts/version.sh} and {@code conch --version} all say it, and
 * {@code scripts/set-version.sh} changes every place that must spell it out.
 */
class VersionIT {
  static final List<String> SCRIPTS = List.of("conch.java", "elect.java", "sema.java", "cron.java");

  /** The modules' poms, each naming the root pom's version as its parent's. */
  static final List<String> POMS = List.of("lib/pom.xml", "tests/pom.xml", "bench/pom.xml");

  static final Path ROOT = Conch.ROOT;

  @Test
  void theScriptsThePomsAndConchVersionAgree() throws IOException {
    assertTrue(VERSION != null && VERSION.matches("[0-9]+\\.[0-9]+\\.[0-9]+"), "" + VERSION);
    assertEquals(
        VERSION + "\n", Procs.run(List.of(script("version.sh").toString()), Map.of()).out());
    for (String s : SCRIPTS) assertEquals(List.of(VERSION), deps(ROOT.resolve(s)), s);
    for (String pom : POMS) assertEquals(VERSION, parentVersion(ROOT.resolve(pom)), pom);
    assertTrue(Files.readString(ROOT.resolve("README.md")).contains(readme(VERSION)), "README");
    Conch.Run r = new Conch("http://127.0.0.1:1").run("--version");
    assertEquals(0, r.exit(0), r.stderr());
    assertTrue(
        r.stdout().startsWith("conch " + VERSION + " (lib dev.conch:conch-lib " + VERSION + ", "),
        r.stdout());
  }

  @Test
  void setVersionRewritesEveryPlace() throws IOException {
    Path tmp = Files.createTempDirectory("conch-version-");
    try {
      for (String f : List.of("pom.xml", "README.md", "scripts/version.sh")) copy(f, tmp);
      for (String pom : POMS) copy(pom, tmp);
      for (String s : SCRIPTS) copy(s, tmp);
      copy("scripts/set-version.sh", tmp);
      Path set = tmp.resolve("scripts/set-version.sh");
      Procs.Result bad = Procs.run(List.of(set.toString(), "1.0"), Map.of());
      assertEquals(64, bad.code(), "not X.Y.Z: a usage error");
      assertTrue(bad.err().startsWith("usage: scripts/set-version.sh X.Y.Z"), bad.err());
      assertEquals(1, bad.err().lines().count(), bad.err());

      Procs.Result ok = Procs.run(List.of(set.toString(), "9.8.7"), Map.of());
      assertEquals(0, ok.code(), ok.err());
      String v = Procs.run(List.of(tmp.resolve("scripts/version.sh").toString()), Map.of()).out();
      assertEquals("9.8.7\n", v);
      for (String s : SCRIPTS) assertEquals(List.of("9.8.7"), deps(tmp.resolve(s)), s);
      for (String pom : POMS) assertEquals("9.8.7", parentVersion(tmp.resolve(pom)), pom);
      assertTrue(Files.readString(tmp.resolve("README.md")).contains(readme("9.8.7")), "README");
      // only the project's version moved: the dependencies' versions are not touched
      assertEquals(
          Files.readString(ROOT.resolve("pom.xml"))
              .replace("<version>" + VERSION + "<", "<version>9.8.7<"),
          Files.readString(tmp.resolve("pom.xml")));
    } finally {
      Procs.deleteTree(tmp);
    }
  }

  /** The README's example of {@code conch --version}. */
  private static String readme(String v) {
    return "`conch " + v + " (lib dev.conch:conch-lib " + v + ", Java ";
  }

  private static Path script(String name) {
    return ROOT.resolve("scripts").resolve(name);
  }

  /** The versions of dev.conch:conch-lib that a script's //DEPS lines name. */
  private static List<String> deps(Path script) throws IOException {
    Matcher m =
        Pattern.compile("^//DEPS dev\\.conch:conch-lib:(\\S+)$", Pattern.MULTILINE)
            .matcher(Files.readString(script));
    return m.results().map(r -> r.group(1)).toList();
  }

  private static String parentVersion(Path pom) throws IOException {
    Matcher m =
        Pattern.compile("<parent>.*?<version>([^<]*)</version>.*?</parent>", Pattern.DOTALL)
            .matcher(Files.readString(pom));
    assertTrue(m.find(), "no <parent> version in " + pom);
    return m.group(1);
  }

  private static void copy(String file, Path to) throws IOException {
    Path dest = to.resolve(file);
    Files.createDirectories(dest.getParent());
    Files.copy(ROOT.resolve(file), dest, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
  }
}
