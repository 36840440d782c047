/**
 * Runnable pipelines built only from the transforms ({@code sample}, {@code evaluate}, {@code
 * train-router}, {@code benchmark}), each with its {@code PipelineOptions}; {@code
 * PipelineLauncher} runs them by name.
 */
package org.l2cbeam.pipelines;
