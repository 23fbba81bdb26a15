# The simulator as a container image: built in a Rust image, run from a slim Debian one as a non-root user.
#
#   docker build -t understudy-sim .
#   docker run --rm -p 5000:5000 understudy-sim --bind 0.0.0.0
#
# Ports a single simulator serves (all plain TCP): 5000 Endrpi (WebSocket and REST), 18333 xArm Studio
# (WebSocket and HTTP), 502 and 30000-30003 xArm controller (raw TCP; 502 needs a privilege this user lacks, so
# without it the controller port falls back to a free port named in the start lines), 8443 pub/sub robot (wss),
# 8080, 8081 and 8282 ESP3D (HTTP, terminal and data WebSockets), 7400 the control API (loopback unless
# --control-bind says otherwise, which then needs --control-token). A fleet in a pod listens on --fleet-ports
# BASE and up (deploy/ uses 20000): the start lines and the fleet map list every port.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p understudy-sim \
    && install -m 0755 target/release/understudy-sim /usr/local/bin/understudy-sim

FROM debian:bookworm-slim
# The system's CA roots: the Obico agents dial https:// servers.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates=20230311* \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin understudy
COPY --from=build /usr/local/bin/understudy-sim /usr/local/bin/understudy-sim
USER 10001:10001
EXPOSE 5000 18333 502 30000-30003 8443 8080 8081 8282 7400 20000-39999
ENTRYPOINT ["/usr/local/bin/understudy-sim"]
CMD ["--bind", "0.0.0.0"]
