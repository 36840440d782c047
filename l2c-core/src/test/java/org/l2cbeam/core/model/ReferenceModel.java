package org.l2cbeam.core.model;

import ai.djl.ndarray.NDManager;
import java.util.function.BiFunction;
import org.junit.rules.ExternalResource;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.runtime.Torch;

/**
 * A small reference model of the vectors ({@code vectors/dit_model.safetensors} or {@code
 * uvit_model.safetensors}, both 4 heads), loaded once per test class: declare it as a
 * {@code @ClassRule} and the model and its root manager are closed after the class's last test.
 */
public final class ReferenceModel<M extends AutoCloseable> extends ExternalResource {
  public static final int HEADS = 4;

  private final String file;
  private final boolean inferenceMode;
  private final BiFunction<WeightMap, NDManager, M> loader;
  private WeightMap weights;
  private NDManager manager;
  private M model;

  private ReferenceModel(
      String file, boolean inferenceMode, BiFunction<WeightMap, NDManager, M> loader) {
    this.file = file;
    this.inferenceMode = inferenceMode;
    this.loader = loader;
  }

  /** The DiT, for forwards and samplers: autograd is turned off on the test thread first. */
  public static ReferenceModel<DiT> dit() {
    return new ReferenceModel<>("dit_model.safetensors", true, ReferenceModel::loadDiT);
  }

  /**
   * The DiT, for router training: the thread's grad mode is left alone (the trainer's gradient
   * collector sets it).
   */
  public static ReferenceModel<DiT> ditForRouterTraining() {
    return new ReferenceModel<>("dit_model.safetensors", false, ReferenceModel::loadDiT);
  }

  /** The U-ViT (it owns its weights' manager); autograd is turned off on the test thread first. */
  public static ReferenceModel<UViT> uvit() {
    return new ReferenceModel<>(
        "uvit_model.safetensors", true, (weights, manager) -> UViT.load(weights, HEADS));
  }

  private static DiT loadDiT(WeightMap weights, NDManager manager) {
    return DiT.load(weights, DiTConfig.infer(weights, HEADS), manager);
  }

  @Override
  protected void before() {
    if (inferenceMode) Torch.inferenceMode();
    manager = Torch.newManager();
    weights = WeightMap.open(TestResources.vector(file));
    model = loader.apply(weights, manager);
  }

  @Override
  protected void after() {
    try {
      model.close();
    } catch (Exception e) {
      throw new IllegalStateException("closing the reference model of " + file, e);
    } finally {
      manager.close();
    }
  }

  public M model() {
    return model;
  }

  /** The root manager of the test class; scope each test's arrays in a sub-manager of it. */
  public NDManager manager() {
    return manager;
  }

  /** The state dict the model was loaded from. */
  public WeightMap weights() {
    return weights;
  }

  /** The state dict's fingerprint, which router training records as the model it trained for. */
  public String fingerprint() {
    return weights.fingerprint();
  }
}
