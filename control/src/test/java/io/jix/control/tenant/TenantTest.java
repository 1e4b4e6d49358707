package io.jix.control.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jix.dataplane.BackendKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class TenantTest {

    @Test
    void parsesEveryKey() {
        Tenant t = Tenant.parse("name=cache, app=memcached, backend=XDP, cores=1:3, link=none, interface=jix0,"
                + " address=198.18.0.1/24, port=11311, nice=-5, args=-m 128 --idle spin,x");
        assertThat(t.name()).isEqualTo("cache");
        assertThat(t.app()).isEqualTo(Tenant.App.MEMCACHED);
        assertThat(t.backend()).isEqualTo(BackendKind.XDP);
        assertThat(t.cores()).isEqualTo(new Tenant.Cores(1, 3));
        assertThat(t.ownLink()).isFalse();
        assertThat(t.interfaceName()).isEqualTo("jix0");
        assertThat(t.address()).isEqualTo("198.18.0.1/24");
        assertThat(t.port()).isEqualTo(11311);
        assertThat(t.nice()).isEqualTo(-5);
        assertThat(t.serveArgs()).containsExactly("-m", "128", "--idle", "spin,x");
    }

    @Test
    void defaultsAreKernelOneCoreOwnLinkAndTheAppsPort() {
        Tenant t = Tenant.parse("name=web,app=echo");
        assertThat(t.backend()).isEqualTo(BackendKind.KERNEL);
        assertThat(t.cores()).isEqualTo(new Tenant.Cores(1, 1));
        assertThat(t.ownLink()).isTrue();
        assertThat(t.port()).isEqualTo(7007);
        assertThat(t.serveArgs()).isEmpty();
        assertThat(Tenant.parse("name=s,app=sockperf").port()).isEqualTo(11111);
    }

    @Test
    void badSpecsSayWhatIsWrong() {
        assertThatThrownBy(() -> Tenant.parse("name=a")).hasMessageContaining("app= is required");
        assertThatThrownBy(() -> Tenant.parse("name=a,app=redis")).hasMessageContaining("unknown app 'redis'");
        assertThatThrownBy(() -> Tenant.parse("name=a,app=echo,colour=red")).hasMessageContaining("unknown key 'colour'");
        assertThatThrownBy(() -> Tenant.parse("name=a,app=echo,cores=2:1")).hasMessageContaining("1 <= min <= max");
        assertThatThrownBy(() -> Tenant.parse("name=a,app=echo,cores=x")).hasMessageContaining("N or MIN:MAX");
        assertThatThrownBy(() -> Tenant.parse("name=a b,app=echo")).hasMessageContaining("tenant name");
        assertThatThrownBy(() -> Tenant.parse("name=a,app=echo,name=b")).hasMessageContaining("given twice");
        assertThatThrownBy(() -> Tenant.parse("name=a,app=echo,address=1.2.3.4")).hasMessageContaining("link=none");
        assertThatThrownBy(() -> Tenant.parse("name=a,app=echo,backend=xdp,link=none"))
                .hasMessageContaining("needs interface=");
        assertThatThrownBy(() -> Tenant.parse("name=a,app=echo,args=--port 9")).hasMessageContaining("may not set --port");
        assertThatThrownBy(() -> Tenant.parse("name=a,app=echo,backend=queues")).hasMessageContaining("not queues");
        assertThatThrownBy(() -> Tenant.parse("name=a,app=echo,port=70000")).hasMessageContaining("port 1..65535");
        assertThatThrownBy(() -> Tenant.parse("name=a,app=echo,nice=-21")).hasMessageContaining("nice -20..19");
        assertThatThrownBy(() -> Tenant.parse("garbage")).hasMessageContaining("expected key=value");
    }

    @Test
    void theCommandLineConfinesAndPlacesTheTenant() {
        Supervisor s = Supervisor.builder()
                .tenants(List.of(Tenant.parse("name=a,app=echo,backend=xdp"),
                        Tenant.parse("name=b,app=memcached,backend=packet,args=-m 32"),
                        Tenant.parse("name=c,app=echo,link=none,address=127.0.0.1,port=7100,nice=-3,args=--threads 1")))
                .budget(new CoreBudget(CpuSet.parse("0-3")))
                .childJvm(new ChildJvm(List.of("java", "Main")))
                .confineWith(List.of("taskset", "-c"))
                .build();
        List<Supervisor.Slot> slots = s.slots();
        assertThat(s.command(slots.get(0))).containsExactly("taskset", "-c", "0", "java", "Main", "serve", "echo",
                "--backend", "xdp", "--interface", "jixt0", "--address", "198.18.16.1/24", "--port", "7007",
                "--threads", "1");
        assertThat(s.command(slots.get(1))).containsExactly("taskset", "-c", "1", "java", "Main", "serve",
                "memcached", "--backend", "packet", "--interface", "jixt1", "--address", "198.18.17.3/24",
                "--port", "11211", "--threads", "1", "-m", "32");
        assertThat(s.command(slots.get(2))).containsExactly("/usr/bin/nice", "-n", "-3", "taskset", "-c", "2", "java", "Main", "serve", "echo",
                "--backend", "kernel", "--address", "127.0.0.1", "--port", "7100", "--threads", "1");
        s.close();
    }
}
