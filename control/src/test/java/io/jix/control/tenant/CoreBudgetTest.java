package io.jix.control.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CoreBudgetTest {

    private static Tenant tenant(String name, String cores) {
        return Tenant.parse("name=" + name + ",app=echo,link=none,cores=" + cores);
    }

    @Test
    void twoTenantsOnTwoCpusGetOneEach() {
        Map<String, CpuSet> a = new CoreBudget(CpuSet.parse("0-1")).allocate(List.of(tenant("a", "1"), tenant("b", "1")));
        assertThat(a.get("a")).isEqualTo(CpuSet.parse("0"));
        assertThat(a.get("b")).isEqualTo(CpuSet.parse("1"));
    }

    @Test
    void sparesGoRoundRobinUpToEachMaximum() {
        CoreBudget budget = new CoreBudget(CpuSet.parse("0-7"));
        Map<String, CpuSet> a = budget.allocate(List.of(tenant("a", "1:2"), tenant("b", "2:8"), tenant("c", "1")));
        assertThat(a.get("a")).isEqualTo(CpuSet.parse("0-1"));
        assertThat(a.get("b")).isEqualTo(CpuSet.parse("2-6"));
        assertThat(a.get("c")).isEqualTo(CpuSet.parse("7"));
    }

    @Test
    void setsAreDisjointAndWhatNobodyWantsStaysSpare() {
        CoreBudget budget = new CoreBudget(CpuSet.parse("2,4-6,9"));
        Map<String, CpuSet> a = budget.allocate(List.of(tenant("a", "1:2"), tenant("b", "1")));
        assertThat(a.get("a")).isEqualTo(CpuSet.parse("2,4"));
        assertThat(a.get("b")).isEqualTo(CpuSet.parse("5"));
        assertThat(budget.spare(a)).isEqualTo(CpuSet.parse("6,9"));
    }

    @Test
    void refusesMinimumsThatDoNotFit() {
        CoreBudget budget = new CoreBudget(CpuSet.parse("0-1"));
        assertThatThrownBy(() -> budget.allocate(List.of(tenant("a", "2"), tenant("b", "1:4"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("need at least 3 CPUs (a 2, b 1:4) but the budget has 2 (0-1)");
    }

    @Test
    void refusesTwoTenantsOfOneName() {
        CoreBudget budget = new CoreBudget(CpuSet.parse("0-3"));
        assertThatThrownBy(() -> budget.allocate(List.of(tenant("a", "1"), tenant("a", "1"))))
                .hasMessageContaining("two tenants are named a");
    }

    @Test
    void aBudgetOutsideThisProcessIsRefused() {
        assertThatThrownBy(() -> CoreBudget.of("1000-1001"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("this process may only use CPUs");
        assertThat(CoreBudget.ofThisProcess().cpus().size()).isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void cpuListsRoundTrip() {
        assertThat(CpuSet.parse("0-3,6, 8-9").toString()).isEqualTo("0-3,6,8-9");
        assertThat(new CpuSet(new int[] {5, 1, 2}).toString()).isEqualTo("1-2,5");
        assertThat(CpuSet.parse("0-3").containsAll(CpuSet.parse("1,3"))).isTrue();
        assertThat(CpuSet.parse("0-3").containsAll(CpuSet.parse("3-4"))).isFalse();
        assertThatThrownBy(() -> CpuSet.parse("3-1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CpuSet.parse("a")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CpuSet.parse("1,1")).hasMessageContaining("twice");
    }

    @Test
    void thisJvmsThreadsAreInsideItsOwnMask() {
        CpuSet mine = CoreBudget.ofThisProcess().cpus();
        assertThat(mine.threadsOutside(ProcessHandle.current().pid())).isEmpty();
        if (mine.size() > 1) {
            CpuSet one = new CpuSet(new int[] {mine.cpus()[0]});
            assertThat(one.threadsOutside(ProcessHandle.current().pid())).isNotEmpty();
        }
    }
}
