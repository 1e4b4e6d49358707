package io.jix.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class PlacementTest {

    @Test
    void allowedCpusAgreeWithTheCount() {
        int[] cpus = Affinity.allowedCpus();
        assertThat(cpus).isNotEmpty().isSorted();
        assertThat(Affinity.availableCpus()).isEqualTo(cpus.length);
        assertThat(cpus.length).isLessThanOrEqualTo(Runtime.getRuntime().availableProcessors() * 2);
        assertThat(Affinity.currentCpu()).isBetween(0, Affinity.MAX_CPUS - 1);
    }

    @Test
    void pinnedThreadRunsOnItsCpu() throws InterruptedException {
        int[] cpus = Affinity.allowedCpus();
        for (int cpu : new int[] {cpus[0], cpus[cpus.length - 1]}) {
            AtomicReference<Object> result = new AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    Affinity.pinCurrentThread(cpu);
                    boolean always = true;
                    for (int i = 0; i < 1_000; i++) {
                        always &= Affinity.currentCpu() == cpu;
                        Thread.yield();
                    }
                    result.set(always);
                } catch (Throwable e) {
                    result.set(e);
                }
            });
            t.join();
            assertThat(result.get()).as("cpu %d", cpu).isEqualTo(true);
        }
        // The process-wide view is unaffected by pinning a thread.
        assertThat(Affinity.allowedCpus()).containsExactly(cpus);
    }

    @Test
    void pinningToACpuOutsideTheMaskFails() {
        // No machine this runs on has 1024 CPUs, so the mask names no online CPU.
        int outside = Affinity.MAX_CPUS - 1;
        AtomicReference<Throwable> error = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                Affinity.pinCurrentThread(outside);
            } catch (Throwable e) {
                error.set(e);
            }
        });
        try {
            t.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertThat(error.get()).isInstanceOf(SysException.class)
                .hasMessage("sched_setaffinity(thread, cpu " + outside + ") failed: EINVAL (22)");
    }

    @Test
    void openFileLimitCanBeRaisedToTheHardLimit() {
        long hard = Limits.openFileHardLimit();
        assertThat(Limits.raiseOpenFileLimit()).isEqualTo(hard);
        assertThat(Limits.openFileLimit()).isEqualTo(hard);
    }

    @Test
    void ids() {
        assertThat(Ids.pid()).isEqualTo((int) ProcessHandle.current().pid());
        assertThat(Ids.gettid()).isPositive().isNotEqualTo(Ids.pid());
        AtomicReference<Integer> other = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> other.set(Ids.gettid()));
        try {
            t.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertThat(other.get()).isNotEqualTo(Ids.gettid());
        assertThat(Ids.isRoot()).isEqualTo("root".equals(System.getProperty("user.name")));
    }
}
