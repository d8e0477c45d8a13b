package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Procs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code conch completion bash}, installed the README's way in a throw-away HOME, completes in a
 * real bash: the completion function that bash registered for {@code conch} is called with
 * COMP_WORDS as readline would set them, and COMPREPLY is what a TAB would offer.
 */
class CompletionIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  @Test
  void bashCompletesCommandsOptionsAndValues() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    Path home = Files.createDirectories(c.dir.resolve("home"));
    Path bin = Files.createDirectories(c.dir.resolve("bin"));
    Path conch = bin.resolve("conch");
    Files.writeString(conch, "#!/bin/sh\nexec java -cp '" + Conch.classpath() + "' conch \"$@\"\n");
    assertTrue(conch.toFile().setExecutable(true));
    Map<String, String> env =
        Map.of("HOME", home.toString(), "PATH", bin + ":" + System.getenv("PATH"));

    // README, "Shell completion": the two install lines, run as written
    Procs.Result install =
        Procs.run(
            List.of(
                "bash",
                "-c",
                "conch completion bash > ~/.conch-completion.bash && echo '. ~/.conch-completion.bash' >> ~/.bashrc"),
            env,
            home);
    assertEquals(0, install.code(), install.err());
    assertTrue(
        Files.readString(home.resolve(".conch-completion.bash")).contains("complete -F"),
        "a bash completion script");

    assertEquals(List.of("elect"), complete(env, home, "conch", "el"));
    assertTrue(
        complete(env, home, "conch", "")
            .containsAll(List.of("elect", "sema", "cron", "daemon", "conchd", "completion")));
    assertTrue(complete(env, home, "conch", "elect", "x", "--re").contains("--restart"));
    assertTrue(
        complete(env, home, "conch", "sema", "s", "--")
            .containsAll(List.of("--max", "--nonblock", "--who", "--json", "--endpoints")));
    assertTrue(
        complete(env, home, "conch", "cron", "")
            .containsAll(List.of("add", "ls", "rm", "run", "pause", "resume", "kill", "output")));
    assertEquals(List.of("--grace"), complete(env, home, "conch", "daemon", "--gr"));
    assertEquals(List.of("bash"), complete(env, home, "conch", "completion", ""));
  }

  @Test
  void anotherShellIsAUsageError() {
    Conch c = new Conch(etcd.endpoint());
    for (String[] args : new String[][] {{"completion", "zsh"}, {"completion"}}) {
      Conch.Run r = c.run(args);
      assertEquals(64, r.exit(0), r.stderr());
      assertEquals("", r.stdout());
      assertEquals(1, r.stderr().lines().count(), "one line: " + r.stderr());
    }
    assertTrue(c.run("completion", "zsh").stderr().contains("only bash"));
  }

  /**
   * What TAB offers after {@code words} (the last one being completed), in an interactive bash that
   * read ~/.bashrc: the function comes from `complete -p conch`, as bash itself would find it.
   */
  static List<String> complete(Map<String, String> env, Path home, String... words) {
    StringBuilder w = new StringBuilder();
    for (String word : words) w.append(" '").append(word).append("'");
    String script =
        "fn=$(complete -p conch | sed -n 's/.*-F \\([^ ]*\\).*/\\1/p'); [ -n \"$fn\" ] || exit 9\n"
            + "COMP_WORDS=("
            + w
            + " ); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}\n"
            + "\"$fn\" conch \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\" 2>/dev/null\n"
            + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
    Procs.Result r = Procs.run(List.of("bash", "-i", "-c", script), env, home);
    assertEquals(0, r.code(), "bash found no completion for conch: " + r.err());
    return r.out().lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
  }
}
