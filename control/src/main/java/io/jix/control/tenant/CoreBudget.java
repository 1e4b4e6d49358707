package io.jix.control.tenant;

import io.jix.sys.Affinity;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The machine's CPUs that tenants may have, handed out as disjoint sets: every tenant first gets
 * its minimum, then CPUs left over go one at a time, in tenant order, to tenants below their
 * maximum; each tenant's CPUs are adjacent in the budget's order. A configuration whose minimums
 * do not fit is refused, saying by how much. CPUs nobody can use stay spare.
 */
public final class CoreBudget {
    private final CpuSet cpus;

    /** A budget of exactly {@code cpus}. */
    public CoreBudget(CpuSet cpus) {
        if (cpus.size() == 0) {
            throw new IllegalArgumentException("the CPU budget is empty");
        }
        this.cpus = cpus;
    }

    /** The CPUs this process may use (its affinity mask): the default budget. */
    public static CoreBudget ofThisProcess() {
        return new CoreBudget(new CpuSet(Affinity.allowedCpus()));
    }

    /**
     * {@code list} ({@code 0-3,6}) as a budget, which must lie within the CPUs this process may use
     * (a tenant's CPU set is applied from here, and the kernel refuses CPUs outside it).
     */
    public static CoreBudget of(String list) {
        CpuSet wanted = CpuSet.parse(list);
        CpuSet allowed = new CpuSet(Affinity.allowedCpus());
        if (!allowed.containsAll(wanted)) {
            throw new IllegalArgumentException("--budget " + wanted + ": this process may only use CPUs " + allowed);
        }
        return new CoreBudget(wanted);
    }

    /** The CPUs in the budget. */
    public CpuSet cpus() {
        return cpus;
    }

    /**
     * Each tenant's CPUs, in tenant order.
     *
     * @throws IllegalArgumentException when the tenants' minimums add up to more than the budget
     */
    public Map<String, CpuSet> allocate(List<Tenant> tenants) {
        int[] count = new int[tenants.size()];
        int wanted = 0;
        StringBuilder who = new StringBuilder();
        for (int i = 0; i < tenants.size(); i++) {
            count[i] = tenants.get(i).cores().min();
            wanted += count[i];
            who.append(i == 0 ? "" : ", ").append(tenants.get(i).name()).append(' ').append(tenants.get(i).cores());
        }
        if (wanted > cpus.size()) {
            throw new IllegalArgumentException("the tenants need at least " + wanted + " CPUs (" + who
                    + ") but the budget has " + cpus.size() + " (" + cpus + "); lower their cores= minimums,"
                    + " run fewer tenants, or widen --budget");
        }
        int spare = cpus.size() - wanted;
        boolean gave = true;
        while (spare > 0 && gave) {
            gave = false;
            for (int i = 0; i < tenants.size() && spare > 0; i++) {
                if (count[i] < tenants.get(i).cores().max()) {
                    count[i]++;
                    spare--;
                    gave = true;
                }
            }
        }
        int[] all = cpus.cpus();
        Map<String, CpuSet> result = new LinkedHashMap<>();
        int next = 0;
        for (int i = 0; i < tenants.size(); i++) {
            if (result.containsKey(tenants.get(i).name())) {
                throw new IllegalArgumentException("two tenants are named " + tenants.get(i).name());
            }
            result.put(tenants.get(i).name(), new CpuSet(Arrays.copyOfRange(all, next, next + count[i])));
            next += count[i];
        }
        return result;
    }

    /** The budget's CPUs that {@code allocation} leaves to nobody. */
    public CpuSet spare(Map<String, CpuSet> allocation) {
        List<Integer> left = new ArrayList<>();
        outer:
        for (int c : cpus.cpus()) {
            for (CpuSet s : allocation.values()) {
                if (Arrays.binarySearch(s.cpus(), c) >= 0) {
                    continue outer;
                }
            }
            left.add(c);
        }
        return new CpuSet(left.stream().mapToInt(Integer::intValue).toArray());
    }
}
