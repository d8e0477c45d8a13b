package dev.conch.cli;

import dev.conch.base.Failure;
import java.net.InetSocketAddress;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An address to listen on, {@code HOST:PORT} or {@code [IPv6]:PORT}, as conchd's {@code --metrics}
 * takes it.
 */
public final class HostPort {
  private static final Pattern FORM =
      Pattern.compile("(?:\\[([0-9A-Fa-f:.]+)]|([A-Za-z0-9.-]+)):(\\d{1,5})");

  private HostPort() {}

  /** Checked but not resolved: no I/O. */
  public static InetSocketAddress parse(String text) {
    Matcher m = text == null ? null : FORM.matcher(text);
    if (m == null || !m.matches())
      throw Failure.badInput(
          "invalid address '" + text + "': write it like 127.0.0.1:9464 or [::1]:9464");
    int port = Integer.parseInt(m.group(3));
    if (port < 1 || port > 65535)
      throw Failure.badInput("invalid port " + port + " in '" + text + "': from 1 to 65535");
    return InetSocketAddress.createUnresolved(m.group(1) != null ? m.group(1) : m.group(2), port);
  }

  /** For picocli: parsed, then resolved (a name nobody knows is a usage error too). */
  public static final class Converter
      implements picocli.CommandLine.ITypeConverter<InetSocketAddress> {
    @Override
    public InetSocketAddress convert(String value) {
      try {
        InetSocketAddress a = parse(value);
        InetSocketAddress resolved = new InetSocketAddress(a.getHostString(), a.getPort());
        if (resolved.isUnresolved())
          throw Failure.badInput(
              "cannot resolve host '" + a.getHostString() + "' in '" + value + "'");
        return resolved;
      } catch (Failure f) {
        throw new picocli.CommandLine.TypeConversionException(f.getMessage());
      }
    }
  }
}
