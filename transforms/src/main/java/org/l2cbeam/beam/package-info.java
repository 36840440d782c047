/**
 * Learning-to-Cache for diffusion transformers as Apache Beam transforms, shaped like Beam's {@code
 * TextIO}: {@link org.l2cbeam.beam.LoadModel}, {@link org.l2cbeam.beam.TrainRouter}, {@link
 * org.l2cbeam.beam.CachedSample} and {@link org.l2cbeam.beam.ComputeFID}, with readers and writers
 * for their inputs and outputs, and {@link org.l2cbeam.beam.PipelineProgress} to watch a run. End
 * to end, on the bundled Fashion-MNIST DiT:
 *
 * <pre>{@code
 * DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
 * options.setBlockOnRun(false);
 * Pipeline p = Pipeline.create(options);
 * PCollectionView<ModelRef> model = p.apply(LoadModel.from("builtin:fmnist-dit")).apply("Model", View.asSingleton());
 * PCollectionView<RouterArtifact> router =                // 10 iterations x 10 cache steps at DDIM-20: minutes
 *     p.apply(ReadTrainingExamples.from("builtin:fashion-mnist").withLimit(2000).forModel(model))
 *         .apply(TrainRouter.using(model).withSteps(20).withIterations(10).withLearningRate(5e-2).withBatchSize(16))
 *         .apply("Router", View.asSingleton());
 * PCollection<SampleRequest> requests = p.apply(Create.of(SampleRequest.of(0, 3, 1000), SampleRequest.of(1, 7, 1001)));
 * requests
 *     .apply(CachedSample.using(model).withSteps(20).withCfgScale(1.5)
 *         .withRouter(router).withMacsRemoved(0.25))     // a router trained in the pipeline: θ by MACs removed
 *     .apply(ComputeFID.against("builtin:fmnist-test-stats").withLabel("DDIM-20 + L2C"))
 *     .apply(WriteFidResult.to("fid.json"));
 * PipelineProgress.watch(p.run());                      // progress every 10 s, then every metric
 * FidResult fid = WriteFidResult.read("fid.json");      // FID, images, θ, MACs removed, schedule id
 * }</pre>
 *
 * <p>Models are loaded once per JVM ({@link org.l2cbeam.beam.SharedModels}; release them between
 * runs in a notebook), every model call of a JVM runs on one thread at a time ({@link
 * org.l2cbeam.beam.ModelCallGate}), and elements are plain Java values with coders: no DJL array
 * ever enters a {@code PCollection}. The README's "Use l2c-beam from your own project" has the
 * complete program, with its imports and pom.
 */
package org.l2cbeam.beam;
