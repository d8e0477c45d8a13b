package dev.conch.it;

import static dev.conch.it.support.ThisBuild.assertVersion;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.base.ExitCode;
import dev.conch.it.support.Args;
import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Launch;
import dev.conch.it.support.Procs;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The help a new user reads: every command's --help has its options with their defaults, the
 * environment, the exit codes of contract section 5 that apply, and an example; each tool's script
 * alone says the same; --version names conch, the lib and Java.
 */
class HelpIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  /**
   * Contract section 5, README's table, 71 (conchd --metrics cannot listen) and 99 (a bug: an
   * internal error).
   */
  static final Set<String> CONTRACT_CODES =
      Set.of("CMD's", "0", "1", "64", "69", "70", "71", "75", "77", "99", "129,130,143");

  /**
   * A command, the exit codes its help lists, and the defaults (option, value, option, value...) it
   * shows.
   */
  record Page(List<String> cmd, List<String> codes, List<String> defaults) {}

  static final List<String> HOLDING =
      List.of("CMD's", "0", "1", "64", "69", "70", "75", "77", "99", "129,130,143");
  static final List<String> CONNECTION =
      List.of("--endpoints", "http://127.0.0.1:2379", "--prefix", "/conch", "--dial-timeout", "5s");
  static final List<Page> PAGES =
      List.of(
          new Page(
              List.of(),
              List.of("CMD's", "0", "1", "64", "69", "70", "71", "75", "77", "99", "129,130,143"),
              List.of()),
          new Page(
              List.of("elect"),
              HOLDING,
              Args.cat(
                  CONNECTION,
                  List.of(
                      "--ttl",
                      "10s",
                      "--kill-after",
                      "5s",
                      "--backoff-max",
                      "60s",
                      "--stable-after",
                      "60s"))),
          new Page(
              List.of("sema"),
              HOLDING,
              Args.cat(CONNECTION, List.of("--ttl", "10s", "--kill-after", "5s"))),
          new Page(
              List.of("cron"), List.of("0", "1", "64", "69", "70", "75", "77", "99"), List.of()),
          new Page(
              List.of("cron", "add"),
              List.of("0", "64", "69", "77", "99"),
              Args.cat(
                  CONNECTION,
                  List.of(
                      "--tz",
                      "UTC",
                      "--overlap",
                      "skip",
                      "--keep",
                      "20",
                      "--retries",
                      "0",
                      "--retry-delay",
                      "10s",
                      "--output-tail",
                      "4096"))),
          new Page(List.of("cron", "ls"), List.of("0", "1", "64", "69", "77", "99"), CONNECTION),
          new Page(List.of("cron", "rm"), List.of("0", "1", "64", "69", "77", "99"), CONNECTION),
          new Page(
              List.of("cron", "run"),
              List.of("CMD's", "0", "1", "64", "69", "70", "75", "77", "99"),
              Args.cat(CONNECTION, List.of("--timeout", "30s"))),
          new Page(List.of("cron", "pause"), List.of("0", "1", "64", "69", "77", "99"), CONNECTION),
          new Page(
              List.of("cron", "resume"), List.of("0", "1", "64", "69", "77", "99"), CONNECTION),
          new Page(
              List.of("cron", "kill"),
              List.of("0", "1", "64", "69", "75", "77", "99"),
              Args.cat(CONNECTION, List.of("--timeout", "30s"))),
          new Page(
              List.of("cron", "output"), List.of("0", "1", "64", "69", "77", "99"), CONNECTION),
          new Page(
              List.of("daemon"),
              List.of("0", "64", "69", "71", "77", "99"),
              Args.cat(
                  CONNECTION,
                  List.of(
                      "--max-lateness",
                      "10s",
                      "--ttl",
                      "10s",
                      "--kill-after",
                      "5s",
                      "--grace",
                      "30s",
                      "--on-failure-timeout",
                      "60s"))),
          new Page(List.of("completion"), List.of("0", "64"), List.of()));

  @Test
  void everyCommandsHelpHasOptionsDefaultsEnvironmentExitCodesAndAnExample() {
    Conch c = new Conch(etcd.endpoint());
    // the defaults a user without any CONCH_* variable sees
    System.getenv().keySet().stream().filter(k -> k.startsWith("CONCH_")).forEach(c::without);
    Conch.CONNECTION_ENV.forEach(c::without);
    for (Page page : PAGES) {
      List<String> args = new ArrayList<>(page.cmd());
      args.add("--help");
      Conch.Run r = c.run(args.toArray(String[]::new));
      String name = String.join(" ", args);
      assertEquals(0, r.exit(0), name + ": " + r.stderr());
      String help = r.stdout();
      assertEquals(page.codes(), exitCodes(help), name + ": exit codes\n" + help);
      assertTrue(CONTRACT_CODES.containsAll(page.codes()), name);
      assertTrue(help.matches("(?s).*\\nExamples?: conch .*"), name + ": an example\n" + help);
      if (!page.cmd().equals(List.of("completion"))) {
        for (String v : Conch.CONNECTION_ENV)
          assertTrue(
              section(help, "Environment").contains("  " + v + " "), name + ": " + v + "\n" + help);
      }
      for (int i = 0; i < page.defaults().size(); i += 2) {
        String entry = option(help, page.defaults().get(i));
        assertTrue(
            entry.contains("default " + page.defaults().get(i + 1) + ")"),
            name + ": " + page.defaults().get(i) + " shows its default: " + entry);
      }
    }
  }

  @Test
  void helpNamesWhatCmdGetsAndTheEndOfOptions() {
    Conch c = new Conch(etcd.endpoint());
    for (String tool : List.of("elect", "sema")) {
      String help = c.run(tool, "--help").stdout();
      for (String v : List.of("CONCH_TOOL", "CONCH_NAME", "CONCH_REV", "CONCH_LEASE"))
        assertTrue(help.contains("  " + v + " "), tool + ": " + v);
      assertTrue(
          help.contains("[--] " + (tool.equals("elect") ? "OFFICE" : "NAME") + " [CMD...]"), help);
    }
    String top = c.run("--help").stdout();
    for (String sub : List.of("elect", "sema", "cron", "daemon, conchd", "completion"))
      assertTrue(top.contains("\n  " + sub + " "), sub + "\n" + top);
    assertTrue(top.contains("conch COMMAND --help"), top);
  }

  /** The exit codes in help are the lib's constants and the README's table, nothing else. */
  @Test
  void exitCodesAgreeWithExitAndTheReadme() throws IOException {
    Set<String> lib = new TreeSet<>();
    for (int code :
        new int[] {
          ExitCode.OK,
          ExitCode.NOTHING,
          ExitCode.USAGE,
          ExitCode.UNAVAILABLE,
          ExitCode.LEASE_LOST,
          ExitCode.CANNOT_LISTEN,
          ExitCode.NOT_ACQUIRED,
          ExitCode.REFUSED,
          ExitCode.INTERNAL
        }) {
      lib.add(Integer.toString(code));
    }
    Conch c = new Conch(etcd.endpoint());
    Set<String> help = new TreeSet<>(exitCodes(c.run("--help").stdout()));
    help.remove("CMD's");
    help.remove("129,130,143");
    assertEquals(lib, help);
    String readme = Files.readString(Conch.ROOT.resolve("README.md"));
    String table =
        readme.substring(
            readme.indexOf("### Exit codes"), readme.indexOf("Every non-zero exit of conch's own"));
    Set<String> documented = new TreeSet<>();
    Matcher m = Pattern.compile("\\n\\| ([0-9][0-9, ]*) \\|").matcher(table);
    while (m.find()) documented.add(m.group(1));
    documented.remove("129, 130, 143");
    assertEquals(lib, documented);
  }

  /**
   * elect.java, sema.java and cron.java alone print the same help as the conch subcommand (past the
   * usage line).
   */
  @Test
  void eachScriptAloneSaysTheSame() {
    Conch c = new Conch(etcd.endpoint());
    for (String tool : List.of("elect", "sema", "cron")) {
      Procs.Result alone =
          Launch.exec(c, Conch.ROOT, Map.of(), List.of("./jbang", tool + ".java", "--help"));
      assertEquals(0, alone.code(), alone.err());
      String sub = c.run(tool, "--help").stdout();
      assertTrue(alone.out().startsWith("Usage: " + tool + " "), alone.out());
      assertEquals(pastSynopsis(sub), pastSynopsis(alone.out()), tool);
    }
    Procs.Result version =
        Launch.exec(c, Conch.ROOT, Map.of(), List.of("./jbang", "sema.java", "--version"));
    assertEquals(0, version.code(), version.err());
    assertVersion(version.out());
  }

  @Test
  void versionNamesConchTheLibAndJava() {
    Conch c = new Conch(etcd.endpoint());
    for (String[] args :
        new String[][] {
          {"--version"}, {"-V"}, {"elect", "--version"}, {"cron", "add", "--version"}
        }) {
      Conch.Run r = c.run(args);
      assertEquals(0, r.exit(0), r.stderr());
      assertVersion(r.stdout());
    }
  }

  /** The codes of the "Exit codes:" section, in order. */
  private static List<String> exitCodes(String help) {
    List<String> codes = new ArrayList<>();
    for (String line : section(help, "Exit codes:").split("\n")) {
      Matcher m = Pattern.compile("^  (\\S+) .*").matcher(line);
      if (m.matches()) codes.add(m.group(1));
    }
    return codes;
  }

  /** From the heading to the next blank line. */
  private static String section(String help, String heading) {
    int at = help.indexOf("\n" + heading);
    assertTrue(at >= 0, "no " + heading + " section:\n" + help);
    int end = help.indexOf("\n\n", at + 1);
    return help.substring(at + 1, end < 0 ? help.length() : end);
  }

  /** An option's entry in the options list: its line and the indented lines that continue it. */
  private static String option(String help, String name) {
    List<String> lines = help.lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).matches("\\s+(-\\w, )?" + Pattern.quote(name) + "[= ].*")) {
        StringBuilder b = new StringBuilder(lines.get(i));
        for (int j = i + 1; j < lines.size() && lines.get(j).matches(" {20,}\\S.*"); j++)
          b.append(' ').append(lines.get(j).strip());
        return b.toString().replaceAll("\\s+", " ");
      }
    }
    throw new AssertionError(name + " is not in the options list:\n" + help);
  }

  private static String pastSynopsis(String help) {
    List<String> lines = help.lines().toList();
    int i = 1;
    while (i < lines.size() && lines.get(i).startsWith(" ")) i++;
    return String.join("\n", lines.subList(i, lines.size()));
  }
}
