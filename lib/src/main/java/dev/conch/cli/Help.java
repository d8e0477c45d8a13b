package dev.conch.cli;

import dev.conch.base.Text;
import dev.conch.etcd.TlsKeyEnv;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The parts of every help page that the scripts do not write themselves: the exit codes of contract
 * section 5 as they apply to the command, the environment it reads (found from the options whose
 * default is {@code ${env:NAME…}}, so an option added later is listed without touching this class),
 * the environment CMD gets, every default value, and {@code --version}. {@link Cli} applies it to
 * the whole command tree of whichever script runs, so {@code elect.java --help} alone says as much
 * as {@code conch elect --help}. The scripts keep their description and one {@code Example:} each.
 */
public final class Help {
  /** The help section this class adds, between the options (or subcommands) and the exit codes. */
  public static final String SECTION_ENVIRONMENT = "environment";

  private static final Pattern ENV_DEFAULT = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)");

  /** What CMD finds in its environment, by command name: a heading, then variable and meaning. */
  private static final Map<String, String[][]> CMD_ENV =
      Map.of(
          "elect", holding("elect", "the office"),
          "sema", holding("sema", "the semaphore"),
          "add", running(),
          "daemon", running());

  private Help() {}

  private static String[][] holding(String tool, String name) {
    return new String[][] {
      {"CMD runs in its own process group, with conch's stdin, stdout and stderr, and:"},
      {"CONCH_TOOL", tool},
      {"CONCH_NAME", name},
      {"CONCH_REV", "fencing token: our key's create revision (grows per holder)"},
      {"CONCH_LEASE", "our lease, hex"},
      {
        "CONCH_KEY",
        "our key: a txn guarded by create_revision(CONCH_KEY) == CONCH_REV lands only while we hold"
      }
    };
  }

  private static String[][] running() {
    return new String[][] {
      {"A run's CMD runs in its own process group, on the daemon that claimed the tick:"},
      {"CONCH_TOOL", "cron"},
      {"CONCH_JOB", "the job (also CONCH_NAME)"},
      {"CONCH_TICK", "the scheduled time, ISO-8601"},
      {"CONCH_REV", "fencing token: the claim's create revision"},
      {"CONCH_LEASE", "the daemon's lease, hex"},
      {"CONCH_KEY", "the run's record key"}
    };
  }

  /** Applies conch's help to {@code root} and every subcommand below it. */
  public static void apply(CommandLine root) {
    root.setUsageHelpAutoWidth(true); // a terminal's width; 80 columns when piped
    decorate(root, Collections.newSetFromMap(new IdentityHashMap<>()));
  }

  private static void decorate(CommandLine cl, Set<CommandLine> done) {
    if (!done.add(cl)) return; // an alias (conchd) maps to the same command
    CommandSpec spec = cl.getCommandSpec();
    spec.versionProvider(new Versions());
    String[][] codes = HelpCodes.of(spec.name());
    Map<String, String> list = new LinkedHashMap<>();
    for (String[] c : codes) list.put(c[0], c[1]);
    spec.usageMessage()
        .exitCodeListHeading("%nExit codes:%n")
        .exitCodeList(list)
        .sortOptions(false); // as declared
    if (spec.positionalParameters().stream().anyMatch(p -> p.paramLabel().equals("CMD"))) {
      spec.usageMessage()
          .showEndOfOptionsDelimiterInUsageHelp(
              true); // "[--] NAME [CMD...]": CMD's options stay CMD's
    }
    cl.setHelpFactory(DefaultsShown::new);
    cl.getHelpSectionMap().put(SECTION_ENVIRONMENT, help -> environment(help.commandSpec()));
    List<String> keys = new ArrayList<>(cl.getHelpSectionKeys());
    if (!keys.contains(SECTION_ENVIRONMENT)) {
      keys.add(
          keys.indexOf(CommandLine.Model.UsageMessageSpec.SECTION_KEY_EXIT_CODE_LIST_HEADING),
          SECTION_ENVIRONMENT);
      cl.setHelpSectionKeys(keys);
    }
    for (CommandLine sub : cl.getSubcommands().values()) decorate(sub, done);
  }

  /**
   * The variables that set an option's default, here and in every subcommand, plus CONCH_PASSWORD
   * (read directly, never an option), and what CMD gets.
   */
  static String environment(CommandSpec spec) {
    Map<String, String> vars = new LinkedHashMap<>();
    collect(spec, vars);
    StringBuilder b = new StringBuilder();
    if (!vars.isEmpty()) {
      b.append(String.format("%nEnvironment (sets the option's default; the option wins):%n"));
      vars.forEach((k, v) -> b.append(String.format("  %-16s %s%n", k, v)));
    }
    String[][] cmdEnv = CMD_ENV.get(spec.name());
    if (cmdEnv != null) {
      b.append(String.format("%n%s%n", cmdEnv[0][0]));
      for (String[] e : List.of(cmdEnv).subList(1, cmdEnv.length))
        b.append(String.format("  %-16s %s%n", e[0], e[1]));
    }
    return b.toString();
  }

  private static void collect(CommandSpec spec, Map<String, String> vars) {
    boolean interpolate = spec.interpolateVariables();
    spec.interpolateVariables(
        false); // the raw default, "${env:CONCH_PREFIX:-/conch}", names the variable
    try {
      for (OptionSpec o : spec.options()) {
        String raw = o.defaultValue();
        if (raw == null) continue;
        Matcher m = ENV_DEFAULT.matcher(raw);
        while (m.find()) vars.putIfAbsent(m.group(1), "default of " + o.longestName());
      }
    } finally {
      spec.interpolateVariables(interpolate);
    }
    for (Object mixin : spec.mixins().values().stream().map(CommandSpec::userObject).toList()) {
      if (mixin instanceof ConnectionOptions) {
        vars.put(ConnectionOptions.PASSWORD_ENV, "the etcd password for --user; CMD never sees it");
        vars.put(TlsKeyEnv.NESTED, "the --key file inside a command of conch (CONCH_KEY is ours)");
      }
    }
    for (CommandLine sub : spec.subcommands().values()) {
      if (sub.getCommandSpec() != spec) collect(sub.getCommandSpec(), vars);
    }
  }

  /**
   * Shows each option's default value: an option whose description does not mention its default
   * gets a {@code (default X)} line, so an option added later cannot hide its default.
   */
  static final class DefaultsShown extends CommandLine.Help {
    DefaultsShown(CommandSpec spec, ColorScheme scheme) {
      super(spec, scheme);
    }

    @Override
    public IOptionRenderer createDefaultOptionRenderer() {
      IOptionRenderer plain = super.createDefaultOptionRenderer();
      return (option, labels, scheme) -> {
        Ansi.Text[][] rows = plain.render(option, labels, scheme);
        String value = option.defaultValue();
        if (value == null
            || option.usageHelp()
            || option.versionHelp()
            || isFlag(option)
            || String.join(" ", option.description()).contains("default")) {
          return rows;
        }
        Ansi.Text[][] more = Arrays.copyOf(rows, rows.length + 1);
        Ansi.Text empty = scheme.ansi().new Text("", scheme);
        more[rows.length] =
            new Ansi.Text[] {
              empty,
              empty,
              empty,
              empty,
              scheme.ansi().new Text("  (default " + value + ")", scheme)
            };
        return more;
      };
    }

    private static boolean isFlag(OptionSpec o) {
      return o.arity().max() == 0;
    }
  }
}
