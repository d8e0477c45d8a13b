package dev.conch.cli;

import dev.conch.base.Version;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * {@code --version} of every tool: conch's release and the lib actually loaded, by its Maven
 * coordinates (from the jar's own pom.properties, so a stale jar in ~/.m2 shows itself), and the
 * Java running it: {@code conch 0.2.0 (lib dev.conch:conch-lib 0.2.0, Java 17.0.15)}. The scripts
 * ship with the lib they name in {@code //DEPS}, so conch's release is the lib's; "dev" when the
 * lib runs from its classes.
 */
public final class Versions implements IVersionProvider {
  static final String POM = "/META-INF/maven/dev.conch/conch-lib/pom.properties";

  @Override
  public String[] getVersion() {
    return new String[] {line()};
  }

  public static String line() {
    Properties pom = new Properties();
    try (InputStream in = Versions.class.getResourceAsStream(POM)) {
      if (in != null) pom.load(in);
    } catch (IOException e) {
      // shown as "dev" below
    }
    String lib =
        pom.getProperty("groupId", "dev.conch")
            + ":"
            + pom.getProperty("artifactId", "conch-lib")
            + " "
            + pom.getProperty("version", "dev");
    return "conch "
        + Version.CONCH
        + " (lib "
        + lib
        + ", Java "
        + System.getProperty("java.version")
        + ")";
  }
}
