# The `inbox` binary and the built web app in a small runtime image.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends npm && rm -rf /var/lib/apt/lists/* \
    && cargo install just --locked
WORKDIR /src
COPY . .
RUN just spa && cargo build --release -p inbox-api

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/inbox --create-home inbox
COPY --from=build /src/target/release/inbox /usr/local/bin/inbox
COPY --from=build /src/target/spa /usr/share/inbox/spa
USER inbox
WORKDIR /var/lib/inbox
ENV INBOX_SPA_DIR=/usr/share/inbox/spa \
    INBOX_BIND=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///var/lib/inbox/inbox.db?mode=rwc
EXPOSE 8080
CMD ["inbox", "serve"]
