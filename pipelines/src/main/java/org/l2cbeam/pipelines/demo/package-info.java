/** The sizes of {@code l2c demo}: the benchmark pipeline's options for a 2-core machine. */
package org.l2cbeam.pipelines.demo;
