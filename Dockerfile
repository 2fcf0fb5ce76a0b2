# syntax=docker/dockerfile:1
# Build: docker build -t vmfleet:dev .    Run in kind: kind load docker-image vmfleet:dev && kubectl apply -k deploy/

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm ci` runs the `prepare` script, which compiles src/ to dist/.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY crds ./crds
COPY deploy/regions ./deploy/regions
# The image's `node` user (uid 1000) matches runAsUser in deploy/deployment.yaml.
USER 1000:1000
EXPOSE 8080 8081
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["run"]
