package dev.conch.it;

import static dev.conch.it.support.Shell.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdServer;
import dev.conch.it.support.Procs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The README cannot drift from the code: its runnable blocks are run, and its set-up commands are
 * the scripts CI runs.
 *
 * <p>Runnable blocks are fenced {@code ```bash} with a {@code <!-- tested ... -->} comment on the
 * line just before the fence (every {@code ```bash} block must be marked, every marker must precede
 * one; examples with placeholders stay indented and are not run). Each block runs as one bash
 * script, in a fresh directory holding stand-ins for {@code ./report.sh}, {@code ./migrate.sh},
 * {@code ./purge.sh} and {@code ./serve}, against a real etcd under a key prefix of its own, with
 * {@code conch} a bash function running the JBang-built conch.java. Each command must exit 0, or
 * the status its comment documents ({@code # ... exit N}); a comment {@code # prints WORD} also
 * requires WORD on its stdout.
 */
class ReadmeIT {
  private static final Path README = Conch.ROOT.resolve("README.md");
  private static final Pattern EXIT = Pattern.compile("\\bexit (\\d+)\\b");
  private static final Pattern PRINTS = Pattern.compile("\\bprints (\\S+?)[,.;:]?(?=\\s|$)");
  private static final AtomicInteger SEQ = new AtomicInteger();
  private static EtcdServer etcd;

  @BeforeAll
  static void start() {
    etcd = EtcdServer.start();
    Conch.classpath();
  }

  @AfterAll
  static void stop() {
    if (etcd != null) etcd.close();
  }

  /** A runnable block: the README line of its first command, and its lines. */
  record Block(int line, List<String> lines) {}

  static List<String> readme() {
    try {
      return Files.readAllLines(README);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The marked blocks, checking the marking rules on the way. */
  static List<Block> testedBlocks() {
    List<String> md = readme();
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < md.size(); i++) {
      String l = md.get(i).strip();
      boolean marked = i > 0 && md.get(i - 1).strip().startsWith("<!-- tested");
      if (l.startsWith("<!-- tested")) {
        assertTrue(
            i + 1 < md.size() && md.get(i + 1).strip().equals("```bash"),
            "README.md line " + (i + 1) + ": a tested marker must sit just before a ```bash fence");
      }
      if (l.equals("```bash")) {
        assertTrue(
            marked,
            "README.md line "
                + (i + 1)
                + ": every ```bash block is run, so it needs a <!-- tested --> marker on the line before");
        List<String> body = new ArrayList<>();
        int j = i + 1;
        while (j < md.size() && !md.get(j).strip().equals("```")) body.add(md.get(j++));
        assertTrue(j < md.size(), "README.md line " + (i + 1) + ": unclosed ```bash block");
        blocks.add(new Block(i + 2, body));
        i = j;
      }
    }
    return blocks;
  }

  /** Where a line's comment starts (a # after whitespace, outside quotes), or -1. */
  static int commentStart(String line) {
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (quote != 0) {
        if (ch == quote) quote = 0;
      } else if (ch == '\'' || ch == '"') {
        quote = ch;
      } else if (ch == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The block as a script: each command (a line, with backslash continuations) runs inside { } with
   * its output captured, then its status and output are checked against what its comment documents.
   */
  static String script(Block b) {
    StringBuilder s =
        new StringBuilder(
            "conch() { java -cp \"$CONCH_TEST_CP\" conch \"$@\"; }\n__d=$(mktemp -d)\n");
    List<String> ls = b.lines();
    for (int i = 0; i < ls.size(); i++) {
      String first = ls.get(i);
      if (first.isBlank() || first.strip().startsWith("#")) continue;
      int at = b.line() + i;
      StringBuilder cmd = new StringBuilder(first);
      while (ls.get(i).endsWith("\\") && i + 1 < ls.size()) cmd.append('\n').append(ls.get(++i));
      String last = ls.get(i);
      int c = commentStart(last);
      String comment = c < 0 ? "" : last.substring(c);
      int expected = 0;
      for (Matcher m = EXIT.matcher(comment); m.find(); ) expected = Integer.parseInt(m.group(1));
      String shown = cmd.toString().replace("\\\n", " ");
      if (commentStart(shown) >= 0) shown = shown.substring(0, commentStart(shown)).strip();
      s.append("{ ")
          .append(cmd)
          .append("\n} >\"$__d/out\" 2>\"$__d/err\"; __rc=$?\n")
          .append("cat \"$__d/out\"; cat \"$__d/err\" >&2\n")
          .append("if [ \"$__rc\" -ne ")
          .append(expected)
          .append(" ]; then echo ")
          .append(quote("README.md line " + at + ": " + shown + ": exit "))
          .append("\"$__rc\"")
          .append(quote(", the README says " + expected))
          .append(" >&2; exit 99; fi\n");
      Matcher p = PRINTS.matcher(comment);
      if (p.find()) {
        s.append("grep -qF -- ")
            .append(quote(p.group(1)))
            .append(" \"$__d/out\" || { echo ")
            .append(quote("README.md line " + at + ": " + shown + ": does not print " + p.group(1)))
            .append(" >&2; exit 98; }\n");
      }
    }
    return s.append("rm -rf \"$__d\"\n").toString();
  }

  @TestFactory
  Stream<DynamicTest> everyTestedBlockRunsAsDocumented() {
    return testedBlocks().stream()
        .map(b -> DynamicTest.dynamicTest("README.md block at line " + b.line(), () -> run(b)));
  }

  static void run(Block b) throws IOException {
    Path cwd = Files.createTempDirectory("conch-readme-");
    try {
      for (String name : List.of("report.sh", "migrate.sh", "purge.sh", "serve")) {
        Path f = cwd.resolve(name);
        Files.writeString(f, "#!/bin/sh\necho \"" + name + " ran\"\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      String prefix = "/readme-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
      Procs.Result r =
          Procs.run(
              List.of("bash", "-c", script(b)),
              Map.of(
                  "CONCH_ENDPOINTS",
                  etcd.endpoint,
                  "CONCH_PREFIX",
                  prefix,
                  "CONCH_TEST_CP",
                  Conch.classpath()),
              cwd);
      assertEquals(
          0,
          r.code(),
          "the README block at line "
              + b.line()
              + " does not do what it says:\n"
              + r.err()
              + "\nstdout:\n"
              + r.out());
    } finally {
      Procs.deleteTree(cwd);
    }
  }

  @Test
  void theTestedBlocksExerciseEveryTool() {
    List<Block> blocks = testedBlocks();
    assertFalse(blocks.isEmpty(), "the README keeps at least one tested block");
    String all = String.join("\n", blocks.stream().flatMap(b -> b.lines().stream()).toList());
    for (String tool :
        List.of(
            "conch elect ", "conch sema ", "conch cron add ", "conch cron ls ", "conch cron rm ")) {
      assertTrue(all.contains(tool), "a tested block runs " + tool.strip());
    }
    assertTrue(
        blocks.stream()
            .flatMap(b -> b.lines().stream())
            .anyMatch(l -> EXIT.matcher(l).find() && !l.contains("exit 0")),
        "a tested block checks a documented non-zero exit");
  }

  @Test
  void theScriptGeneratorChecksStatusAndOutput() throws IOException {
    // The harness itself must be able to fail: a wrong documented status and a missing word are
    // caught.
    Block wrongExit = new Block(1, List.of("true   # exit 3"));
    Block wrongOutput = new Block(1, List.of("echo hi   # prints hello"));
    Block right =
        new Block(
            1, List.of("sh -c 'exit 3'   # exit 3", "echo 'a # b' \\", "  hello   # prints hello"));
    for (Block b : List.of(wrongExit, wrongOutput, right)) {
      Procs.Result r = Procs.run(List.of("bash", "-c", script(b)), Map.of("CONCH_TEST_CP", ""));
      assertEquals(b == right ? 0 : b == wrongExit ? 99 : 98, r.code(), b + ": " + r.err());
    }
  }

  /** The commands of the first indented code block after {@code heading}, comments stripped. */
  static List<String> commandsUnder(List<String> md, String heading) {
    int h = md.indexOf(heading);
    assertTrue(h >= 0, "README.md has the section " + heading);
    List<String> cmds = new ArrayList<>();
    for (int i = h + 1; i < md.size(); i++) {
      String l = md.get(i);
      if (l.startsWith("    ")) {
        int c = commentStart(l);
        cmds.add((c < 0 ? l : l.substring(0, c)).strip());
      } else if (!cmds.isEmpty() && !l.isBlank()) {
        break;
      } else if (l.startsWith("#")) {
        break;
      }
    }
    return cmds;
  }

  @Test
  void theTwoSetUpCommandsAreTheScriptsAndCiRunsTheTestOne() throws IOException {
    List<String> md = readme();
    assertEquals(List.of("./demo.sh", "./test.sh"), commandsUnder(md, "## Set-up: two commands"));
    for (String s : List.of("demo.sh", "test.sh", ".ci/run")) {
      Path f = Conch.ROOT.resolve(s);
      assertTrue(Files.isRegularFile(f) && Files.isExecutable(f), s + " is an executable file");
      assertTrue(Files.readString(f).startsWith("#!"), s + " starts with #!");
      Procs.Result syntax = Procs.run(List.of("bash", "-n", f.toString()), Map.of());
      assertEquals(
          0,
          syntax.code(),
          s + " parses: " + syntax.err()); // parsed only: test.sh is this suite, demo.sh runs apart
    }
    assertTrue(
        String.join("\n", md).contains("CI runs `./test.sh` (`.ci/run`)"),
        "the README says what CI runs");
    List<String> ci =
        Files.readAllLines(Conch.ROOT.resolve(".ci/run")).stream()
            .map(l -> (commentStart(l) < 0 ? l : l.substring(0, commentStart(l))).strip())
            .filter(l -> !l.isEmpty())
            .toList();
    assertTrue(
        ci.stream().anyMatch(l -> l.matches("(exec\\s+)?\\./test\\.sh(\\s.*)?")),
        ".ci/run calls ./test.sh: " + ci);
    assertTrue(
        ci.stream().noneMatch(l -> l.matches(".*\\bmvn\\b.*")),
        ".ci/run tests through ./test.sh, not a mvn line of its own: " + ci);
  }

  @Test
  void relativeLinksPointAtFiles() {
    Matcher m =
        Pattern.compile("\\]\\(([^)#\\s]+)(#[^)]*)?\\)").matcher(String.join("\n", readme()));
    int n = 0;
    while (m.find()) {
      String target = m.group(1);
      if (target.matches("[a-z]+:.*")) continue;
      n++;
      if (!Files.exists(Conch.ROOT.resolve(target)))
        fail("README.md links to " + target + ", which does not exist");
    }
    assertTrue(n > 0, "the README links to its docs");
  }
}
