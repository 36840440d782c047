package org.l2cbeam.registry;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A store that passes every call to a real one, except that writes of keys matching a rule fail (as
 * a network failure or a full disk would) or end the JVM at once (as a killed publisher would):
 * fault injection for the registry's protocol, whatever the backend.
 */
final class FaultyStore implements RegistryStore {
  enum Fault {
    FAIL,
    HALT
  }

  private final RegistryStore real;
  private final Predicate<String> failing;
  private final Fault fault;

  FaultyStore(RegistryStore real, Predicate<String> failing, Fault fault) {
    this.real = real;
    this.failing = failing;
    this.fault = fault;
  }

  private void maybeFail(String key) {
    if (!failing.test(key)) return;
    if (fault == Fault.HALT) Runtime.getRuntime().halt(3);
    throw new RegistryException(real.locate(key), "injected write failure");
  }

  @Override
  public Optional<Stored> read(String key) {
    return real.read(key);
  }

  @Override
  public String createIfAbsent(String key, byte[] bytes) {
    maybeFail(key);
    return real.createIfAbsent(key, bytes);
  }

  @Override
  public String replaceIfGeneration(String key, byte[] bytes, String expectedGeneration) {
    maybeFail(key);
    return real.replaceIfGeneration(key, bytes, expectedGeneration);
  }

  @Override
  public List<String> list(String prefix) {
    return real.list(prefix);
  }

  @Override
  public String locate(String key) {
    return real.locate(key);
  }

  @Override
  public String root() {
    return real.root();
  }
}
