/**
 * The {@code train-router} pipeline: {@code LoadModel} → {@code ReadTrainingExamples} → {@code
 * TrainRouter} → {@code WriteRouter}.
 */
package org.l2cbeam.pipelines.trainrouter;
