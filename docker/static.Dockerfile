# A stack that is one static binary (the Rust stacks, and Go built with CGO_ENABLED=0).
# Nothing but the binary: no shell, no libc, no users file; it runs as an unprivileged user id.
# The harness builds it from an in-memory context holding this file and `service`.
FROM scratch
COPY service /service
USER 65532:65532
EXPOSE 8080
ENV PORT=8080 BIND=0.0.0.0
ENTRYPOINT ["/service"]
