package org.l2cbeam.registry;

import java.util.List;
import java.util.Optional;

/**
 * The few storage operations the registry's protocol needs, which Cloud Storage offers natively and
 * a local directory can offer with links, renames and a file lock. {@link RouterRegistry} is
 * written once against this interface, so both backends have the same contract by construction.
 *
 * <p>Keys are relative names with {@code /} separators ({@code
 * <model>/<sampler>-<steps>/v3/router.json}). A write is all-or-nothing: a failed or interrupted
 * write leaves either no object or the previous one, never part of one. Each stored object has a
 * {@link Stored#generation() generation}, a token that changes whenever the object is replaced,
 * which {@link #replaceIfGeneration} compares.
 */
public interface RegistryStore {

  /** An object's bytes and the generation they were read at. */
  record Stored(byte[] bytes, String generation) {}

  /** The object under {@code key}, or empty if there is none. */
  Optional<Stored> read(String key);

  /**
   * Creates {@code key} only if no object exists under it ("does not exist" precondition).
   *
   * @return the new object's generation
   * @throws PreconditionFailedException if an object already exists under {@code key}
   */
  String createIfAbsent(String key, byte[] bytes);

  /**
   * Replaces {@code key} only if its current generation is {@code expectedGeneration}
   * (compare-and-swap).
   *
   * @return the new object's generation
   * @throws PreconditionFailedException if the object was replaced or deleted since that generation
   *     was read
   */
  String replaceIfGeneration(String key, byte[] bytes, String expectedGeneration);

  /** Every key that starts with {@code prefix}, in no particular order. */
  List<String> list(String prefix);

  /** Where {@code key} lives, for messages: {@code gs://bucket/prefix/key} or a local path. */
  String locate(String key);

  /** The registry's root, for messages and display data. */
  String root();
}
