package io.jix.control.tenant;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How to run a main class again in a new JVM: this JVM's {@code java} binary, the given JVM options,
 * and this JVM's module path (when {@code anchor}'s module is named and there is one) or class path
 * (under tests), then the main class. Arguments go after {@link #command()}.
 *
 * @param command {@code java}, its options and the main class, ready for arguments
 */
public record ChildJvm(List<String> command) {

    /** Copies the command. */
    public ChildJvm {
        command = List.copyOf(command);
    }

    /**
     * The command that runs {@code mainClass} (in module {@code mainModule} on the module path, or
     * by name on the class path) the way this JVM was run.
     *
     * @param jvmOptions options for the child, such as {@code -Xmx256m}
     * @param anchor a class of the main's module, to tell whether this JVM runs on the module path
     */
    public static ChildJvm ofThisProcess(List<String> jvmOptions, String mainModule, String mainClass,
                                         Class<?> anchor) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        String modulePath = System.getProperty("jdk.module.path");
        if (modulePath != null && !modulePath.isEmpty() && anchor.getModule().isNamed()) {
            cmd.addAll(List.of("--enable-native-access=jix.sys,jix.dataplane,ALL-UNNAMED", "--module-path",
                    modulePath, "-m", mainModule + "/" + mainClass));
        } else {
            cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    mainClass));
        }
        return new ChildJvm(cmd);
    }

    /** {@link #command()} followed by {@code args}. */
    public List<String> with(List<String> args) {
        List<String> all = new ArrayList<>(command);
        all.addAll(args);
        return all;
    }
}
