package dev.conch.proc;

import java.time.Duration;
import java.util.List;

/**
 * What a wrapper was asked to do: run {@code cmd} while holding {@code name} for {@code tool}, on a
 * lease of {@code ttlSeconds}. {@code timeout} is null to wait for ever; {@code restart} is null to
 * run the command once. {@code lockDelay}: how long a turn handed over by a key that vanished
 * without being released waits before the command starts (contract section 4).
 */
public record Hold(
    String tool,
    String name,
    List<String> cmd,
    long ttlSeconds,
    Duration dialTimeout,
    Duration killAfter,
    Duration lockDelay,
    boolean nonblock,
    Duration timeout,
    Restart restart) {}
