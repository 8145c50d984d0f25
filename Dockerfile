# quorumlock-server with lockctl. Build: docker build -t quorumlock:0.1.0 .
# The build stage compiles the workspace; deploy/docker/build-app.sh copies the server and
# lockctl with production dependencies only (CI runs the same script without Docker).

FROM node:20-bookworm-slim AS build
WORKDIR /src
RUN npm install -g pnpm@10.34.8
COPY . .
RUN pnpm install --frozen-lockfile && pnpm build && deploy/docker/build-app.sh /app

FROM node:20-bookworm-slim
# A fixed non-root uid/gid: the StatefulSet's runAsUser and fsGroup name the same ids.
RUN groupadd --gid 10001 quorumlock \
 && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin quorumlock \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/quorumlock
COPY --from=build /app /app
COPY deploy/docker/lockctl /usr/local/bin/lockctl
ENV NODE_ENV=production \
    QUORUMLOCK_DATA_DIR=/var/lib/quorumlock \
    QUORUMLOCK_ENDPOINTS=127.0.0.1:6001
USER 10001:10001
# The only writable path the server needs; the root filesystem can be read-only.
VOLUME ["/var/lib/quorumlock"]
EXPOSE 6001 7001 8080
# node, not npm or a shell, receives SIGTERM: the server transfers leadership and stops.
ENTRYPOINT ["node", "/app/server/dist/main.js"]
