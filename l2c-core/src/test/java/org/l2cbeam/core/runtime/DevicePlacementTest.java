package org.l2cbeam.core.runtime;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.BeforeClass;
import org.junit.Test;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.diffusion.DdimSampler;
import org.l2cbeam.core.diffusion.DiTSampler;
import org.l2cbeam.core.diffusion.DiscreteVpSchedule;
import org.l2cbeam.core.diffusion.DpmSolver2S;
import org.l2cbeam.core.diffusion.Guidance;
import org.l2cbeam.core.diffusion.NoiseSchedule;
import org.l2cbeam.core.diffusion.StepListener;
import org.l2cbeam.core.diffusion.UViTSampler;
import org.l2cbeam.core.fid.FmnistFeatureNet;
import org.l2cbeam.core.fid.InceptionV3Fid;
import org.l2cbeam.core.io.WeightMap;
import org.l2cbeam.core.model.DiT;
import org.l2cbeam.core.model.DiTConfig;
import org.l2cbeam.core.model.LayerCache;
import org.l2cbeam.core.model.ModelExecution;
import org.l2cbeam.core.model.UViT;
import org.l2cbeam.core.model.UViTConfig;
import org.l2cbeam.core.model.UnitPlan;
import org.l2cbeam.core.router.CacheSchedule;
import org.l2cbeam.core.router.ModelFamily;
import org.l2cbeam.core.router.train.AdamW;
import org.l2cbeam.core.router.train.AdamWConfig;
import org.l2cbeam.core.router.train.DiTRouterObjective;
import org.l2cbeam.core.router.train.RouterTrainer;
import org.l2cbeam.core.router.train.RouterTrainingState;
import org.l2cbeam.core.router.train.TrainingBatch;
import org.l2cbeam.core.router.train.TrainingSettings;
import org.l2cbeam.core.vae.AutoencoderKL;
import org.l2cbeam.core.vae.RandomVaeParameters;
import org.l2cbeam.core.vae.VaeConfig;

/**
 * Every model, cache, sampler, router trainer, VAE and FID network keeps its weights, and every
 * tensor it hands back, on the device its caller chose, and a model refuses an input from another
 * device with a message naming both.
 *
 * <p>The device is the JVM's ({@code -Dl2c.device}, default {@code auto}): the CPU here, the GPU
 * where {@code scripts/gpu-check} runs this class with {@code -Dl2c.device=gpu}. On a CPU every
 * device compares equal, so besides each tensor's device the checks follow ownership: every output,
 * intermediate and recorded unit must belong to the caller's manager tree (whose root was created
 * on the requested device). A tensor made in a manager of its own (on a GPU run, a CPU tensor about
 * to meet GPU weights) belongs to another tree and fails here too, on a CPU.
 */
public class DevicePlacementTest {
  private static final Device REQUESTED = ComputeDevice.defaults().resolve();

  @BeforeClass
  public static void engine() {
    Torch.inferenceMode();
  }

  private static void assertOnRequested(String what, NDArray x, NDManager root) {
    assertEquals(what + ": owning manager's device", REQUESTED, x.getManager().getDevice());
    assertTrue(
        what + ": tensor on " + x.getDevice(), SameDevice.sameHardware(x.getDevice(), REQUESTED));
    for (NDManager m = x.getManager(); m != root; m = m.getParentManager()) {
      assertNotNull(
          what + " belongs to a manager outside the caller's tree (" + x.getManager() + ")", m);
    }
  }

  private static DiT smallDiT(NDManager root) {
    WeightMap w = WeightMap.open(TestResources.vector("dit_model.safetensors"));
    return DiT.load(w, DiTConfig.infer(w, 4), root);
  }

  @Test
  public void ditForwardCachedForwardAndSamplerStayOnTheModelsDevice() {
    try (NDManager root = Torch.newManager(REQUESTED);
        DiT dit = smallDiT(root);
        NDManager call = root.newSubManager();
        LayerCache cache = new LayerCache(call, dit.units())) {
      assertEquals(REQUESTED, dit.device());
      NDArray x = call.randomNormal(new Shape(2, 4, 8, 8));
      NDArray t = call.create(new long[] {10, 500});
      NDArray y = call.create(new long[] {1, 2});
      List<String> observed = new ArrayList<>();
      NDArray full =
          dit.forward(
              x,
              t,
              y,
              UnitPlan.recordAll(dit.units()),
              cache,
              (name, value) -> {
                observed.add(name);
                assertOnRequested("intermediate " + name, value, root);
              });
      assertOnRequested("full forward", full, root);
      assertTrue("the probe saw the forward's intermediates", observed.size() > 5);
      for (int u = 0; u < dit.units(); u++)
        assertOnRequested("recorded unit " + u, cache.get(u), root);
      boolean[] reuseOdd = new boolean[dit.units()];
      for (int u = 0; u < reuseOdd.length; u += 2) reuseOdd[u] = true;
      assertOnRequested(
          "cached forward", dit.forward(x, t, y, UnitPlan.hard(reuseOdd), cache), root);

      DiTSampler sampler =
          new DiTSampler(
              dit,
              new DdimSampler(NoiseSchedule.dit(4)),
              new Guidance(1.5, Guidance.Channels.FIRST_THREE),
              CacheSchedule.allCompute(4, dit.units()));
      assertOnRequested(
          "DDIM samples",
          sampler.sample(
              call.randomNormal(new Shape(2, 4, 8, 8)), new long[] {3, 4}, StepListener.NONE),
          root);
    }
  }

