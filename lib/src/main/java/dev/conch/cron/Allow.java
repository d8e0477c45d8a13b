package dev.conch.cron;

import dev.conch.base.Failure;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A daemon's allow-list (`conch daemon --allow PATTERN`): the commands this host will run, whoever
 * put them in the table. A pattern is a glob over the whole command line, the arguments joined by
 * single spaces (an argument holding a space or a quote shown quoted, so that the line is
 * unambiguous): {@code *} is any run of characters but {@code /}, {@code **} any run at all, {@code
 * ?} one character but {@code /}. So {@code /opt/jobs/*} allows every program in /opt/jobs with
 * plain arguments, but not {@code /opt/jobs/../../bin/sh}, and not a path argument; no pattern at
 * all allows everything.
 */
public final class Allow {
  private final List<Pattern> patterns;

  private Allow(List<String> globs) {
    this.patterns = globs.stream().map(Allow::regex).map(Pattern::compile).toList();
  }

  /** An empty list allows everything, as a daemon without --allow does. */
  public static Allow of(List<String> globs) {
    List<String> g = globs == null ? List.of() : globs;
    for (String p : g) {
      if (p.isBlank())
        throw Failure.badInput("--allow needs a pattern, e.g. --allow '/opt/jobs/*'");
    }
    return new Allow(g);
  }

  public boolean everything() {
    return patterns.isEmpty();
  }

  public boolean allows(List<String> cmd) {
    String line = commandLine(cmd);
    return everything() || patterns.stream().anyMatch(p -> p.matcher(line).matches());
  }

  /**
   * The arguments joined by spaces, each one holding whitespace, a quote or nothing at all in
   * single quotes.
   */
  public static String commandLine(List<String> cmd) {
    return cmd.stream()
        .map(
            a ->
                a.isEmpty() || a.matches("(?s).*[\\s'\"\\\\].*")
                    ? "'" + a.replace("'", "'\\''") + "'"
                    : a)
        .collect(Collectors.joining(" "));
  }

  private static String regex(String glob) {
    StringBuilder r = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
        r.append("(?s:.*)");
        i++;
      } else if (c == '*') {
        r.append("[^/]*");
      } else if (c == '?') {
        r.append("[^/]");
      } else {
        r.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return r.toString();
  }
}
