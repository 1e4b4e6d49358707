package io.jix.loadgen.memcached;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcessCpuTest {

    @Test
    void utimePlusStimeAreFields14And15InTicks() {
        String line = "4242 (mem cached) (x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 10 0 123 0 0";
        assertThat(ProcessCpu.parse(line)).isEqualTo((250 + 75) * ProcessCpu.NANOS_PER_TICK);
        assertThat(ProcessCpu.parse("garbage")).isEqualTo(-1);
        assertThat(ProcessCpu.parse("1 (x) S 1 2")).isEqualTo(-1);
    }

    @Test
    void thisProcessHasSomeCpuTimeAndAMissingOneNone() {
        assertThat(ProcessCpu.self().nanos()).isGreaterThan(0);
        assertThat(ProcessCpu.of(Integer.MAX_VALUE).nanos()).isEqualTo(-1);
    }
}
