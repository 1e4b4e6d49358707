# shellcheck shell=bash
# Finds a JDK 25 or newer for ./mvnw and ./jix. Source this file, then call jix_java_home:
#
#   . "$root/scripts/lib/java-home.sh"
#   jix_java_home || exit 1
#
# Order: $JAVA_HOME when its java is 25 or newer; else the newest JDK under /usr/lib/jvm whose
# major version is 25 or newer. On success JAVA_HOME is exported; otherwise one line goes to
# stderr and the function returns 1. The java on PATH is never consulted (it is often 17).

JIX_MIN_JAVA=25

# Prints the full version of the JDK at $1 ("25.0.1", "17.0.15", "1.8.0_412"), or nothing when
# $1 holds no runnable java. The `release` file every JDK ships answers without starting a JVM;
# a JDK without one is asked with `java -version`.
jix_java_version() {
    local home=$1 line version=""
    [[ -x $home/bin/java ]] || return 0
    if [[ -r $home/release ]]; then
        line=$(grep -m1 '^JAVA_VERSION=' "$home/release" 2>/dev/null) || line=""
        version=${line#JAVA_VERSION=}
        version=${version//\"/}
    fi
    if [[ -z $version ]]; then
        # First line looks like: openjdk version "25.0.1" 2025-10-21
        line=$("$home/bin/java" -version 2>&1 | head -n 1) || line=""
        if [[ $line =~ \"([^\"]+)\" ]]; then
            version=${BASH_REMATCH[1]}
        fi
    fi
    printf '%s' "$version"
}

# Prints the major version of the JDK at $1 (25, 17, 8), or 0 when it cannot be told.
jix_java_major() {
    local version major
    version=$(jix_java_version "$1")
    major=${version%%[!0-9]*}
    if [[ $major == 1 ]]; then
        # Old scheme: 1.8.0_412 is Java 8.
        major=${version#1.}
        major=${major%%[!0-9]*}
    fi
    printf '%s' "${major:-0}"
}

jix_java_home() {
    local candidate version major best="" best_version=""
    if [[ -n ${JAVA_HOME:-} ]]; then
        major=$(jix_java_major "$JAVA_HOME")
        if (( major >= JIX_MIN_JAVA )); then
            export JAVA_HOME
            return 0
        fi
    fi
    for candidate in /usr/lib/jvm/*; do
        [[ -d $candidate ]] || continue
        version=$(jix_java_version "$candidate")
        [[ -n $version ]] || continue
        major=$(jix_java_major "$candidate")
        (( major >= JIX_MIN_JAVA )) || continue
        if [[ -z $best ]] || [[ $(printf '%s\n%s\n' "$best_version" "$version" | sort -V | tail -n 1) != "$best_version" ]]; then
            best=$candidate
            best_version=$version
        fi
    done
    if [[ -z $best ]]; then
        echo "jix: needs a JDK $JIX_MIN_JAVA or newer (e.g. apt-get install temurin-$JIX_MIN_JAVA-jdk, or set JAVA_HOME)" >&2
        return 1
    fi
    JAVA_HOME=$best
    export JAVA_HOME
}
