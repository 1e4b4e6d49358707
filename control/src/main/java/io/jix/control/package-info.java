/** The elastic core-allocation policy and the loop that applies it to a running dataplane. */
package io.jix.control;
