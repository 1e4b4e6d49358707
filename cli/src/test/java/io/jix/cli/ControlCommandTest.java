package io.jix.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.apps.echo.EchoServer;
import io.jix.apps.memcached.MemcachedServer;
import io.jix.apps.sockperf.SockperfServer;
import io.jix.control.tenant.CoreBudget;
import io.jix.control.tenant.StatusFile;
import io.jix.control.tenant.Tenant;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./jix control} without root: bad configurations are refused with a clear message, and a
 * kernel-backend tenant on loopback ({@code link=none}) really runs, answers, shows in
 * {@code ./jix control status}, and is stopped at the end.
 */
class ControlCommandTest {

    @TempDir
    Path dir;

    @Test
    void refusesWhatCannotRun() {
        CliTest.Run none = CliTest.run("control");
        assertThat(none.status()).isEqualTo(1);
        assertThat(none.err()).contains("no tenants");

        CliTest.Run tooMany = CliTest.run("control", "--budget", "0",
                "--tenant", "name=a,app=echo,link=none,cores=1", "--tenant", "name=b,app=echo,link=none,cores=1");
        assertThat(tooMany.status()).isEqualTo(1);
        assertThat(tooMany.err()).contains("need at least 2 CPUs (a 1, b 1) but the budget has 1 (0)");

        CliTest.Run outside = CliTest.run("control", "--budget", "1000", "--tenant", "name=a,app=echo,link=none");
        assertThat(outside.err()).contains("--budget 1000: this process may only use CPUs");

        CliTest.Run bad = CliTest.run("control", "--tenant", "name=a,app=echo,colour=red");
        assertThat(bad.err()).contains("unknown key 'colour'");
    }

    @Test
    void readsTenantsFromAConfigFile() throws Exception {
        Path config = dir.resolve("tenants.conf");
        Files.writeString(config, """
                # two tenants
                name=web,app=echo,backend=xdp,cores=1

                name=cache,app=memcached,backend=xdp,cores=1:2,args=-m 128
                """);
        ControlCommand c = new ControlCommand();
        c.config = config;
        assertThat(c.tenants()).extracting(Tenant::name).containsExactly("web", "cache");
        Files.writeString(config, "name=web,app=echo\nname=x,app=nope\n");
        CliTest.Run r = CliTest.run("control", "--config", config.toString());
        assertThat(r.err()).contains("tenants.conf line 2: tenant x: unknown app 'nope'");
    }

    @Test
    void tenantDefaultPortsAreTheServersOwn() {
        assertThat(Tenant.App.ECHO.defaultPort()).isEqualTo(EchoServer.DEFAULT_PORT);
        assertThat(Tenant.App.SOCKPERF.defaultPort()).isEqualTo(SockperfServer.DEFAULT_PORT);
        assertThat(Tenant.App.MEMCACHED.defaultPort()).isEqualTo(MemcachedServer.DEFAULT_PORT);
    }

    @Test
    void runsAKernelTenantOnLoopbackShowsItAndStopsIt() throws Exception {
        io.jix.control.tenant.CpuSet cpus = CoreBudget.ofThisProcess().cpus();
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        CompletableFuture<CliTest.Run> run = CompletableFuture.supplyAsync(() -> CliTest.run("control",
                "--duration", "10", "--log-dir", dir.toString(),
                "--tenant", "name=loop,app=echo,link=none,address=127.0.0.1,port=" + port));
        String answer = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (answer == null && System.nanoTime() < deadline && !run.isDone()) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
                s.setSoTimeout(5000);
                OutputStream out = s.getOutputStream();
                out.write("tenant\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                answer = new String(in.readNBytes(7), StandardCharsets.US_ASCII);
            } catch (java.io.IOException notYet) {
                Thread.sleep(100);
            }
        }
        assertThat(answer).isEqualTo("tenant\n");

        CliTest.Run status = CliTest.run("control", "status");
        assertThat(status.out()).contains("supervisor pid " + ProcessHandle.current().pid())
                .containsPattern("loop +echo +kernel +ready +\\d+ +0 +\\d+ +- +127\\.0\\.0\\.1 +" + port + " .* yes ")
                .contains("log of loop: " + dir.resolve("loop.log"));
        assertThat(StatusFile.running()).contains(StatusFile.pathFor(ProcessHandle.current().pid()));

        CliTest.Run done = run.get();
        assertThat(done.status()).as(done.err()).isZero();
        assertThat(done.out()).contains("tenant loop: ready", "all tenants ready").containsPattern("loop .* stopped ");
        assertThat(StatusFile.pathFor(ProcessHandle.current().pid())).doesNotExist();
        assertThat(CoreBudget.ofThisProcess().cpus()).as("the supervisor gave its CPUs back").isEqualTo(cpus);
    }
}
