package dev.conch.cli;

import dev.conch.base.Failure;
import dev.conch.base.Text;
import dev.conch.coord.Keys;
import dev.conch.etcd.Connection;
import dev.conch.etcd.TlsKeyEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/** How every tool reaches etcd (contract section 2). The password is never an option. */
public final class ConnectionOptions {
  /**
   * The password's variable: read directly, so that it is never an option (nor in a process
   * listing).
   */
  public static final String PASSWORD_ENV = "CONCH_PASSWORD";

  private static final Pattern ENDPOINT =
      Pattern.compile("https?://[A-Za-z0-9.\\-\\[\\]:]+:\\d{1,5}/?");

  @Option(
      names = "--endpoints",
      split = ",",
      paramLabel = "URL",
      defaultValue = "${env:CONCH_ENDPOINTS:-http://127.0.0.1:2379}",
      description =
          "etcd endpoints, comma-separated (env CONCH_ENDPOINTS; default ${DEFAULT-VALUE})")
  List<String> endpoints;

  @Option(
      names = "--prefix",
      paramLabel = "P",
      defaultValue = "${env:CONCH_PREFIX:-/conch}",
      description = "key prefix (env CONCH_PREFIX; default ${DEFAULT-VALUE})")
  String prefix;

  @Option(
      names = "--user",
      paramLabel = "NAME",
      defaultValue = "${env:CONCH_USER}",
      description =
          "etcd user (env CONCH_USER); the password comes from CONCH_PASSWORD or --password-file")
  String user;

  @Option(
      names = "--password-file",
      paramLabel = "F",
      description = "file holding the etcd password")
  Path passwordFile;

  @Option(
      names = "--cacert",
      paramLabel = "F",
      defaultValue = "${env:CONCH_CACERT}",
      description = "CA bundle for TLS (env CONCH_CACERT)")
  Path cacert;

  @Option(
      names = "--cert",
      paramLabel = "F",
      defaultValue = "${env:CONCH_CERT}",
      description = "client certificate (env CONCH_CERT)")
  Path cert;

  @Option(
      names = "--key",
      paramLabel = "F",
      defaultValue = "${env:CONCH_KEY}",
      description = "client key, PKCS#8 PEM (env CONCH_KEY; in a command of conch CONCH_TLS_KEY)")
  String key;

  @Option(
      names = "--dial-timeout",
      paramLabel = "D",
      defaultValue = "5s",
      converter = DurationConverter.class,
      description = "give up on an unreachable etcd after D (default ${DEFAULT-VALUE})")
  Duration dialTimeout;

  /** The key space; a bad prefix is a usage error. */
  public Keys keys() {
    return Keys.under(prefix);
  }

  /** Validated connection settings; reads the password file. Touches no network. */
  public Connection connection() {
    for (String e : endpoints) {
      if (!ENDPOINT.matcher(e).matches())
        throw Failure.badInput(
            "invalid endpoint " + Text.quote(e) + ": write it like http://127.0.0.1:2379");
    }
    boolean https = endpoints.get(0).startsWith("https://");
    for (String e : endpoints) {
      if (e.startsWith("https://") != https)
        throw Failure.badInput("endpoints mix http:// and https://: use one scheme");
    }
    if (!https && (cacert != null || cert != null)) {
      throw Failure.badInput(
          "--cacert/--cert given but the endpoint is "
              + endpoints.get(0)
              + ": write https:// for TLS");
    }
    String file = TlsKeyEnv.file(this.key, System.getenv());
    Path key = file == null ? null : Path.of(file);
    for (Path p : new Path[] {cacert, cert, key}) {
      if (p != null && !Files.isReadable(p)) throw Failure.badInput("cannot read TLS file " + p);
    }
    if ((cert == null) != (key == null)) throw Failure.badInput("--cert and --key go together");
    if (dialTimeout.isZero()) throw Failure.badInput("--dial-timeout must be more than 0s");
    String password = password();
    if (user != null && password == null)
      throw Failure.badInput(
          "--user " + user + " needs a password: set CONCH_PASSWORD or use --password-file");
    return new Connection(List.copyOf(endpoints), user, password, cacert, cert, key, dialTimeout);
  }

  private String password() {
    if (passwordFile != null) {
      try {
        return Files.readString(passwordFile).strip();
      } catch (IOException e) {
        throw Failure.badInput("cannot read --password-file " + passwordFile);
      }
    }
    return System.getenv(PASSWORD_ENV);
  }
}
