package io.jix.sys;

import static io.jix.sys.BpfAssembler.R0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The bpf() calls themselves; needs CAP_BPF (root here), skipped without it unless CI=true. */
class BpfTest {

    private final Syscalls sys = new Syscalls();

    @BeforeAll
    static void needRoot() {
        if (!Ids.isRoot()) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("CI=true but not root: bpf() needs CAP_BPF");
            }
            Assumptions.abort("bpf() needs CAP_BPF; this process is not root");
        }
    }

    @Test
    void loadsAndTestRunsAProgram() {
        long[] prog = new BpfAssembler().movImm(R0, Bpf.XDP_DROP).exit().assemble();
        int fd = Bpf.progLoad(Bpf.PROG_TYPE_XDP, prog, "Dual MIT/GPL", "jix_test", Bpf.ATTACH_XDP);
        try {
            assertThat(Bpf.progTestRun(fd, new byte[64], null)).isEqualTo(Bpf.XDP_DROP);
        } finally {
            sys.close(fd);
        }
    }

    @Test
    void rejectedProgramCarriesTheVerifierLog() {
        // Returns without setting r0: the verifier refuses ("R0 !read_ok").
        long[] prog = new BpfAssembler().exit().assemble();
        assertThatThrownBy(() -> Bpf.progLoad(Bpf.PROG_TYPE_XDP, prog, "Dual MIT/GPL", "jix_bad", Bpf.ATTACH_XDP))
                .isInstanceOf(SysException.class)
                .hasMessageContaining("verifier log")
                .hasMessageContaining("R0");
    }

    @Test
    void xskMapIsCreatedAndGoneWhenClosed() {
        int fd = Bpf.mapCreate(Bpf.MAP_TYPE_XSKMAP, 4, 4, 2, "jix_test");
        assertThat(fd).isPositive();
        assertThat(Bpf.mapDelete(fd, 0)).isZero(); // an XSKMAP slot may be cleared when empty
        assertThat(Bpf.mapDelete(fd, 5)).isEqualTo(-Errno.EINVAL);
        sys.close(fd);
        assertThatThrownBy(() -> Bpf.mapCreate(Bpf.MAP_TYPE_XSKMAP, 4, 4, 0, "x"))
                .isInstanceOf(SysException.class).hasMessageContaining("EINVAL");
    }

    @Test
    void missingIdsSayEnoent() {
        assertThat(Bpf.progFdById(Integer.MAX_VALUE)).isEqualTo(-Errno.ENOENT);
        assertThat(Bpf.mapFdById(Integer.MAX_VALUE)).isEqualTo(-Errno.ENOENT);
    }
}
