package dev.conch.base;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** This host's name, as every holder value and event line names it. */
public final class Host {
  private Host() {}

  /** $HOSTNAME when set (containers and systemd set it), else what the resolver says. */
  public static String name() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) return env;
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
