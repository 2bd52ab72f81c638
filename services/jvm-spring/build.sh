#!/bin/sh
# Builds the jvm-spring account service with javac and jar against Debian's jars in
# /usr/share/java (packages libspring-web-servlet-java, libspring-context-java,
# libtomcat9-java, libjackson2-databind-java); no Maven, no network.
#
#   services/jvm-spring/build.sh OUT [--quotes | --log | --metrics]
#
# leaves OUT/footprint-jvm-spring.jar, OUT/classpath.txt (the jar, then the Debian jars it
# runs with) and OUT/main-class.txt. Run it with:
#   java -cp "$(cat OUT/classpath.txt)" "$(cat OUT/main-class.txt)"
# With --quotes it builds the landscape variant from the same sources plus src/quotes (the
# call to the quotes service), as OUT/footprint-jvm-spring-quotes.jar. With --log it builds the
# feature ladder's log rung from the same sources plus src/log (an access-log valve, Logback
# with the Logstash JSON encoder: Debian's liblogback-java, libslf4j-java,
# liblogstash-logback-encoder-java), as OUT/footprint-jvm-spring-log.jar. With --metrics it
# builds the metrics rung from the same sources plus src/metrics (a valve counting requests by
# route and status, GET /metrics in the Prometheus text format; no further jar), as
# OUT/footprint-jvm-spring-metrics.jar.
set -eu

usage="usage: $0 OUT [--quotes | --log | --metrics]"
if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
    echo "$usage" >&2
    exit 2
fi
source_sets=main
jar_name=footprint-jvm-spring.jar
extra_jars=
if [ "$#" -eq 2 ]; then
    case "$2" in
    --quotes)
        source_sets="main quotes"
        jar_name=footprint-jvm-spring-quotes.jar
        ;;
    --log)
        source_sets="main log"
        jar_name=footprint-jvm-spring-log.jar
        extra_jars="slf4j-api.jar logback-core.jar logback-classic.jar logstash-logback-encoder.jar"
        ;;
    --metrics)
        source_sets="main metrics"
        jar_name=footprint-jvm-spring-metrics.jar
        ;;
    *)
        echo "$usage" >&2
        exit 2
        ;;
    esac
fi

main_class=footprint.accounts.Main
lib=${JAVA_LIB:-/usr/share/java}

# Spring 4.3 (Debian names it spring3-*), embedded Tomcat 9, Jackson 2 and commons-logging.
jars="
spring3-core.jar
spring3-beans.jar
spring3-context.jar
spring3-aop.jar
spring3-expression.jar
spring3-web.jar
spring3-web.servlet.jar
commons-logging.jar
jackson-databind.jar
jackson-core.jar
jackson-annotations.jar
tomcat9-catalina.jar
tomcat9-coyote.jar
tomcat9-util.jar
tomcat9-util-scan.jar
tomcat9-juli.jar
tomcat9-api.jar
tomcat9-servlet-api.jar
tomcat9-jaspic-api.jar
tomcat9-annotations-api.jar
$extra_jars
"

libs=
missing=
for jar in $jars; do
    if [ -f "$lib/$jar" ]; then
        libs="${libs:+$libs:}$lib/$jar"
    else
        missing="$missing $jar"
    fi
done
if [ -n "$missing" ]; then
    echo "missing in $lib:$missing" >&2
    echo "install: sudo apt-get install libspring-web-servlet-java libspring-context-java libtomcat9-java libjackson2-databind-java${extra_jars:+ liblogback-java libslf4j-java liblogstash-logback-encoder-java}" >&2
    exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)

rm -rf "$out/classes"
mkdir -p "$out/classes"
# One quoted path per line, so that javac's @file survives spaces in paths.
for set in $source_sets; do
    find "$here/src/$set/java" -name '*.java'
done | sort | sed 's/\\/\\\\/g; s/"/\\"/g; s/.*/"&"/' > "$out/sources.txt"
javac --release 17 -encoding UTF-8 -nowarn -cp "$libs" -d "$out/classes" "@$out/sources.txt"
for set in $source_sets; do
    if [ -d "$here/src/$set/resources" ]; then
        cp -R "$here/src/$set/resources/." "$out/classes/"
    fi
done
rm -f "$out/$jar_name"
jar --create --file "$out/$jar_name" --main-class "$main_class" -C "$out/classes" .

printf '%s\n' "$out/$jar_name:$libs" > "$out/classpath.txt"
printf '%s\n' "$main_class" > "$out/main-class.txt"
