package dev.conch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Help is generic: an option added later shows its default and its variable without touching Help.
 */
class HelpTest {
  @Command(name = "later", mixinStandardHelpOptions = true, subcommands = Sub.class)
  static class Later {
    @Option(
        names = "--metrics",
        paramLabel = "ADDR",
        defaultValue = "${env:CONCH_TEST_METRICS:-127.0.0.1:9464}",
        description = "serve metrics on ADDR")
    String metrics;

    @Option(
        names = "--log-format",
        paramLabel = "F",
        defaultValue = "text",
        description = "text or json (default ${DEFAULT-VALUE})")
    String logFormat;

    @Option(names = "--quiet", description = "say less")
    boolean quiet;
  }

  @Command(name = "sub", mixinStandardHelpOptions = true)
  static class Sub {
    @Mixin ConnectionOptions conn;
  }

  static String help(CommandLine cl) {
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.execute("--help");
    return out.toString();
  }

  static CommandLine applied(Object command) {
    CommandLine cl = new CommandLine(command);
    Help.apply(cl);
    return cl;
  }

  @Test
  void anOptionsDefaultIsShownOnceWhetherOrNotItsDescriptionSaysIt() {
    String help = help(applied(new Later()));
    assertTrue(
        help.contains("serve metrics on ADDR") && help.contains("(default 127.0.0.1:9464)"), help);
    assertEquals(1, count(help, "default text"), help);
    assertEquals(0, count(help, "default false"), "flags have no default to show: " + help);
  }

  @Test
  void variablesComeFromEnvDefaultsHereAndInSubcommands() {
    String help = help(applied(new Later()));
    String env = help.substring(help.indexOf("Environment"));
    assertTrue(
        env.contains("  CONCH_TEST_METRICS  ") || env.contains("  CONCH_TEST_METRICS "), help);
    for (String v :
        new String[] {
          "CONCH_ENDPOINTS",
          "CONCH_PREFIX",
          "CONCH_USER",
          "CONCH_PASSWORD",
          "CONCH_CACERT",
          "CONCH_CERT",
          "CONCH_KEY"
        }) {
      assertTrue(
          env.contains("  " + v + " "), v + " from the subcommand's ConnectionOptions: " + help);
    }
  }

  @Test
  void anUnknownCommandListsTheWholeTableAndTheVersionIsConchs() throws Exception {
    CommandLine cl = applied(new Later());
    String help = help(cl);
    for (String code :
        new String[] {"CMD's", "0", "1", "64", "69", "70", "75", "77", "129,130,143"}) {
      assertTrue(
          Pattern.compile("\\n  " + Pattern.quote(code) + " ").matcher(help).find(),
          code + " in " + help);
    }
    String version = cl.getCommandSpec().versionProvider().getVersion()[0];
    Matcher m =
        Pattern.compile("conch \\S+ \\(lib dev\\.conch:conch-lib \\S+, Java \\S+\\)")
            .matcher(version);
    assertTrue(m.matches(), version);
  }

  private static int count(String s, String part) {
    return s.split(Pattern.quote(part), -1).length - 1;
  }
}
