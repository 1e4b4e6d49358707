package io.jix.nic.xdp;

import io.jix.testnet.TestNet;
import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * A process that attaches jix's XDP program to the test network's interface, says so on stdout
 * ({@code READY <prog id> <map id> <mode> huge=<bool>}) and sleeps (at most {@code args[0]} seconds, default 60), to
 * be killed with SIGKILL by {@link XdpNetworkTest}.
 */
public final class XdpChild {

    private XdpChild() {
    }

    public static void main(String[] args) throws Exception {
        long seconds = args.length > 0 ? Long.parseLong(args[0]) : 60;
        XdpPort port = XdpPort.open(TestNet.LOCAL_IF, (Inet4Address) InetAddress.getByName("198.18.0.3"),
                XdpConfig.DEFAULT);
        System.out.println("READY " + port.programId() + " " + port.mapId() + " " + port.mode() + " huge="
                + port.queue(0).hugePages());
        System.out.flush();
        Thread.sleep(seconds * 1000);
        port.close();
    }
}