  @Test
  public void routerTrainingCreatesItsBatchesOnTheModelsDevice() {
    try (NDManager root = Torch.newManager(REQUESTED);
        DiT dit = smallDiT(root)) {
      DiTRouterObjective objective = new DiTRouterObjective(dit, NoiseSchedule.dit(4), 0.1);
      assertEquals(REQUESTED, objective.device());
      TrainingSettings settings =
          new TrainingSettings(
              ModelFamily.DIT,
              4,
              0.1,
              AdamWConfig.l2c(1e-3),
              2,
              0,
              TrainingSettings.RANDOM_CACHE_STEP,
              AdamW.ZeroGrad.SET_TO_NONE);
      RouterTrainingState state = RouterTrainingState.initial(settings, dit.units());
      int values = 2 * 4 * 8 * 8;
      float[] x0 = new float[values];
      float[] noise = new float[values];
      for (int i = 0; i < values; i++) {
        x0[i] = (float) Math.sin(i);
        noise[i] = (float) Math.cos(3 * i);
      }
      // run() scopes its own manager on objective.device(): on any other device the model would
      // refuse every batch
      new RouterTrainer(objective, settings)
          .run(
              state,
              (iteration, cacheStep) ->
                  new TrainingBatch(
                      new int[] {2, 4, 8, 8},
                      x0,
                      new long[] {1, 2},
                      cacheStep,
                      noise,
                      new boolean[2]),
              2,
              null,
              0,
              null,
              0);
      assertEquals(2, state.iteration());
    }
  }

  @Test
  public void uvitForwardAndSamplerStayOnTheModelsDevice() {
    UViTConfig c = new UViTConfig(8, 2, 4, 32, 3, 2, 64, 5);
    try (UViT uvit = UViT.randomWeights(c, 1, ModelExecution.defaults(), REQUESTED);
        NDManager call = Torch.newManager(REQUESTED)) {
      assertEquals(REQUESTED, uvit.device());
      NDArray x = call.randomNormal(new Shape(2, c.inChannels, c.imageSize, c.imageSize));
      assertOnRequested(
          "U-ViT forward", uvit.forward(x, new float[] {100f, 900f}, new long[] {0, 1}), call);
      UViTSampler sampler =
          new UViTSampler(
              uvit, new DpmSolver2S(DiscreteVpSchedule.stableDiffusion(), 4), 1.0, null);
      assertOnRequested("DPM-Solver samples", sampler.sample(x, new long[] {0, 1}, null), call);
    }
  }

  @Test
  public void vaeEncodeAndDecodeStayOnTheVaesDevice() {
    VaeConfig small = new VaeConfig(32, new int[] {1, 2}, 1, 3, 3, 4, 4);
    try (AutoencoderKL vae = AutoencoderKL.create(new RandomVaeParameters(small), REQUESTED);
        NDManager call = Torch.newManager(REQUESTED)) {
      assertEquals(REQUESTED, vae.device());
      NDArray images = call.randomUniform(-1f, 1f, new Shape(1, 3, 16, 16));
      NDArray latent = vae.encode(images, call.randomNormal(new Shape(1, 4, 8, 8)));
      assertOnRequested("VAE latent", latent, call);
      assertOnRequested("VAE decode", vae.decode(latent), call);
    }
  }

  @Test
  public void fidNetworksStayOnTheirDevice() {
    try (FmnistFeatureNet fmnist = FmnistFeatureNet.builtin(REQUESTED);
        InceptionV3Fid inception = InceptionV3Fid.withHashWeights(0, REQUESTED);
        NDManager call = Torch.newManager(REQUESTED)) {
      assertEquals(REQUESTED, fmnist.device());
      assertEquals(REQUESTED, inception.device());
      assertOnRequested(
          "Fashion-MNIST features",
          fmnist.forward(call.randomUniform(-1f, 1f, new Shape(2, 1, 28, 28))),
          call);
      assertOnRequested(
          "Inception features",
          inception.forward(call.randomUniform(0f, 1f, new Shape(1, 3, 75, 75))),
          call);
    }
  }

  @Test
  public void anOutputMadeOutsideTheCallersTreeIsCaught() {
    try (NDManager root = Torch.newManager(REQUESTED);
        NDManager stray = Torch.newManager(REQUESTED)) {
      NDArray x = stray.zeros(new Shape(2));
      assertThrows(AssertionError.class, () -> assertOnRequested("a stray", x, root));
    }
  }

  /**
   * No GPU here: the check itself is given a GPU model device against this machine's CPU tensors.
   */
  @Test
  public void inputsFromAnotherDeviceAreRefusedNamingBothDevices() {
    try (NDManager cpu = Torch.newManager(Device.cpu())) {
      NDArray x = cpu.zeros(new Shape(2, 4, 8, 8));
      SameDevice.check("latent x", x, Device.cpu(), "this DiT");
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> SameDevice.check("latent x", x, Device.gpu(0), "this DiT"));
      assertThat(e.getMessage(), containsString("latent x is on cpu() in a manager on cpu()"));
      assertThat(e.getMessage(), containsString("this DiT's weights are on gpu(0)"));
      assertThat(e.getMessage(), containsString("Torch.newManager(model.device())"));
    }
    assertTrue(SameDevice.sameHardware(Device.gpu(1), Device.gpu(1)));
    assertTrue(!SameDevice.sameHardware(Device.gpu(1), Device.gpu(0)));
    assertTrue(!SameDevice.sameHardware(Device.cpu(), Device.gpu(0)));
  }
}
