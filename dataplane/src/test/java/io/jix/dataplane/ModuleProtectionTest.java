package io.jix.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.lang.reflect.InaccessibleObjectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * IX protected the dataplane with the page table; jix does it with the module system. Loaded as
 * modules — as {@code ./jix} runs them — jix.dataplane exports only its launch surface: its loop,
 * backends, connection tables and buffers cannot be reached, not even by reflection, from
 * application code. (Unit tests otherwise run on the class path, where nothing is enforced, so
 * this test builds a module layer from the compiled modules itself.)
 */
class ModuleProtectionTest {

    private static ClassLoader modules;

    @BeforeAll
    static void layer() {
        Path root = Path.of("").toAbsolutePath().getParent();
        List<Path> dirs = List.of("sys", "nic", "stack", "api", "dataplane").stream()
                .map(m -> root.resolve(m).resolve("target/classes")).toList();
        for (Path d : dirs) {
            assertThat(Files.exists(d.resolve("module-info.class"))).as("compiled module in %s", d).isTrue();
        }
        ModuleFinder finder = ModuleFinder.of(dirs.toArray(Path[]::new));
        Configuration cf = ModuleLayer.boot().configuration().resolve(finder, ModuleFinder.of(), Set.of("jix.dataplane"));
        ModuleLayer layer = ModuleLayer.defineModulesWithOneLoader(cf, List.of(ModuleLayer.boot()),
                ClassLoader.getPlatformClassLoader()).layer();
        modules = layer.findLoader("jix.dataplane");
    }

    @Test
    void onlyTheLaunchSurfaceIsExported() throws Exception {
        Module dataplane = modules.loadClass("io.jix.dataplane.Dataplane").getModule();
        assertThat(dataplane.isNamed()).isTrue();
        assertThat(dataplane.getDescriptor().exports()).extracting(e -> e.source())
                .containsExactly("io.jix.dataplane");
        assertThat(dataplane.getDescriptor().opens()).isEmpty();
        for (String internal : List.of("io.jix.dataplane.loop", "io.jix.dataplane.kernel", "io.jix.dataplane.bypass")) {
            assertThat(dataplane.isExported(internal)).as(internal).isFalse();
            assertThat(dataplane.isOpen(internal)).as(internal).isFalse();
        }
    }

    @Test
    void reflectionIntoTheBackendFails() throws Exception {
        Class<?> backend = modules.loadClass("io.jix.dataplane.bypass.BypassBackend");
        assertThatThrownBy(() -> backend.getDeclaredField("lanes").setAccessible(true))
                .isInstanceOf(InaccessibleObjectException.class);
        Class<?> handles = modules.loadClass("io.jix.dataplane.loop.HandleTable");
        // Even its public constructor: the package is not exported.
        assertThatThrownBy(() -> handles.getConstructor(int.class, int.class).newInstance(0, 16))
                .isInstanceOf(IllegalAccessException.class);
    }

    @Test
    void aRunningDataplanesPrivateStateCannotBeOpenedUp() throws Exception {
        Class<?> dataplane = modules.loadClass("io.jix.dataplane.Dataplane");
        assertThatThrownBy(() -> dataplane.getDeclaredField("threads").setAccessible(true))
                .isInstanceOf(InaccessibleObjectException.class);
        assertThatThrownBy(() -> modules.loadClass("io.jix.stack.tcp.TcpLayer").getDeclaredField("tcbs")
                .setAccessible(true)).isInstanceOf(InaccessibleObjectException.class);
    }
}
