# The harness's own static binary, for what it runs in a container (the OTLP receiver beside a
# tracing rung on the container backends; the load workers of --load-workers, `harness
# worker`): FROM scratch, like a stack's.
# The harness builds it from an in-memory context holding this file, with the subcommand as the
# last line's CMD, and `harness`.
FROM scratch
COPY harness /harness
USER 65532:65532
EXPOSE 8080
ENV PORT=8080 BIND=0.0.0.0
ENTRYPOINT ["/harness"]
