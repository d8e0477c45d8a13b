package dev.conch.proc;

import java.time.Duration;
import java.util.List;

/**
 * What a wrapper was asked to do: run {@code cmd} while holding {@code name} for {@code tool}.
 * {@code timeout} is null to wait for ever; {@code restart} keeps the slot and runs the command
 * again.
 */
public record Hold(
    String tool,
    String name,
    List<String> cmd,
    long ttlSeconds,
    Duration killAfter,
    boolean nonblock,
    Duration timeout,
    boolean restart,
    Duration backoffMax,
    Duration stableAfter,
    Duration dialTimeout) {}
