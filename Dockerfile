# syntax=docker/dockerfile:1
# The shipgate image used by the container actions (actions/*/action.yml, action.yml) and
# the GitLab templates. Stage 1 builds the static musl release binary; stage 2 is a small
# Alpine with git (detect-changes runs git) and CA certificates (HTTPS to the forges).
#
#   docker build -t ghcr.io/shipgate/shipgate:dev .

ARG RUST_IMAGE=rust:1-alpine
ARG RUNTIME_IMAGE=alpine:3.22

FROM ${RUST_IMAGE} AS build
# Alpine's Rust targets musl natively; musl-dev is the C toolchain that ring needs.
# Alpine drops old package versions from its index, so pinning them breaks rebuilds.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --target x86_64-unknown-linux-musl \
 && cp target/x86_64-unknown-linux-musl/release/shipgate /usr/local/bin/shipgate

FROM ${RUNTIME_IMAGE}
# The runners mount the workspace owned by another uid; without safe.directory git refuses
# to work in it ("dubious ownership").
# hadolint ignore=DL3018
RUN apk add --no-cache git ca-certificates \
 && git config --system --add safe.directory '*'
COPY --from=build /usr/local/bin/shipgate /usr/local/bin/shipgate
LABEL org.opencontainers.image.title="shipgate" \
      org.opencontainers.image.description="Deployment pipeline verbs for GitHub Actions and GitLab CI" \
      org.opencontainers.image.source="https://github.com/shipgate/shipgate" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
# GitLab jobs override the entrypoint (`entrypoint: [""]`) and run `shipgate <verb>` from a
# shell, so the binary is on PATH; GitHub container actions pass the verb as args.
ENTRYPOINT ["/usr/local/bin/shipgate"]
