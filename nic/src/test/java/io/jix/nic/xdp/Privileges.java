package io.jix.nic.xdp;

import io.jix.testkit.TestNetwork;
import io.jix.testnet.TestNet;

/** Skips (or, under CI=true, fails) tests that need root. */
final class Privileges {

    private Privileges() {
    }

    /** AF_XDP sockets and bpf() need CAP_NET_RAW and CAP_BPF: root here. */
    static void requireRoot() {
        TestNetwork.skipUnless(TestNet.isRoot() ? null
                : "AF_XDP and bpf() need root (CAP_NET_RAW, CAP_BPF); this process is not root");
    }

    /** The test network, up; skipped with the reason when it cannot be made here (failed under CI=true). */
    static void requireTestNet() {
        TestNetwork.upOrSkip();
    }
}
