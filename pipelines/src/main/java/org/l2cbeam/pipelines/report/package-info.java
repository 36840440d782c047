/** The benchmark report: {@code report.json}, {@code report.md} and the charts. */
package org.l2cbeam.pipelines.report;
