package org.l2cbeam.core.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.UnitMacs;

/**
 * What sampling, router training and the Beam transforms need from a loaded diffusion transformer,
 * whatever its family: its cache units (names and costs), the shape of its inputs, its classes and
 * null label, and one forward that takes a {@link UnitPlan} and a {@link LayerCache}. {@link DiT}
 * and {@link UViT} implement it; {@link ModelCheckpoint} opens either from a file. The family-wide
 * facts (sampler, step pairing, guidance layout) come from {@link #family()}.
 *
 * <pre>{@code
 * try (DiffusionTransformer model = ModelCheckpoint.open("uvit.pth").load()) {
 *   System.out.println(model.family() + ": " + model.units() + " cache units, " + model.unitNames().get(0));
 * }
 * }</pre>
 *
 * <p>Implementations are thread-safe for forward calls (they only read the weights); each thread
 * keeps its own {@link LayerCache}.
 */
public interface DiffusionTransformer extends AutoCloseable {
  /** DiT or U-ViT: which sampler, step pairing and guidance layout apply. */
  ModelFamily family();

  /** Number of L2C cache units: the attention and the MLP branch of every block. */
  int units();

  /**
   * Unit names in unit order ({@code block0.attn, block0.mlp, ...} or {@code in0.attn, ...,
   * mid.mlp, ...}).
   */
  default List<String> unitNames() {
    return family().unitNames(units());
  }

  /** The multiply-accumulates of each unit and of the rest of a forward, for MAC budgets. */
  UnitMacs macs();

  /** Channels of the model input (4 for SD-VAE latents, 1 or 3 for a pixel-space model). */
  int inChannels();

  /** Height and width of the model input (latent cells for a latent model). */
  int inputSize();

  /** Attention heads (the shapes do not determine them; see {@link ModelCheckpoint}). */
  int numHeads();

  /** Number of real classes; labels are {@code 0..numClasses()-1}. */
  int numClasses();

  /**
   * The label of the unconditional call of classifier-free guidance (one past the real classes in
   * both families).
   */
  int nullLabel();

  /** The kernels and precision this model runs with. */
  ModelExecution execution();

  /**
   * Where the weights live: inputs must come from a manager on this device, and outputs are created
   * there.
   */
  Device device();

  /** The configuration as a JSON-friendly map, for display and provenance. */
  Map<String, Object> describe();

  /**
   * Fails unless every label is a real class {@code 0..numClasses()-1}, naming the first bad one
   * and its position.
   */
  void checkLabels(long[] labels);

  /**
   * The network output for inputs {@code x [N, C, H, W]}, with the cache units handled as {@code
   * plan} says (reading and recording {@code cache}, which may be null for a plan that does
   * neither).
   *
   * @param time per row, the time the network is conditioned on: DiT the original timestep of the
   *     1000-step process (an integer value), U-ViT continuous time × 1000 (not rounded)
   * @param labels per row, a class or {@link #nullLabel()}
   * @return DiT: {@code [N, outC, H, W]} (noise channels, then the learned-variance channels);
   *     U-ViT: the noise {@code [N, C, H, W]}. Attached to {@code x}'s manager.
   */
  NDArray forward(NDArray x, float[] time, long[] labels, UnitPlan plan, LayerCache cache);

  /** Frees the weights. */
  @Override
  void close();
}
