# syntax=docker/dockerfile:1
# Sextant's image. Two stages: a release build with the Swift standard library (and
# FoundationEssentials) linked statically, then a slim Debian holding only that binary, the
# C libraries it loads (libyaml; libcurl with its TLS stack, opened only when an API server
# is configured; libldns, opened only for zone files beyond the built-in reader's plain
# subset), CA certificates for the API server, and the demo zones. It runs as uid 65532 with no capability: DNS on 5353 (a
# Service maps 53 to it), so `docker run IMAGE` serves the demo zones on 0.0.0.0:5353,
# with /metrics, /health, /ready and /debug/state on 0.0.0.0:9153.
#
# Both base images are arguments, so a machine without a registry can build from local
# ones (scripts/image.sh builds it with buildah from debootstrapped bases).
ARG BUILD_IMAGE=swift:6.3-bookworm
ARG RUN_IMAGE=debian:bookworm-slim

# checkov:skip=CKV_DOCKER_7:The base images are build arguments whose defaults carry fixed tags (swift:6.3-bookworm, debian:bookworm-slim)
FROM ${BUILD_IMAGE} AS build
# The -dev packages of the C libraries the package uses: libyaml (linked, pkg-config finds
# it); the headers of libldns, libcurl and libcrypto (the gateway's X25519 and SHA-256),
# three libraries opened at run time only when needed.
# Versions are not pinned: the base image's release pins them (bookworm).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libldns-dev libcurl4-openssl-dev libssl-dev libyaml-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
# SwiftPM checks every target's folder, test targets included, before building one product.
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product sextant \
    && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/sextant" /out/usr/local/bin/sextant \
    && strip /out/usr/local/bin/sextant

# The gateway (`--target gateway`, deploy/overlays/gateway): the same binary with what
# `sextant gateway` drives: wireguard-go (the kernel's WireGuard is not assumed), the
# node's iptables (nft backend, as Debian sets it) and nft. It runs as root with
# NET_ADMIN and NET_RAW only, on the host's network (the DaemonSet says so).
FROM ${RUN_IMAGE} AS gateway
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libldns3 libcurl4 libyaml-0-2 libssl3 ca-certificates \
       wireguard-go iptables nftables \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/sextant"]
CMD ["gateway", "--help"]

# The DNS server: the default target (the last stage).
FROM ${RUN_IMAGE}
# libgcc_s (the base image has it): the statically linked Swift runtime's unwinder; the
# C++ library the runtime needs is linked statically too (Package.swift).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libldns3 libcurl4 libyaml-0-2 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /
COPY zones /etc/sextant/zones
# `sextant serve` reads ./zones by default.
WORKDIR /etc/sextant
USER 65532:65532
EXPOSE 5353/udp 5353/tcp 9153/tcp
# Kubernetes probes /health and /ready over HTTP (deploy/); the image has no shell or HTTP
# client to probe itself with.
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/sextant"]
CMD ["serve", "--listen", "0.0.0.0:5353", "--http", "0.0.0.0:9153"]
