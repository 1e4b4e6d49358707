package io.jix.control.tenant;

import io.jix.dataplane.BackendKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One tenant: a dataplane ({@code ./jix serve APP}) the supervisor runs as its own process, on its
 * own link and address, confined to its own CPUs.
 *
 * <p>Written as comma-separated {@code key=value} pairs, the form {@code ./jix control --tenant}
 * and a config file's lines take:
 * <pre>name=web,app=echo,backend=xdp,cores=1
 * name=cache,app=memcached,backend=kernel,cores=1:2,args=-m 256 --idle spin</pre>
 * Keys: {@code name} (required; letters, digits, '-', at most 32), {@code app} (echo, sockperf or
 * memcached; required), {@code backend} (kernel, xdp or packet; default kernel), {@code cores}
 * ({@code N} or {@code MIN:MAX}; default 1), {@code link} ({@code auto}: the supervisor makes the
 * tenant its own veth pair of {@link io.jix.testnet.TenantLinks} and serves on its address, the
 * default; {@code none}: use {@code interface} and {@code address} as given), {@code interface},
 * {@code address} ({@code IP[/PREFIX]}), {@code port} (default: the application's), {@code nice}
 * (the process's niceness, -20 to 19, default 0: a lower one makes the tenant win its CPUs back
 * sooner from other programs of the machine), and {@code args} (more {@code ./jix serve APP} options, blank-separated; it must come last and takes
 * the rest of the text, commas included).
 *
 * @param name unique name, used in status, logs and stats
 * @param app the application
 * @param backend the network stack
 * @param cores how many CPUs it wants
 * @param ownLink whether the supervisor makes it a link of its own
 * @param interfaceName with {@code ownLink} false: the interface its native backend takes, or null
 * @param address with {@code ownLink} false: its address ({@code IP[/PREFIX]}), or null for the serve default
 * @param port its TCP (and UDP) port
 * @param nice its niceness (-20..19)
 * @param serveArgs further {@code ./jix serve APP} options
 */
public record Tenant(String name, App app, BackendKind backend, Cores cores, boolean ownLink, String interfaceName,
                     String address, int port, int nice, List<String> serveArgs) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,31}");
    private static final List<String> KEYS =
            List.of("name", "app", "backend", "cores", "link", "interface", "address", "port", "nice", "args");
    /** Options the supervisor sets itself; a tenant's args may not set them again. */
    private static final List<String> RESERVED = List.of("--backend", "--interface", "--address", "--port", "-p");

    /** The applications a tenant can run, with their default ports ({@code ./jix serve}'s). */
    public enum App {
        /** {@code ./jix serve echo}. */
        ECHO(7007),
        /** {@code ./jix serve sockperf}. */
        SOCKPERF(11111),
        /** {@code ./jix serve memcached}. */
        MEMCACHED(11211);

        private final int defaultPort;

        App(int defaultPort) {
            this.defaultPort = defaultPort;
        }

        /** The port {@code ./jix serve} uses when none is given. */
        public int defaultPort() {
            return defaultPort;
        }

        /** The {@code ./jix serve} subcommand. */
        public String command() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * How many CPUs a tenant wants: at least {@code min}, and up to {@code max} when the budget has
     * CPUs to spare.
     *
     * @param min CPUs it cannot run without
     * @param max CPUs it can use
     */
    public record Cores(int min, int max) {
        /** Checks {@code 1 <= min <= max <= 1024}. */
        public Cores {
            if (min < 1 || max < min || max > 1024) {
                throw new IllegalArgumentException("cores: need 1 <= min <= max <= 1024, got " + min + ":" + max);
            }
        }

        /** {@code N} or {@code MIN:MAX}. */
        public static Cores parse(String text) {
            String t = text.strip();
            int colon = t.indexOf(':');
            try {
                return colon < 0 ? new Cores(Integer.parseInt(t), Integer.parseInt(t))
                        : new Cores(Integer.parseInt(t.substring(0, colon)), Integer.parseInt(t.substring(colon + 1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("cores: N or MIN:MAX, not '" + text + "'", e);
            }
        }

        @Override
        public String toString() {
            return min == max ? Integer.toString(min) : min + ":" + max;
        }
    }

    /** Checks the fields together. */
    public Tenant {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("tenant name: letters, digits and '-', 1 to 32, not '" + name + "'");
        }
        if (app == null || backend == null || cores == null) {
            throw new IllegalArgumentException("tenant " + name + ": app, backend and cores are required");
        }
        if (backend == BackendKind.QUEUES) {
            throw new IllegalArgumentException("tenant " + name + ": backend kernel, xdp or packet, not queues");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("tenant " + name + ": port 1..65535, not " + port);
        }
        if (nice < -20 || nice > 19) {
            throw new IllegalArgumentException("tenant " + name + ": nice -20..19, not " + nice);
        }
        if (ownLink && (interfaceName != null || address != null)) {
            throw new IllegalArgumentException("tenant " + name + ": link=auto picks the interface and address;"
                    + " give interface= and address= only with link=none");
        }
        if (!ownLink && backend != BackendKind.KERNEL && interfaceName == null) {
            throw new IllegalArgumentException("tenant " + name + ": backend " + backend.name().toLowerCase(Locale.ROOT)
                    + " with link=none needs interface=");
        }
        serveArgs = List.copyOf(serveArgs);
        for (String arg : serveArgs) {
            String option = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            if (RESERVED.contains(option)) {
                throw new IllegalArgumentException("tenant " + name + ": args may not set " + option
                        + " (use the tenant's own keys)");
            }
        }
    }

    /** Parses the {@code key=value,...} form described in the class comment. */
    public static Tenant parse(String spec) {
        Map<String, String> values = new LinkedHashMap<>();
        String rest = spec.strip();
        while (!rest.isEmpty()) {
            int eq = rest.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("tenant '" + spec + "': expected key=value, found '" + rest + "'");
            }
            String key = rest.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("tenant '" + spec + "': unknown key '" + key + "' (keys: "
                        + String.join(", ", KEYS) + ")");
            }
            String value;
            if (key.equals("args")) {
                value = rest.substring(eq + 1);
                rest = "";
            } else {
                int comma = rest.indexOf(',', eq);
                value = (comma < 0 ? rest.substring(eq + 1) : rest.substring(eq + 1, comma)).strip();
                rest = comma < 0 ? "" : rest.substring(comma + 1).strip();
            }
            if (values.put(key, value) != null) {
                throw new IllegalArgumentException("tenant '" + spec + "': key '" + key + "' given twice");
            }
        }
        String name = values.get("name");
        App app = pick(App.class, "app", values.get("app"), name);
        if (app == null) {
            throw new IllegalArgumentException("tenant '" + spec + "': app= is required (echo, sockperf, memcached)");
        }
        BackendKind backend = values.containsKey("backend") ? pick(BackendKind.class, "backend", values.get("backend"),
                name) : BackendKind.KERNEL;
        String link = values.getOrDefault("link", "auto");
        if (!link.equals("auto") && !link.equals("none")) {
            throw new IllegalArgumentException("tenant " + name + ": link=auto or link=none, not '" + link + "'");
        }
        int port = number(values, "port", app.defaultPort(), name);
        int nice = number(values, "nice", 0, name);
        List<String> args = new ArrayList<>();
        for (String word : values.getOrDefault("args", "").strip().split("\\s+")) {
            if (!word.isEmpty()) {
                args.add(word);
            }
        }
        return new Tenant(name, app, backend, Cores.parse(values.getOrDefault("cores", "1")), link.equals("auto"),
                values.get("interface"), values.get("address"), port, nice, args);
    }

    private static int number(Map<String, String> values, String key, int otherwise, String tenant) {
        String v = values.get(key);
        try {
            return v == null ? otherwise : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tenant " + tenant + ": " + key + " is not a number: " + v, e);
        }
    }

    private static <E extends Enum<E>> E pick(Class<E> type, String key, String value, String tenant) {
        if (value == null) {
            return null;
        }
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(value.strip())) {
                return e;
            }
        }
        throw new IllegalArgumentException("tenant " + tenant + ": unknown " + key + " '" + value + "'");
    }
}
