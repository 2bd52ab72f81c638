# A JVM stack: a runtime made with jlink holding only the modules the service needs (found by
# jdeps), the shared libraries that runtime links (found by ldd, the dynamic loader with them),
# the application's jars, and its command line as a java @argument file.
# The harness builds it from an in-memory context holding this file and `rootfs/`:
#   rootfs/jre/             the jlink runtime
#   rootfs/lib/, /lib64/, /usr/lib/   the shared libraries, at the paths the loader looks in
#   rootfs/app/*.jar        the service's jar and its class path
#   rootfs/app/jvm.args     JVM options, -cp and the main class
#   rootfs/tmp/             writable scratch space for the JVM (mode 1777)
FROM scratch
COPY rootfs/ /
USER 65532:65532
EXPOSE 8080
ENV PORT=8080 BIND=0.0.0.0 JAVA_HOME=/jre
ENTRYPOINT ["/jre/bin/java", "@/app/jvm.args"]
