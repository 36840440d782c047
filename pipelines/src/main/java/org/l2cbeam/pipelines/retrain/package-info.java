/**
 * The {@code retrain} pipeline: train a candidate router, judge it against the registry's latest on
 * fixed probes at the same MAC budget, publish it only if it passes the gate, and report (the
 * scheduled-retraining loop).
 */
package org.l2cbeam.pipelines.retrain;
