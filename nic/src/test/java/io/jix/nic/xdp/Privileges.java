package io.jix.nic.xdp;

import io.jix.testnet.TestNet;
import org.junit.jupiter.api.Assumptions;

/** Skips (or, under CI=true, fails) tests that need root. */
final class Privileges {

    private Privileges() {
    }

    /** AF_XDP sockets and bpf() need CAP_NET_RAW and CAP_BPF: root here. */
    static void requireRoot() {
        if (!TestNet.isRoot()) {
            String why = "AF_XDP and bpf() need root (CAP_NET_RAW, CAP_BPF); this process is not root";
            if (TestNet.required()) {
                throw new AssertionError("CI=true: " + why);
            }
            Assumptions.abort(why);
        }
    }

    /** The test network, up; skipped with the reason when it cannot be made here (failed under CI=true). */
    static void requireTestNet() {
        String why = TestNet.unavailableReason();
        if (why != null) {
            if (TestNet.required()) {
                throw new AssertionError("CI=true: " + why);
            }
            Assumptions.abort(why);
        }
        TestNet.up();
    }
}
